"""The OpenAPI document says what the server does: problem+json errors, conditional headers, links.

An apispec plugin completes every operation the blueprints declare, from the
rules the engine itself enforces (so a domain documents only what is its own,
such as why a 403 or a 409 happens):

- the statuses each operation can answer, and only those, errors as
  `application/problem+json` with the `Problem` schema (never a catch-all
  `default`, so an undocumented status is a finding). Reads, creates and
  conditional writes (see `is_conditional`) each have theirs; a domain adds its
  own (a 403, a 409's why, a 404 where no URL variable says so);
- `If-None-Match` and `If-Match` on reads, `If-Match` on conditional writes,
  required exactly when the app's POLLFEED_REQUIRE_IF_MATCH makes the server
  answer 428 without it (so the document follows the setting), and the headers
  of a 304;
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

#: What can answer every operation: a malformed parameter or header (NUL anywhere, a bad cursor, a bad
#: Idempotency-Key or If-Unmodified-Since), no caller, the database down or the load gate shedding.
_ANY = (400, 401, 503)
_READ = (304, 412)  # If-None-Match is current; If-Match (a GET's too) is not
#: Every write: a constraint of the database, the size limit (a body is also read to fingerprint an
#: Idempotency-Key), an Idempotency-Key reused for another request; 415 only with a body.
_WRITE = (409, 413, 422)
_WRITES = ("post", "put", "patch", "delete")
_WHY = {
    304: "Not modified: the tag in If-None-Match is current (no body).",
    400: "A malformed query parameter, cursor, header or JSON body.",
    401: "No token, or an unknown or revoked one.",
    403: "A caller who may read this but not do this.",
    404: "Missing, or not readable by this caller.",
    409: "The write conflicts with the current state.",
    410: "The cursor cannot be continued: re-list and follow the list's cursor.",
    412: "If-Match (or If-Unmodified-Since) does not match the current version.",
    413: "The body is over the size limit.",
    415: "The body is not application/json.",
    422: "The body is not valid (`errors` names each field), or the Idempotency-Key was used for another request.",
    428: "This write needs If-Match (or If-Unmodified-Since).",
    503: "The database is unavailable, or the server is overloaded: retry after Retry-After.",
}
_WHY_NO_BODY = {422: "The Idempotency-Key was used for another request."}
_ERROR_HEADERS = {401: ("WWW-Authenticate",), 412: ("ETag",), 503: ("Retry-After",)}

_READ_IF_MATCH = ("The tag the client based its request on (strong comparison): 412 unless it is current.")
_IF_NONE_MATCH = {
    "get": "A tag the client holds (weak comparison): 304 while it is current.",
    "put": "`*`: create only; 412 if it exists already.",
}


def _if_match(required, creates):
    """If-Match on a conditional write: required exactly when the server answers 428 without it."""
    text = "The tag of the version this write is based on (strong comparison): 412 unless it is current."
    if creates:  # a PUT that may create: there is no tag to send then
        text += (" Send it to replace an existing one" + (" (428 without it, or If-Unmodified-Since)"
                                                         if required else "") +
                 "; omit it to create (any tag is 412 when there is nothing to match).")
        required = False
    elif required:
        text += " Required (POLLFEED_REQUIRE_IF_MATCH): 428 without it, unless If-Unmodified-Since is sent instead."
    else:
        text += " Optional here (POLLFEED_REQUIRE_IF_MATCH is off): without it the write is unconditional."
    return {"in": "header", "name": "If-Match", "required": required, "schema": _STRING, "description": text}


def _header(name, description):
    return {"in": "header", "name": name, "required": False, "schema": _STRING, "description": description}


def is_conditional(method, declared):
    """Whether a write acts on an existing resource under its preconditions (resources.write_item): every
    PATCH, PUT and DELETE, and a POST that declares 412 or 428 (WRITE_DOC), such as an action on an item.
    Any other POST is a create, which has no version to match: no If-Match, no 412, no 428."""
    return method in ("put", "patch", "delete") or bool({"412", "428"} & declared)


class ProblemDocs(BasePlugin):
    """Completes each operation's responses and conditional headers; see the module's docstring.

    `require_if_match` is the app's POLLFEED_REQUIRE_IF_MATCH: with it, conditional writes declare
    If-Match required and answer 428; without it, neither.
    """

    def __init__(self, require_if_match=True):
        self.require_if_match = require_if_match

    def init_spec(self, spec):
        super().init_spec(spec)
        spec.components.schema("Problem", PROBLEM_SCHEMA)

    def operation_helper(self, path=None, operations=None, **kwargs):
        for method, op in (operations or {}).items():
            if method != "get" and method not in _WRITES:
                continue
            responses = op.setdefault("responses", {})
            responses.pop("default", None)
            for key in [k for k in responses if not isinstance(k, str)]:
                responses[str(key)] = responses.pop(key)
            declared = {c for c in responses if c.isdigit() and int(c) >= 400}
            codes = set(_ANY) | {int(c) for c in declared}
            if "{" in path:
                codes.add(404)
            body = "requestBody" in op
            conditional = creates = False
            if method == "get":
                codes |= set(_READ)
            else:
                conditional = is_conditional(method, declared)
                creates = "201" in responses
                codes |= set(_WRITE) | ({415} if body else set()) | ({412, 428} if conditional else set())
            if not conditional or not self.require_if_match:
                codes -= {428}
                responses.pop("428", None)
            if method != "get" and not conditional:
                codes -= {412}
                responses.pop("412", None)
            for code in sorted(codes):
                self._error(responses, code, body)
            if method == "get":
                responses["304"] = {"description": responses.get("304", {}).get("description") or _WHY[304],
                                    "headers": {h: _HEADERS[h] for h in ("ETag", "Cache-Control", "Vary",
                                                                         "Poll-Interval")}}
            params = op.setdefault("parameters", [])
            present = {p.get("name") for p in params if isinstance(p, dict)}
            if method == "get":
                wanted = [_header("If-None-Match", _IF_NONE_MATCH["get"]), _header("If-Match", _READ_IF_MATCH)]
            elif conditional:
                wanted = [_if_match(self.require_if_match, creates)]
                if method == "put" and creates:
                    wanted.append(_header("If-None-Match", _IF_NONE_MATCH["put"]))
            else:
                wanted = []
            params.extend(p for p in wanted if p["name"] not in present)

    @staticmethod
    def _error(responses, code, body):
        given = responses.get(str(code))
        given = given if isinstance(given, dict) and "$ref" not in given else {}
        why = _WHY.get(code) if body else _WHY_NO_BODY.get(code, _WHY.get(code))
        entry = {"description": given.get("description") or why or HTTPStatus(code).phrase,
                 "content": {PROBLEM: {"schema": PROBLEM_REF}}}
        if code in _ERROR_HEADERS:
            entry["headers"] = {h: _HEADERS[h] for h in _ERROR_HEADERS[code]}
        responses[str(code)] = entry


def _pointer(path, method):
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method


def _schema_ref(response):
    return ((response or {}).get("content", {}).get("application/json", {}).get("schema") or {}).get("$ref")


def init_app(api, require_if_match=True):
    """Complete the document of `api` (a flask-smorest Api, already bound to an app); `require_if_match`
    is that app's POLLFEED_REQUIRE_IF_MATCH, which the document follows."""
    from .fields import Timestamp

    api.DEFAULT_ERROR_RESPONSE_NAME = None  # each error status is documented on its own
    api.register_field(Timestamp, "string", "date-time")
    plugin = ProblemDocs(require_if_match)
    plugin.init_spec(api.spec)
    api.spec.plugins.append(plugin)
    name_partial_schemas(api.ma_plugin)


