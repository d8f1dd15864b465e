"""GET /changes: the change feed."""
import flask
from flask import current_app
from marshmallow import Schema, ValidationError, fields, validate, validates
from webargs.fields import DelimitedList

from . import cursor as cursors
from . import feed, poll
from .callers import authenticate, caller
from .http import LIST_HEADERS, PARSER, optional_missing, page_limit
from .versioned import models

_CURSOR_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~")


class KnownTypes(validate.OneOf):
    """One of the change types of the app's models, read when used: models register after the extension
    is made. `metadata()` is the app's db's (no app context needed: the poll path loads the query too).
    A OneOf, so the OpenAPI document lists them as an enum."""

    def __init__(self, metadata):
        self.metadata = None  # not read while the validator is made: the extension may have no db yet
        super().__init__((), error="Unknown type {input!r}; known: {choices}.")
        self.metadata = metadata

    @property
    def choices(self):
        return sorted(models(self.metadata())) if self.metadata is not None else []

    @choices.setter
    def choices(self, _ignored):
        pass

    @property
    def choices_text(self):
        return ", ".join(self.choices)

    @choices_text.setter
    def choices_text(self, _ignored):
        pass


def changes_blueprint(scope, metadata):
    """The change feed's blueprint, for a scope named `scope` on the wire: the filter `?<scope>=` and
    each change's `<scope>_id`. Built once per extension (Pollfeed.blueprint)."""
    class ChangesArgs(Schema):
        since = fields.String(
            load_default=None,
            metadata={"description": "a cursor; omitted: from the oldest retained change; `now`: from the head",
                      "pattern": f"^(?:now|{cursors.FORM})$"},
        )
        limit = page_limit("1..1000")
        scope_id = fields.String(load_default=None, data_key=scope,
                                 metadata={"description": f"only this {scope}'s changes"})
        types = DelimitedList(fields.String(validate=KnownTypes(metadata)), load_default=tuple,
                              validate=validate.Length(min=1), metadata={
            "description": "comma list of change types; without it, every type but the bookkeeping ones "
                           "(those declared with __feed_default__ = False), which come only when named"})
        include = fields.String(load_default=None, validate=validate.OneOf(["resource"]),
                                metadata={"description": "`resource` embeds current representations"})

        @validates("since")
        def _since(self, value, **kwargs):
            if value is None:
                return
            if value == "" or not set(value) <= _CURSOR_CHARS:
                raise ValidationError("Malformed cursor.")

    class ChangeSchema(Schema):
        cursor = fields.String(metadata={"pattern": cursors.PATTERN})
        type = fields.String()
        id = fields.String()
        scope_id = fields.String(allow_none=True, data_key=f"{scope}_id")
        op = fields.String(metadata={"enum": ["create", "update", "delete"]})
        version = fields.Integer()
        fields_ = fields.List(fields.String(), attribute="fields", data_key="fields")
        at = fields.String(metadata={"format": "date-time"})
        resource = fields.Dict(allow_none=True)

    class ChangesPage(Schema):
        changes = fields.List(fields.Nested(ChangeSchema))
        next = fields.String(metadata={"description": "the cursor to follow", "pattern": cursors.PATTERN})
        has_more = fields.Boolean()

    args = ChangesArgs()  # one schema for both paths: Flask's arguments and the poll path's

    def changes(since, limit, scope_id, types, include):
        """Changes since a cursor, oldest first, filtered to what the caller may read."""
        query = feed.Query(
            since=since, limit=limit, scope=scope_id,
            types=tuple(types) if types else (), include_resource=include == "resource",
        )
        body, etag = feed.read(caller(), query, scope_field=f"{scope}_id")
        # feed.read serialises the page itself (each change once per worker; with include=resource a
        # JSON-ready dict): not again by the ChangesPage schema, which documents it.
        if isinstance(body, str):
            response = current_app.response_class(body, mimetype="application/json")
        else:
            response = current_app.json.response(body)
        response.headers["ETag"] = etag
        return response

    declared = poll.feed(args)(changes)
    try:
        from .smorest import Blueprint
    except ModuleNotFoundError as missing:  # flask-smorest is optional: the same view and schema, plain
        if not optional_missing(missing):
            raise
        blp = flask.Blueprint("changes", __name__)
        blp.before_request(authenticate)  # the feed is a caller's: 401 without one
        blp.get("/changes")(PARSER.use_kwargs(args, location="query")(declared))
        return blp
    blp = Blueprint("changes", __name__, description="The change feed: what changed since a cursor.")
    blp.before_request(authenticate)
    docs = blp.doc(responses={
        "304": {"description": "Nothing new since the tag's poll"},
        "400": {"description": "Bad cursor or parameter"},
        "404": {"description": f"The {scope} filter names a {scope} the caller cannot read"},
        "410": {"description": "The cursor cannot be continued here (expired, or from another database or "
                               "another state of this one): re-list"}})
    blp.route("/changes", methods=["GET"])(blp.arguments(args, location="query", as_kwargs=True)(
        blp.response(200, ChangesPage, headers=LIST_HEADERS)(docs(declared))))
    return blp
