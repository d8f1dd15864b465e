"""The OpenAPI document says what the server does: problem+json errors, conditional headers, links.

An apispec plugin completes every operation the blueprints declare, from the
rules the engine itself enforces (so a domain documents only what is its own,
such as why a 403 or a 409 happens):
- the statuses each kind of operation can answer, errors as
  `application/problem+json` with the `Problem` schema (never a catch-all
  `default`, so an undocumented status is a finding);
- `If-None-Match` and `If-Match` on reads, `If-Match` on writes, and the
  headers of a 304;
- after all blueprints are registered, `links` from each create to the item it
  made and to that item's sub-resources, so stateful testing can follow them.
"""
from http import HTTPStatus

from apispec import BasePlugin

PROBLEM = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "properties": {
        "type": {"type": "string", "description": "a problem type (relative reference) or about:blank"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string", "nullable": True},
        "errors": {"type": "object", "description": "per field (dotted for nested ones), the messages",
                   "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    },
    "required": ["type", "title", "status"],
}

_STRING = {"type": "string"}
_HEADERS = {
    "ETag": {"description": "the current tag", "schema": _STRING},
    "Cache-Control": {"schema": _STRING},
    "Vary": {"schema": _STRING},
    "Poll-Interval": {"description": "RFC 8941 dictionary: visible=N, hidden=M (seconds)", "schema": _STRING},
    "Retry-After": {"description": "seconds to wait before retrying", "schema": _STRING},
    "WWW-Authenticate": {"schema": _STRING},
}

_CONDITIONAL = {
    "If-None-Match": "GET: a tag the client holds (weak comparison); 304 when it is still current.",
    "If-Match": "the tag the client based its request on (strong comparison); 412 when it is not current. "
                "Writes need it (or If-Unmodified-Since), else 428.",
}

#: What can answer each kind of operation, besides its success statuses.
_ANY = (400, 401, 503)
_BY_METHOD = {
    "get": (304, 412, *_ANY),
    "post": (403, 409, 412, 413, 415, 422, 428, *_ANY),
    "put": (403, 409, 412, 413, 415, 422, 428, *_ANY),
    "patch": (403, 409, 412, 413, 415, 422, 428, *_ANY),
    "delete": (403, 409, 412, 428, *_ANY),
}
_WHY = {
    304: "Not modified: the tag in If-None-Match is current (no body).",
    400: "A malformed query parameter, cursor, header or JSON body.",
    401: "No token, or an unknown or revoked one.",
    403: "A member without the role this needs.",
    404: "Missing, or not readable with this token.",
    409: "The write conflicts with the current state.",
    410: "The cursor cannot be continued: re-list and follow the list's cursor.",
    412: "If-Match (or If-Unmodified-Since) does not match the current version.",
    413: "The body is over the size limit.",
    415: "The body is not application/json.",
    422: "The body is not valid: `errors` names each field.",
    428: "This write needs If-Match (or If-Unmodified-Since).",
    503: "The database is unavailable: retry after Retry-After.",
}
_ERROR_HEADERS = {401: ("WWW-Authenticate",), 412: ("ETag",), 503: ("Retry-After",)}


def _parameter(name):
    return {"in": "header", "name": name, "required": False, "schema": _STRING, "description": _CONDITIONAL[name]}


class ProblemDocs(BasePlugin):
    """Completes each operation's responses and conditional headers; see the module's docstring."""

    def init_spec(self, spec):
        super().init_spec(spec)
        spec.components.schema("Problem", PROBLEM_SCHEMA)

    def operation_helper(self, path=None, operations=None, **kwargs):
        for method, op in (operations or {}).items():
            if method not in _BY_METHOD:
                continue
            responses = op.setdefault("responses", {})
            responses.pop("default", None)
            for key in [k for k in responses if not isinstance(k, str)]:
                responses[str(key)] = responses.pop(key)
            codes = set(_BY_METHOD[method])
            if "{" in path or path == "/changes":
                codes.add(404)
            if path == "/changes":
                codes.add(410)
            if method != "get" and "requestBody" not in op:
                codes -= {413, 415, 422}
            for code in sorted(codes | {int(c) for c in responses if c.isdigit() and int(c) >= 400}):
                self._error(responses, code)
            if method == "get":
                responses["304"] = {"description": responses.get("304", {}).get("description") or _WHY[304],
                                    "headers": {h: _HEADERS[h] for h in ("ETag", "Cache-Control", "Vary",
                                                                         "Poll-Interval")}}
            names = ("If-None-Match", "If-Match") if method == "get" else ("If-Match",)
            params = op.setdefault("parameters", [])
            present = {p.get("name") for p in params if isinstance(p, dict)}
            params.extend(_parameter(n) for n in names if n not in present)

    @staticmethod
    def _error(responses, code):
        given = responses.get(str(code))
        given = given if isinstance(given, dict) and "$ref" not in given else {}
        entry = {"description": given.get("description") or _WHY.get(code) or HTTPStatus(code).phrase,
                 "content": {PROBLEM: {"schema": PROBLEM_REF}}}
        if code in _ERROR_HEADERS:
            entry["headers"] = {h: _HEADERS[h] for h in _ERROR_HEADERS[code]}
        responses[str(code)] = entry


def _pointer(path, method):
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method


def _schema_ref(response):
    return ((response or {}).get("content", {}).get("application/json", {}).get("schema") or {}).get("$ref")


def init_app(api):
    """Complete the document of `api` (a flask-smorest Api, already bound to an app)."""
    from .fields import Timestamp

    api.DEFAULT_ERROR_RESPONSE_NAME = None  # each error status is documented on its own
    api.register_field(Timestamp, "string", "date-time")
    plugin = ProblemDocs()
    plugin.init_spec(api.spec)
    api.spec.plugins.append(plugin)


def link_creations(spec):
    """Links from each create (201) to the item it made, its writes, and its sub-resources.

    The item is the path with one parameter whose GET answers the same schema as
    the create; the parameter is the created body's `id`.
    """
    paths = spec.to_dict()["paths"]  # the spec's own path objects: links added here are served
    items = {}
    for path, ops in paths.items():
        ref = _schema_ref(ops.get("get", {}).get("responses", {}).get("200"))
        if ref and path.count("{") == 1 and path.endswith("}"):
            items[ref] = path
    for ops in paths.values():
        created = ops.get("post", {}).get("responses", {}).get("201")
        ref = _schema_ref(created)
        item = items.get(ref)
        if not item:
            continue
        param = item[item.rindex("{") + 1:-1]
        links = {}
        for target, target_ops in paths.items():
            if target != item and not target.startswith(item + "/"):
                continue
            for method in target_ops:
                if method in _BY_METHOD and target.count("{") == 1:
                    below = target[len(item):].replace("-", "/").split("/")
                    name = ref.rsplit("/", 1)[-1] + "".join(part.capitalize() for part in below)
                    links[method.capitalize() + name] = {
                        "operationRef": _pointer(target, method), "parameters": {param: "$response.body#/id"}}
        if links:
            created["links"] = links


# --- examples ------------------------------------------------------------------------------------

_TEXT = {"title": "Fix homepage", "name": "Launch board", "description": "Everything for the launch.",
         "subject": "Catering", "body": "Ready when you are", "email": "ada@example.com", "first_name": "Ada",
         "last_name": "Lovelace", "phone": "+44 20 7946 0018", "venue": "Hall A", "notes": "Met at the fair.",
         "role": "member", "q": "ada", "reason": "Room double-booked.", "cursor": "3f9a1c2e.2s",
         "next": "3f9a1c2e.2t", "kind": "task_assigned", "type": "task", "op": "update"}
_ID = "01JDQ8V5K2M3N4P5Q6R7S8T9VW"


def _example(name, prop, schemas, depth=0):
    if "$ref" in prop or "allOf" in prop:
        ref = prop.get("$ref") or prop["allOf"][0].get("$ref", "")
        target = schemas.get(ref.rsplit("/", 1)[-1])
        return _object_example(target, schemas, depth + 1) if target and depth < 3 else {}
    if "enum" in prop:
        return prop["enum"][0]
    kind, fmt = prop.get("type"), prop.get("format")
    if kind == "string":
        if fmt == "date-time":
            return "2026-11-23T09:30:00Z"
        if name == "id" or name.endswith("_id") or name.endswith("_by"):
            return _ID
        return _TEXT.get(name, "text")
    if kind == "integer":
        return {"version": 3, "limit": 100, "capacity": 40, "booked": 12, "position": 0}.get(name, 1)
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return False
    if kind == "array":
        item = _example(name.rstrip("s"), prop.get("items", {}), schemas, depth + 1)
        return [item] if item not in ({}, None) else []
    return {}


def _object_example(schema, schemas, depth=0):
    props = schema.get("properties") or {}
    return {name: _example(name, prop, schemas, depth) for name, prop in props.items()}


def add_examples(spec):
    """An example for every schema of the document that has none, from its fields' names and types,
    so that every operation shows one in /docs."""
    schemas = spec.components.schemas
    for schema in schemas.values():
        if isinstance(schema, dict) and schema.get("properties") and "example" not in schema:
            schema["example"] = _object_example(schema, schemas)