def name_partial_schemas(plugin):
    """A schema loaded with partial=True (a PATCH's body: every field optional) is a component of its own,
    `<Name>Update` beside `<Name>`, where the app's name resolver does not tell them apart already: no
    second schema class to write for it, and no name apispec has to make unique."""
    base = plugin.schema_name_resolver
    if getattr(base, "names_partial_schemas", False):
        return

    def resolve(schema):
        name = base(schema)
        if name and getattr(schema, "partial", False) and name == base(type(schema)):
            return name + "Update"
        return name

    resolve.names_partial_schemas = True
    plugin.schema_name_resolver = resolve
    if plugin.converter is not None:
        plugin.converter.schema_name_resolver = resolve


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
                if method in ("get", *_WRITES) and target.count("{") == 1:
                    below = target[len(item):].replace("-", "/").split("/")
                    name = ref.rsplit("/", 1)[-1] + "".join(part.capitalize() for part in below)
                    links[method.capitalize() + name] = {
                        "operationRef": _pointer(target, method), "parameters": {param: "$response.body#/id"}}
        if links:
            created["links"] = links


# --- examples ------------------------------------------------------------------------------------

#: The engine's own fields; the host adds its domain's words (add_examples(spec, text=...)).
_TEXT = {"cursor": "3f9a1c2e.2s.5c2k1q", "next": "3f9a1c2e.2t.9xw3b", "op": "update", "etag": '"v3-2s9x1k"'}
_NUMBERS = {"version": 3, "limit": 100}
_ID = "01JDQ8V5K2M3N4P5Q6R7S8T9VW"


def _example(name, prop, schemas, words, depth=0):
    text, numbers = words
    if "$ref" in prop or "allOf" in prop:
        ref = prop.get("$ref") or prop["allOf"][0].get("$ref", "")
        target = schemas.get(ref.rsplit("/", 1)[-1])
        return _object_example(target, schemas, words, depth + 1) if target and depth < 3 else {}
    if "enum" in prop:
        return prop["enum"][0]
    kind, fmt = prop.get("type"), prop.get("format")
    if kind == "string":
        if fmt == "date-time":
            return "2026-11-23T09:30:00Z"
        if name == "id" or name.endswith("_id") or name.endswith("_by"):
            return _ID
        return text.get(name, "text")
    if kind == "integer":
        return numbers.get(name, 1)
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return False
    if kind == "array":
        item = _example(name.rstrip("s"), prop.get("items", {}), schemas, words, depth + 1)
        return [item] if item not in ({}, None) else []
    return {}


def _object_example(schema, schemas, words, depth=0):
    props = schema.get("properties") or {}
    return {name: _example(name, prop, schemas, words, depth) for name, prop in props.items()}


def add_examples(spec, text=None, numbers=None):
    """An example for every schema of the document that has none, from its fields' names and types,
    so that every operation shows one in /docs. `text` and `numbers` give example values by field name
    for the host's own fields (strings, integers); ids and dates are made up from their formats."""
    schemas = spec.components.schemas
    words = ({**_TEXT, **(text or {})}, {**_NUMBERS, **(numbers or {})})
    for schema in schemas.values():
        if isinstance(schema, dict) and schema.get("properties") and "example" not in schema:
            schema["example"] = _object_example(schema, schemas, words)
