"""HTTP plumbing shared by every API blueprint: the argument parser and list envelopes (no flask-smorest:
its Blueprint, with the engine's declarations, is pollfeed.smorest)."""
import json

from flask import request
from marshmallow import EXCLUDE, RAISE, Schema, fields, validate
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import RequestEntityTooLarge

from . import cursor as cursors
from .fields import QueryInteger
from .problems import BadRequest, UnsupportedMediaType, ValidationFailed


def _is_json(mimetype):
    return mimetype == "application/json" or (mimetype.startswith("application/") and mimetype.endswith("+json"))


class Parser(FlaskParser):
    """webargs parser that answers in the contract's terms.

    Bodies: not JSON -> 415, malformed -> 400, invalid -> 422 with per-field
    errors. Query strings: invalid -> 400 (they are not resource validation).
    """

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "json": RAISE, "query": EXCLUDE}

    def _raw_load_json(self, req):
        if not _is_json(req.mimetype):
            if req.mimetype or req.content_length:
                raise UnsupportedMediaType("Write bodies must be application/json.")
            raise ValidationFailed("This request needs a JSON body.", errors={"_schema": ["A JSON body is required."]})
        data = req.get_data(cache=True)
        if req.content_length is None and req.max_content_length is not None and len(data) >= req.max_content_length:
            # A chunked body is cut at the limit by werkzeug, silently: the rest was not read.
            raise RequestEntityTooLarge()
        if not data:
            raise ValidationFailed("This request needs a JSON body.", errors={"_schema": ["A JSON body is required."]})
        try:
            loaded = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadRequest(f"Malformed JSON body: {exc}", problem_type="malformed-json") from None
        except RecursionError:
            raise BadRequest("Malformed JSON body: nested too deeply.", problem_type="malformed-json") from None
        bad = unstorable_strings(loaded)
        if bad:
            raise ValidationFailed("The request body is not valid.", errors=bad)
        return loaded

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        messages = error.messages if isinstance(error.messages, dict) else {"json": error.messages}
        if "json" in messages:
            raise ValidationFailed("The request body is not valid.", errors=_field_errors(messages["json"]))
        location, errs = next(iter(messages.items()))
        raise BadRequest(f"Invalid {location} parameter.", errors=_field_errors(errs))


#: The optional extra `pollfeed[openapi]`: without these, the engine goes without its OpenAPI parts.
OPTIONAL = ("flask_smorest", "apispec")


def optional_missing(error):
    """Whether a ModuleNotFoundError is the optional extra's absence (and nothing else's)."""
    return (error.name or "").split(".")[0] in OPTIONAL


#: The one parser: flask-smorest's arguments (pollfeed.smorest), plain views, the feed and the poll path.
PARSER = Parser()


def _unstorable(text):
    """Why `text` cannot be stored as text, or None: NUL (PostgreSQL refuses it, so SQLite must too),
    or an unpaired surrogate (no UTF-8 encoding exists)."""
    if "\x00" in text:
        return "Must not contain NUL (U+0000)."
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "Must not contain an unpaired surrogate."
    return None


def unstorable_strings(data):
    """{field path: [message]} for every string (key or value) in a JSON document that cannot be stored."""
    errors = {}
    stack = [("", data)]
    while stack:  # iterative: json.loads already bounds the depth, this must not recurse again
        path, value = stack.pop()
        if isinstance(value, str):
            why = _unstorable(value)
            if why:
                errors[path or "_schema"] = [why]
        elif isinstance(value, dict):
            for key, item in value.items():
                why = _unstorable(key)
                name = key if why is None else repr(key)[1:-1]
                child = f"{path}.{name}" if path else name
                if why:
                    errors[child] = ["Field names " + why[0].lower() + why[1:]]
                stack.append((child, item))
        elif isinstance(value, list):
            stack.extend((f"{path}.{i}" if path else str(i), item) for i, item in enumerate(value))
    return errors


def refuse_nul():
    """before_request: NUL in a path or a query value is 400 on every database (PostgreSQL cannot
    compare it; SQLite could, and must answer the same)."""
    if "\x00" in request.path or b"%00" in request.query_string or b"\x00" in request.query_string:
        raise BadRequest("NUL (U+0000) is not allowed in a path or a query parameter.", problem_type="bad-request")


def _field_errors(errs):
    """Marshmallow's messages as {field: [messages]}; nested dicts are flattened with dots."""
    if not isinstance(errs, dict):
        return {"_schema": errs if isinstance(errs, list) else [str(errs)]}
    out = {}
    for key, value in errs.items():
        if isinstance(value, dict):
            for sub, msgs in _field_errors(value).items():
                out[f"{key}.{sub}"] = msgs
        else:
            out[str(key)] = value if isinstance(value, list) else [str(value)]
    return out


def page_limit(description="page size, 1..1000"):
    """A page's `limit` query argument, lists' and the feed's: digits, 1..1000, 100 by default."""
    return QueryInteger(load_default=100, validate=validate.Range(min=1, max=1000),
                        metadata={"description": description})


class PageArgs(Schema):
    limit = page_limit()
    after = fields.String(load_default=None, metadata={"description": "the id of the last item of the previous page"})


def list_schema(item_schema_cls, name):
    """The list envelope {items, cursor, next} around `item_schema_cls`."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema_cls)),
            "cursor": fields.String(metadata={"description": "the change-feed position this list is consistent with",
                                              "pattern": cursors.PATTERN}),
            "next": fields.String(allow_none=True, metadata={"description": "URL of the next page, or null"}),
        },
        name=name,
    )


ITEM_HEADERS = {
    "ETag": {"description": "strong tag derived from the version", "schema": {"type": "string"}},
    "Last-Modified": {"schema": {"type": "string"}},
    "Poll-Interval": {"description": "RFC 8941 dictionary: visible=N, hidden=M (seconds)",
                      "schema": {"type": "string"}},
}
LIST_HEADERS = {k: v for k, v in ITEM_HEADERS.items() if k != "Last-Modified"}

#: OpenAPI response descriptions of a conditional read and a conditional write (the problem+json
#: bodies are added per status by the openapi module).
READ_DOC = {"304": {"description": "Not modified"}, "404": {"description": "Missing or not readable"}}
#: WRITE_DOC's 412 and 428 mark a POST as a conditional write (openapi.is_conditional); the document keeps
#: 428 only while POLLFEED_REQUIRE_IF_MATCH is on.
WRITE_DOC = {"404": {"description": "Missing or not readable"}, "412": {"description": "If-Match does not match"},
             "428": {"description": "If-Match required"}}
