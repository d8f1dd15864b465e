"""Tag queries: what a pollable GET's tag is made of, as one SQL statement, and the tag made from its row.

Protocol-free, as werkzeug's sansio is: no request, no response, no connection, only SQL and values.
Each declaration (pollfeed.poll: `item`, `scoped_list`, `caller_list`, `feed`) owns one, and both paths
run it:

- the Flask view, before the view's own code, with the request's caller as bind parameters
  (pollfeed.poll.declarations), which then loads the row or the page only for a 200;
- the poll path, ahead of Flask, with the token's own row joined into the same statement
  (pollfeed.poll.statements.with_token), which answers the 304.

So the read rule, the scope's existence, the watermark a list is tagged by and the tag's format are
written once, here and in the modules these call (feed, etags); a differential test
(tests/pollfeed/test_poll_path.py) checks the two runs agree, header by header, on every GET route.

Who asks is an `Asker`: SQL for the caller's id and admin flag (bind parameters on the Flask path, the
token's columns on the poll path). A statement's URL values and query arguments are bind parameters
named `u_*`; `params` makes them from values.
"""
from dataclasses import dataclass
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import Boolean, String, bindparam, cast, exists, literal, or_, select
from werkzeug.datastructures import Headers
from werkzeug.exceptions import HTTPException
from werkzeug.sansio.request import Request as SansioRequest

from .callers import Asker
from .changelog import FeedState
from .etags import digest_tag, list_tag, version_tag
from .feed import FeedQuery, mark, scope_position, scope_stamp, stamp_at, visible_watermark
from .http import PARSER
from .versioned import logged_id, models, private_key

__all__ = ["PRINCIPAL", "Asker", "CallerQuery", "FeedQuery", "ItemQuery", "ScopeQuery", "load_query"]

#: As a key's value in `item(...)`: the caller's own id (for rows private to the caller).
PRINCIPAL = "<principal>"


def load_query(schema, query_string):
    """What the view's schema makes of `query_string`, parsed as the Flask path parses it (werkzeug's
    args, webargs' proxy and the views' own parser, pollfeed.http.Parser), or None: the parser refuses it
    (a 400, Flask's to give)."""
    req = SansioRequest("GET", "http", None, "", "/", query_string.encode("latin-1"), Headers(), None)
    try:
        return PARSER.parse(schema, req, location="query")
    except (HTTPException, ValidationError):
        return None


def scope_owners(metadata, name):
    """The models a scope id names a row of: the one whose change type is the scope's name on the wire
    (Pollfeed(scope=...): "team" for Team), else every model that is its own scope (`__scope_attr__`
    "id"); none where no model is (then nothing checks that a scope exists but the read rule)."""
    owners = [m for m in models(metadata).values() if m.__scope_attr__ == "id"]
    return [m for m in owners if m.__change_type__ == name] or owners


def scope_exists(owners, scope):
    """The scope names a row of one of `owners` (scope_owners); true where there are none."""
    return or_(*(exists().where(m.id == scope) for m in owners)) if owners else literal(True, Boolean)


def _as_column(value, column):
    """`value` (the caller's id, typed as the token source's principal column) compared to `column`: cast
    to the column's type where the two differ (a text user_id beside integer user ids), which PostgreSQL
    needs."""
    kind = getattr(value, "type", None)
    if kind is None or kind._type_affinity is column.type._type_affinity:
        return value
    return cast(value, column.type)


