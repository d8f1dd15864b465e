"""Problem exceptions (RFC 9457): every error the API answers is one of these or a werkzeug HTTPException."""
from werkzeug.exceptions import HTTPException


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

    def __init__(self, detail="No such resource, or not readable with this token.", **kw):
        super().__init__(detail, **kw)
