"""HTTP plumbing shared by every API blueprint: the argument parser and list envelopes."""
import json

import flask_smorest
from marshmallow import EXCLUDE, RAISE, Schema, fields, validate
from webargs.core import missing
from webargs.flaskparser import FlaskParser

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
            return missing
        data = req.get_data(cache=True)
        if not data:
            return missing
        try:
            return json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadRequest(f"Malformed JSON body: {exc}", problem_type="malformed-json") from None

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        messages = error.messages if isinstance(error.messages, dict) else {"json": error.messages}
        if "json" in messages:
            raise ValidationFailed("The request body is not valid.", errors=_field_errors(messages["json"]))
        location, errs = next(iter(messages.items()))
        raise BadRequest(f"Invalid {location} parameter.", errors=_field_errors(errs))


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


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = Parser()


class PageArgs(Schema):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000),
                           metadata={"description": "page size, 1..1000"})
    after = fields.String(load_default=None, metadata={"description": "the id of the last item of the previous page"})


def list_schema(item_schema_cls, name):
    """The list envelope {items, cursor, next} around `item_schema_cls`."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema_cls)),
            "cursor": fields.String(metadata={"description": "the change-feed position this list is consistent with"}),
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