@dataclass(frozen=True)
class ItemQuery:
    """One versioned row's tag: its version and stamp (and audience), found by `keys` ((model attribute,
    URL variable or PRINCIPAL), ...) where the rule lets the asker read its scope. The row's `id` and
    `updated_at` come along, for the Flask path's load and Last-Modified."""

    model: type
    keys: tuple

    def statement(self, rule, who):
        model = self.model
        criteria = [getattr(model, attr) == (_as_column(who.principal_id, getattr(model, attr)) if var == PRINCIPAL
                                             else bindparam(f"u_{var}", type_=getattr(model, attr).type))
                    for attr, var in self.keys]  # the URL's value as its converter made it, typed as its column
        audience = getattr(model, model.__audience_attr__) if model.__audience_attr__ else model.id
        return select(model.id.label("id"), model.version.label("version"), model.stamp.label("stamp"),
                      model.updated_at.label("updated_at"), audience.label("audience")).where(
            *criteria, rule(getattr(model, model.__scope_attr__), who.principal_id, who.is_admin))

    def params(self, values):
        """The statement's parameters from the URL's variables."""
        return {f"u_{var}": values[var] for _attr, var in self.keys if var != PRINCIPAL}

    def tag(self, row):
        return version_tag(row.version, row.stamp, row.audience if self.model.__audience_attr__ else None)


@dataclass(frozen=True)
class ScopeQuery:
    """A list within one scope: tagged by the scope's watermark (the asker's private one with
    `audience`), or by a digest of the rows it depends on (`digest`, a resources.Digest: always, or when
    its query parameter is given). One row where the scope exists and the rule lets the asker read it,
    none otherwise (a 404): the watermark's position and stamp, the log's horizon and epoch (the page's
    cursor), and with a digest the digest's parts, read in the same snapshot."""

    audience: bool = False
    digest: Any = None

    def digested(self, loaded):
        """(whether the list is digest-tagged, the digest's bound value) for the loaded query arguments."""
        d = self.digest
        if d is None or (d.param is not None and not loaded.get(d.param)):
            return False, None
        return True, (d.value(loaded[d.param]) if d.param else "")

    def statement(self, rule, who, owners, digested=False, audience=None):
        """`owners`: the scope's models (scope_owners); `audience`: whose private rows the list holds, SQL
        (by default the asker's)."""
        st = FeedState.__table__.c
        key = bindparam("u_scope_key", type_=String)  # log keys are text
        if self.audience:
            key = private_key(key, logged_id(who.principal_id if audience is None else audience))
        parts = [self.digest.aggregate(bindparam("u_scope_d"), bindparam("u_value", type_=String),
                                       who.principal_id).label("digest")] if digested else []
        return select(scope_position(key).label("position"), scope_stamp(key).label("stamp"), st.horizon,
                      st.horizon_stamp, st.epoch, *parts).where(
            st.id == 1, scope_exists(owners, bindparam("u_scope_exists")),
            # untyped: the scope takes the type of the host's column it meets
            rule(bindparam("u_scope"), who.principal_id, who.is_admin))

    @staticmethod
    def params(scope, value=None):
        """The statement's parameters: the scope as its URL converter made it (for the host's columns) and
        as text (the log's key); the digest's value, for a digest-tagged list."""
        params = {"u_scope": scope, "u_scope_key": str(scope), "u_scope_exists": scope}
        if value is not None:
            params.update(u_scope_d=scope, u_value=value)
        return params

    @staticmethod
    def at(row):
        """(position, stamp) the list is consistent with (its cursor's)."""
        return mark(row.position, row.stamp, row.horizon, row.horizon_stamp)

    def tag(self, row, principal_id, digested=False):
        """The list's tag; `principal_id`: whose private rows it holds (with `audience`)."""
        if digested:
            return digest_tag(row.digest)
        return list_tag(*self.at(row), _audience(principal_id) if self.audience else None)


class CallerQuery:
    """A list of everything the asker can read (the scopes they belong to): tagged by their visible
    watermark, which moves with every change they can see."""

    @staticmethod
    def statement(who):
        st = FeedState.__table__.c
        visible = visible_watermark(who.shape, False, logged_id(who.principal_id))
        return select(visible.label("position"), stamp_at(visible).label("stamp"), st.horizon, st.horizon_stamp,
                      st.epoch).where(st.id == 1)

    at = staticmethod(ScopeQuery.at)

    @staticmethod
    def tag(row, principal_id):
        return list_tag(*ScopeQuery.at(row), _audience(principal_id))


def _audience(principal_id):
    """A principal's id as a tag carries it; an anonymous caller's list carries none."""
    return None if principal_id is None else str(principal_id)
