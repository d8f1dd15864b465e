"""Problem exceptions (RFC 9457): every error the engine answers is one of these, as application/problem+json.

init_app installs `response` for them (`install`), so an app of its own gets the same bodies and headers
the reference server does (a 412's current ETag, a 401's WWW-Authenticate). Other HTTP errors stay with
whatever handled them before (flask-smorest's Api answers them with its own JSON). An app that registers
its own handler for HTTPException after init_app takes them all, and may call `response` from it.
"""
from flask import current_app, json
from werkzeug.exceptions import HTTPException

MEDIA_TYPE = "application/problem+json"


def response(exc):
    """The problem+json answer to an HTTP error: `type`, `title`, `status`, `detail` and, where the error
    has them, per-field `errors`; its own headers (Allow, WWW-Authenticate, ETag) kept. A 304 is bare."""
    status = exc.code or 500
    headers = dict(exc.get_headers())
    headers.pop("Content-Type", None)
    headers.update(getattr(exc, "extra_headers", {}) or {})
    if status == 304:
        return current_app.response_class(status=304, headers=headers)
    if status in (429, 503):
        headers.setdefault("Retry-After", str(current_app.config.get("RETRY_AFTER", 5)))
    body = {"type": getattr(exc, "problem_type", "about:blank"), "title": exc.name, "status": status,
            "detail": exc.description}
    errors = getattr(exc, "errors", None)
    if errors is None:  # flask-smorest's abort(..., errors=...) and its argument errors
        data = getattr(exc, "data", None) or {}
        errors = data.get("errors") or data.get("messages")
    if errors:
        body["errors"] = errors
    return current_app.response_class(json.dumps(body), status=status, headers=headers, mimetype=MEDIA_TYPE)


class Problem(HTTPException):
    """An HTTP error with a problem type, optional per-field errors and extra headers."""

    code = 400
    problem_type = "about:blank"

    def __init__(self, detail=None, *, status=None, problem_type=None, errors=None, headers=None):
        super().__init__(description=detail)
        if status is not None:
            self.code = status
        if problem_type is not None:
            self.problem_type = problem_type
        self.errors = errors
        self.extra_headers = dict(headers or {})


class BadRequest(Problem):
    code = 400
    problem_type = "bad-request"


class ValidationFailed(Problem):
    code = 422
    problem_type = "validation-error"


class UnsupportedMediaType(Problem):
    code = 415
    problem_type = "unsupported-media-type"


class Conflict(Problem):
    code = 409
    problem_type = "conflict"


class Forbidden(Problem):
    code = 403
    problem_type = "forbidden"


class NotFound(Problem):
    code = 404
    problem_type = "not-found"

    def __init__(self, detail="No such resource, or not readable by this caller.", **kw):
        super().__init__(detail, **kw)


def install(app):
    """Answer Problems with `response`; hand any other HTTP error to the handler registered before.

    Flask files a handler for a class with a status code under that code only, so a handler for
    Problem (code 400) would miss a 404 or a 412; one for HTTPException sees them all."""
    before = app.error_handler_spec[None][None].get(HTTPException)

    def handle(exc):
        if isinstance(exc, Problem):
            return response(exc)
        return before(exc) if before is not None else exc

    app.register_error_handler(HTTPException, handle)
