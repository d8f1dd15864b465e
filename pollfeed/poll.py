"""The poll path: a conditional GET answered 304 by one SQL statement, ahead of Flask.

A dashboard's poll is nearly always "nothing new". This WSGI middleware
answers that case before Flask routes, parses or serialises anything: it
matches the path through Flask's own url_map (its rules and converters) against
the GET routes that declare how they are polled (`item`, `scoped_list`, `feed`
below), and runs one statement, compiled once
per dialect, that goes from the token's hash to the principal, the read rule,
and the version or watermark the tag is made of. When the client's
If-None-Match names that tag, it answers 304 with exactly the headers Flask's
304 would carry. Everything else goes to Flask unchanged: a tag that no longer
matches (a 200), any other precondition header, a malformed request, an
unknown route, a route that declares nothing, and any database error, so that
401, 404, 410 and the 503 mapping have one home.

The declarations are the ones the Flask views serve themselves from: `item`
loads the row for the view through `resources.read_item` with the same model,
keys and read rule; list and feed views compute the same tags through
`resources` and `feed`. A differential test (tests/pollfeed/test_poll_path.py) keeps
both paths' 304s equal, header by header, on every GET route.

Each poll reads the database, on a connection of the thread's own in
autocommit mode, so a write committed by any worker is seen by the next poll
on any other. On SQLite the decision (path, query and token -> the current
tag) is remembered per connection under the database's own record of commits:
the WAL-index header, which every commit rewrites (pollfeed.walindex), or where
that cannot be read `PRAGMA data_version`, which moves whenever any other
connection, in any process, commits (the poll path's connection never
writes). A repeated poll reads that record, and routes, parses and runs its
statement again only if something was committed since.
PostgreSQL has no such counter short of a round trip, so there each poll runs
its statement.
"""
import functools
import hmac
import logging
import os
import threading
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, NamedTuple

from flask import current_app
from marshmallow import ValidationError
from sqlalchemy import BigInteger, Boolean, String, bindparam, exists, literal, or_, select
from sqlalchemy.exc import DBAPIError
from werkzeug.datastructures import Headers
from werkzeug.exceptions import HTTPException
from werkzeug.http import parse_etags
from werkzeug.sansio.request import Request as SansioRequest

from . import cursor as cursors
from . import walindex
from .callers import PRINCIPAL_KEY, Found, caller
from .changelog import FeedState
from .etags import digest_tag, list_tag, version_tag
from .feed import (
    Query,
    access_end,
    at_position,
    can_follow,
    mark,
    page_tag,
    scope_position,
    scope_stamp,
    span,
    stamp_at,
    state_columns,
    state_of,
    visible_watermark,
)
from .http import Blueprint
from .lookup import Lookup
from .polling import advice_headers
from .problems import NotFound
from .resources import read_item
from .versioned import models, private_key

log = logging.getLogger("pollfeed.poll")

#: As a key's value in `item(...)`: the caller's own id (for rows private to the caller).
PRINCIPAL = "<principal>"


class _Source(NamedTuple):
    source: Any  # a FROM clause joining the host's tokens to its principals
    token_hash: Any
    principal_id: Any
    is_admin: Any
    name: Any
    valid: Any  # a clause: the token is not revoked
    digest: Callable[[str], str]  # token -> its stored hash


class PrincipalSource(_Source):
    """How a token's hash finds its principal, in SQL (Pollfeed.bearer_tokens): the host's columns."""

    __slots__ = ()

    def __new__(cls, *args, user_id=None, **kwargs):
        # `user_id` is the field's former name: kept, deprecated, for hosts written against it.
        if user_id is not None:
            warnings.warn("PrincipalSource(user_id=...) is now PrincipalSource(principal_id=...)",
                          DeprecationWarning, stacklevel=2)
            kwargs["principal_id"] = user_id
        return super().__new__(cls, *args, **kwargs)



def readable_rule(scope_column):
    """The read rule for the Flask path (the caller from the request), as resources.read_item takes it."""
    return current_app.extensions["pollfeed"].extension.readable(scope_column)


# --- declarations --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Item:
    """GET of one versioned row: `keys` map model attributes to URL variables (or PRINCIPAL)."""

    model: type
    keys: tuple
    optional: bool = False


@dataclass(frozen=True)
class ScopedList:
    """GET of a list tagged by a scope's watermark (the caller's private one with `audience`).

    `query` is the view's query-string schema: a poll whose query it refuses goes to Flask.
    `digest` (a resources.Digest) makes the list digest-tagged instead: always, or when its
    query parameter is given (a search).
    """

    scope_arg: str  # the URL variable that holds the scope id
    audience: bool = False
    query: Any = None
    digest: Any = None


@dataclass(frozen=True)
class Feed:
    """GET /changes; `query` is the view's query-string schema, which the poll path loads too."""

    query: Any


@dataclass(frozen=True)
class CallerList:
    """GET of everything the caller can read (e.g. the scopes they belong to), tagged by their visible
    watermark."""

    query: Any = None


def _mark(spec):
    def decorate(fn):
        fn.__poll__ = spec
        return fn
    return decorate


def item(model, optional=False, **keys):
    """Declare an item GET and serve the Flask path from the same declaration.

    The view receives the loaded row (or None, with `optional`, when there is
    none) in place of the URL variables named in `keys`; 404 and 304 are
    decided before it runs, from the version alone.
    """
    spec = Item(model, tuple(keys.items()), optional)

    def decorate(fn):
        @functools.wraps(fn)
        def view(*args, **kwargs):  # a MethodView's method (args: self, smorest's arguments) or a plain view
            values = {attr: caller().id if var == PRINCIPAL else kwargs[var] for attr, var in spec.keys}
            try:
                obj = read_item(model, readable_rule, **values)
            except NotFound:
                if not optional:
                    raise
                obj = None
            if not optional:  # with `optional` the view answers for a missing row: it keeps the variables
                for _attr, var in spec.keys:
                    kwargs.pop(var, None)
            return fn(*args, obj, **kwargs)

        view.__poll__ = spec
        return view

    return decorate


def scoped_list(scope_arg, audience=False, query=None, digest=None):
    """Declare a scoped list GET for the poll path (the view tags it with resources.scoped_page, or
    with resources.digest_page and the same `digest`)."""
    return _mark(ScopedList(scope_arg, audience, query, digest))


def caller_list(query=None):
    """Declare a list of everything the caller can read (the view tags it with resources.caller_page)."""
    return _mark(CallerList(query))


def feed(query):
    """Declare the change feed (the view tags it with feed.read); `query` is its query-string schema."""
    return _mark(Feed(query))


# --- statements ----------------------------------------------------------------------------------

def data_version(conn):
    """SQLite's record of commits as a statement: PRAGMA data_version on a cursor kept for it."""
    cursor = conn.cursor()
    return lambda: cursor.execute("PRAGMA data_version").fetchone()[0]


def _principal_select(ext, *columns):
    """The token's principal (columns labelled pf_*) and a statement's own `columns` (labelled by it)."""
    p = ext.tokens
    return (select(p.token_hash.label("pf_token_hash"), p.principal_id.label("pf_principal_id"),
                   p.is_admin.label("pf_is_admin"), p.name.label("pf_name"), *columns).select_from(p.source)
            .where(p.token_hash == bindparam("pf_hash", type_=String), p.valid))


def _scope_exists(ext, scope):
    """The scope names something that exists: a row of the model that is its own scope (`__scope_attr__`
    "id")."""
    owners = [m for m in models(ext.db.metadata).values() if m.__scope_attr__ == "id"]
    return or_(*(exists().where(m.id == scope) for m in owners)) if owners else literal(True, Boolean)


def _build_item(ext, spec):
    p, model = ext.tokens, spec.model
    criteria = [getattr(model, attr) == (p.principal_id if var == PRINCIPAL else
                                         bindparam(f"u_{var}", type_=getattr(model, attr).type))
                for attr, var in spec.keys]  # the key's value as the URL's converter made it, typed as its column
    scope = getattr(model, model.__scope_attr__)
    audience = getattr(model, model.__audience_attr__) if model.__audience_attr__ else model.id
    return _principal_select(ext, model.version.label("version"), model.stamp.label("stamp"),
                             audience.label("audience")).select_from(model.__table__).where(
        *criteria, ext.readable(scope, p.principal_id, p.is_admin))


def _build_scoped(ext, spec):
    p = ext.tokens
    st = FeedState.__table__.c
    key = (private_key(bindparam("u_scope_key", type_=String), p.principal_id) if spec.audience
           else bindparam("u_scope_key", type_=String))
    scope = bindparam("u_scope")  # untyped: it takes the type of the host's column it meets
    return (_principal_select(ext, scope_position(key).label("position"), scope_stamp(key).label("stamp"),
                              st.horizon, st.horizon_stamp)
            .join(FeedState.__table__, st.id == 1)
            .where(_scope_exists(ext, bindparam("u_scope_exists")),
                   ext.readable(scope, p.principal_id, p.is_admin)))


def _build_digest(ext, spec):
    """The digest's parts and, read in the same snapshot, the scope's watermark they were taken at."""
    p = ext.tokens
    scope = bindparam("u_scope")
    parts = spec.digest.aggregate(bindparam("u_scope_d"), bindparam("u_value", type_=String),
                                  p.principal_id)
    key = bindparam("u_scope_w", type_=String)
    return _principal_select(ext, parts.label("digest"), scope_position(key).label("position"),
                             scope_stamp(key).label("stamp")).where(
        _scope_exists(ext, bindparam("u_scope_exists")),
        ext.readable(scope, p.principal_id, p.is_admin))


def _visible(p, scoped):
    """feed.visible_watermark, decided in the statement from the principal's own columns. Each place
    the scope goes in has a bind of its own: PostgreSQL deduces one type per parameter."""
    scope = bindparam("f_scope", type_=String)
    return visible_watermark(p.is_admin, scoped, p.principal_id, scope, bindparam("f_scope2", type_=String),
                             private_key(bindparam("f_scope3", type_=String), p.principal_id))


def _build_feed(ext, scoped):
    """feed.STATE_COLUMNS, then (if `scoped`) feed.access_end: the Flask path's feed state, for the
    token's principal."""
    p = ext.tokens
    st = FeedState.__table__.c
    follow = [access_end(bindparam("f_scope4", type_=String), p.principal_id, p.is_admin).label("access_end")
              ] if scoped else []
    return _principal_select(ext, *state_columns(_visible(p, scoped), bindparam("f_at", type_=BigInteger)),
                             *follow).join(FeedState.__table__, st.id == 1)


def _build_caller(ext):
    p = ext.tokens
    st = FeedState.__table__.c
    visible = _visible(p, False)
    return _principal_select(ext, visible.label("position"), stamp_at(visible).label("stamp"), st.horizon,
                             st.horizon_stamp).join(
        FeedState.__table__, st.id == 1)


# --- the middleware ------------------------------------------------------------------------------

_FLASK = (None, None, None)  # a decision: Flask answers (and finds the caller itself)


class _Principal(NamedTuple):
    """Whom a statement's token named."""

    id: Any
    is_admin: bool


@dataclass
class _Route:
    spec: Any
    rule: str
    statements: dict = field(default_factory=dict)


def load_query(schema, query_string):
    """What the view's schema makes of `query_string`, parsed as the Flask path parses it (werkzeug's
    args, webargs' proxy and the views' own parser, pollfeed.http.Parser), or None: the parser refuses it
    (a 400, Flask's to give)."""
    req = SansioRequest("GET", "http", None, "", "/", query_string.encode("latin-1"), Headers(), None)
    try:
        return Blueprint.ARGUMENTS_PARSER.parse(schema, req, location="query")
    except (HTTPException, ValidationError):
        return None


def _list_params(hashed, scope):
    """A scoped list's parameters: the scope as its URL converter made it, for the host's columns, and as
    text, the log's key."""
    return {"pf_hash": hashed, "u_scope_key": str(scope), "u_scope": scope, "u_scope_exists": scope}


class PollPath:
    """WSGI middleware in front of Flask; see the module's docstring."""

    def __init__(self, app):
        self.app, self.flask = app, app.wsgi_app
        self.ext = app.extensions["pollfeed"].extension  # its token source and read rule
        self.routes = None
        # Polls repeat: the same dashboard asks for the same path and query string every few seconds. So the
        # path's route and what the route's schema makes of the query string are remembered (bounded); neither
        # depends on the database.
        self.matched = {}  # path -> (route, URL values)
        self.queries = {}  # (schema, query string) -> its loaded arguments, or None (refused)
        # Rules that depend on the host (host or subdomain matching, SERVER_NAME) are matched per host.
        self.hosted = bool(app.url_map.host_matching or app.subdomain_matching or app.config["SERVER_NAME"])
        self.digests = {}  # (route, scope, search, token) -> (watermark, digest tag): see _tag
        self.answered = 0  # 304s this path answered (for tests and the curious)
        # With CORS on, a request with Origin goes to Flask, which adds the CORS headers (app/cors.py).
        self.cors = app.config["POLLFEED_CORS"]
        self.local = threading.local()
        self.lock = threading.Lock()
        from .state import db

        with app.app_context():
            self.engine = db.engine
        self.database_errors = (DBAPIError, self.engine.dialect.loaded_dbapi.Error)
        # Remember answers under SQLite's change counter: only for a database file, where the poll
        # path's connection is its own (an in-memory database's would be shared with the writers').
        database = self.engine.url.database
        self.remembers = (self.engine.dialect.name == "sqlite" and bool(database) and database != ":memory:"
                          and not database.startswith("file::memory:") and app.config["POLLFEED_POLL_MEMO"])
        self.header_path = (os.path.abspath(database) if self.remembers and not database.startswith("file:")
                            else None)

    # -- routing

    def _routes(self):
        """endpoint -> _Route, for every GET whose view declares how it is polled."""
        if self.routes is None:
            with self.lock:
                if self.routes is None:
                    routes = {}
                    for rule in self.app.url_map.iter_rules():
                        if "GET" not in rule.methods:
                            continue
                        view = self.app.view_functions[rule.endpoint]
                        fn = getattr(getattr(view, "view_class", None), "get", view)
                        spec = getattr(fn, "__poll__", None)
                        if spec is not None:
                            routes[rule.endpoint] = _Route(spec, rule.rule)
                    self.routes = routes
        return self.routes

    def _match(self, environ, path):
        """(route, URL values) through Flask's own url_map (its converters, its rules), or (None, None)."""
        key = (environ.get("HTTP_HOST"), path) if self.hosted else path
        found = self.matched.get(key)
        if found is None:
            found = (None, None)
            try:
                endpoint, values = self.app.url_map.bind_to_environ(
                    environ, server_name=self.app.config["SERVER_NAME"]).match(path, method="GET")
            except HTTPException:  # 404, 405, or a redirect (a missing slash): Flask answers
                pass
            else:
                route = self._routes().get(endpoint)
                if route is not None:
                    found = (route, values)
            if len(self.matched) >= 8192:
                self.matched.clear()
            self.matched[key] = found
        return found

    # -- the database

    def _cursor(self):
        conn = getattr(self.local, "conn", None)
        if conn is None:
            raw = self.engine.raw_connection()  # made by the engine: SQLite's pragmas and WAL apply
            raw.detach()  # ours for this thread: not the pool's, so it never holds a pooled slot
            conn = raw.dbapi_connection
            if self.engine.dialect.name == "postgresql":
                conn.autocommit = True  # every poll its own snapshot: nothing committed is missed
                # The poll path's statements are fixed, indexed lookups, prepared by psycopg after a few
                # runs; PostgreSQL would still re-plan some on every run (a custom plan per parameter
                # set: about 0.4 ms for the feed's, whose execution takes 0.1 ms). A generic plan is the
                # same plan without the planning (bench/poll304.py, docs/benchmarks.md).
                conn.execute("SET plan_cache_mode = force_generic_plan")
            self.local.conn = conn
            self.local.decisions, self.local.seen = {}, None
            self.local.record = None
            if self.remembers:
                pragma = data_version(conn)  # read once here: the connection is open in WAL mode after it
                pragma()
                # The record cheaper than a statement: the WAL-index header (pollfeed.walindex).
                self.local.record = (self.header_path and walindex.reader(self.header_path)) or pragma
        return conn.cursor()

    def _drop(self):
        conn = getattr(self.local, "conn", None)
        self.local.conn = self.local.decisions = self.local.record = None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # it is gone already
                pass

    def close(self):
        self._drop()

    # -- WSGI

    def __call__(self, environ, start_response):
        if (environ.get("REQUEST_METHOD") in ("GET", "HEAD") and "HTTP_IF_NONE_MATCH" in environ
                and environ.get("pollfeed.poll_path", True)):
            try:
                headers = self.decide(environ)
            except self.database_errors:  # decided by Flask instead, which maps database errors to 503
                log.debug("poll path: database error, Flask answers", exc_info=True)
                self._drop()
                headers = None
            except Exception:  # a bug here must not cost the request: Flask answers, the log tells
                log.exception("poll path failed; Flask answers")
                self._drop()
                headers = None
            if headers is not None:
                self.answered += 1
                start_response("304 NOT MODIFIED", headers)
                return []
        return self.flask(environ, start_response)

    def decide(self, environ):
        """The 304's headers, or None for Flask to answer."""
        if "HTTP_IF_MATCH" in environ or "HTTP_IF_MODIFIED_SINCE" in environ or (
                "HTTP_IF_UNMODIFIED_SINCE" in environ) or (self.cors and "HTTP_ORIGIN" in environ):
            return None
        scheme, _, token = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None
        hashed = self.ext.tokens.digest(token)
        key = (environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""), hashed)
        if self.hosted:
            key += (environ.get("HTTP_HOST"),)
        decisions = self._decisions()
        found = decisions.get(key) if decisions is not None else None
        if found is None:
            found = self._decide(environ, *key[:3])
            if decisions is not None:
                if len(decisions) >= 8192:
                    decisions.clear()
                decisions[key] = found
        rule, tag, who = found
        if who is not None:  # Flask answers with the caller found here (PRINCIPAL_KEY)
            environ[PRINCIPAL_KEY] = who
        if tag is None:
            return None
        given = environ["HTTP_IF_NONE_MATCH"]
        if given != tag:  # the usual poll names exactly the current tag; anything else is parsed
            tags = parse_etags(given)
            if not (tags.star_tag or tags.contains_weak(tag.removeprefix("W/").strip('"'))):
                return None
        environ["pollfeed.route"] = rule
        return [("ETag", tag), *advice_headers(self.app)]

    def _decisions(self):
        """SQLite: this connection's remembered decisions, emptied whenever the record of commits moved."""
        if not self.remembers:
            return None
        local = self.local
        if getattr(local, "conn", None) is None:
            self._cursor().close()
        committed = local.record()
        if committed != local.seen:
            local.decisions.clear()
            local.seen = committed
        return local.decisions

    def _decide(self, environ, path, qs, hashed):
        """(route template, current tag, caller) for this path, query and token; without a tag Flask
        decides. The caller (see PRINCIPAL_KEY) is whoever the token named when the statement ran.

        On SQLite the answer is remembered under the change counter read before it was computed: it
        reflects the database at that counter or later, and any later commit moves the counter.
        """
        if not path.isascii() or "\x00" in path or "%00" in qs or not qs.isascii():
            return _FLASK
        route, values = self._match(environ, path)
        if route is None:
            return _FLASK
        spec = route.spec
        query = getattr(spec, "query", None)
        loaded = {}
        if query is not None:  # (items take no query parameters; Flask ignores them too)
            loaded = self._load(query, qs)
            if loaded is None:
                return _FLASK  # a 400: Flask's
        self.local.caller = None  # set by _principal, if the statement found the token's principal
        if isinstance(spec, Feed):
            tag = self._feed_tag(route, loaded, hashed)
        else:
            tag = self._tag(route, spec, values, loaded, hashed)
        return (None if tag is None else route.rule, tag, self.local.caller)

    def _load(self, schema, qs):
        """load_query, remembered per schema and query string."""
        key = (schema, qs)
        try:
            return self.queries[key]
        except KeyError:
            pass
        loaded = load_query(schema, qs)
        if len(self.queries) >= 8192:
            self.queries.clear()
        self.queries[key] = loaded
        return loaded

    def _run(self, route, key, build, params):
        stmt = route.statements.get(key)
        if stmt is None:
            stmt = route.statements[key] = Lookup(build())
        cursor = self._cursor()
        try:
            return stmt.first_on(cursor, self.engine.dialect, params)
        finally:
            cursor.close()

    def _principal(self, row, hashed):
        """The statement's row's principal, or None: the token names nobody."""
        if row is None or not hmac.compare_digest(row.pf_token_hash, hashed):
            return None
        self.local.caller = Found(hashed, row.pf_principal_id, row.pf_name, bool(row.pf_is_admin))
        return _Principal(row.pf_principal_id, bool(row.pf_is_admin))

    def _tag(self, route, spec, values, loaded, hashed):
        if isinstance(spec, Item):
            params = {f"u_{var}": values[var] for _attr, var in spec.keys if var != PRINCIPAL}
            row = self._run(route, "item", lambda: _build_item(self.ext, spec), {"pf_hash": hashed, **params})
            if self._principal(row, hashed) is None:
                return None
            return version_tag(row.version, row.stamp, row.audience if spec.model.__audience_attr__ else None)
        if isinstance(spec, ScopedList) and spec.digest is not None and (
                spec.digest.param is None or loaded.get(spec.digest.param)):
            scope = values[spec.scope_arg]
            value = spec.digest.value(loaded[spec.digest.param]) if spec.digest.param else ""
            # A digest taken at the scope's watermark W holds as long as the watermark is W: every change to
            # a row it covers is a change in the scope. So a repeated search poll reads only the watermark
            # (the list's statement) and reuses the digest; it aggregates again once the watermark moved.
            memo_key = (route.rule, scope, value, hashed)
            memo = self.digests.get(memo_key)
            if memo is not None:
                row = self._run(route, "list", lambda: _build_scoped(self.ext, spec),
                                _list_params(hashed, scope))
                if self._principal(row, hashed) is None:
                    return None
                if (row.position, row.stamp) == memo[0]:
                    return memo[1]
            row = self._run(route, "digest", lambda: _build_digest(self.ext, spec),
                            {"pf_hash": hashed, "u_scope": scope, "u_scope_d": scope, "u_scope_exists": scope,
                             "u_scope_w": str(scope), "u_value": value})
            if self._principal(row, hashed) is None:
                return None
            tag = digest_tag(row.digest)
            if len(self.digests) >= 8192:
                self.digests.clear()
            self.digests[memo_key] = ((row.position, row.stamp), tag)
            return tag
        if isinstance(spec, ScopedList):
            scope = values[spec.scope_arg]
            row = self._run(route, "list", lambda: _build_scoped(self.ext, spec),
                            _list_params(hashed, scope))
            principal = self._principal(row, hashed)
            if principal is None:
                return None
            return list_tag(*mark(row.position, row.stamp, row.horizon, row.horizon_stamp),
                            principal.id if spec.audience else None)
        if isinstance(spec, CallerList):
            row = self._run(route, "caller", lambda: _build_caller(self.ext), {"pf_hash": hashed})
            principal = self._principal(row, hashed)
            if principal is None:
                return None
            return list_tag(*mark(row.position, row.stamp, row.horizon, row.horizon_stamp), principal.id)
        return None

    def _feed_tag(self, route, loaded, hashed):
        """The feed page's tag, from the query as routes.ChangesArgs loaded it (limits, types, cursor
        characters: its rules, not a copy)."""
        since_text, limit, scope = loaded["since"], loaded["limit"], loaded["scope_id"]
        types, include = tuple(loaded["types"] or ()), loaded["include"]
        scoped = scope is not None
        try:
            parsed, at = at_position(since_text)
        except cursors.BadCursor:
            return None  # 400: Flask's
        params = {"pf_hash": hashed, "f_at": at}
        if scoped:
            params.update(f_scope=scope, f_scope2=scope, f_scope3=scope, f_scope4=scope)
        row = self._run(route, ("feed", scoped), lambda: _build_feed(self.ext, scoped), params)
        principal = self._principal(row, hashed)
        if principal is None:
            return None
        try:
            state, page_span = span(since_text, parsed, state_of(row))
        except (cursors.CursorUnknown, cursors.CursorExpired):
            return None  # 410: Flask's
        if scoped and not can_follow(principal.is_admin, row.access_end, page_span.since):
            return None  # 404: Flask's
        query = Query(since=since_text, limit=limit, scope=scope, types=types,
                      include_resource=include == "resource")
        return page_tag(principal.id, principal.is_admin, query, state, page_span)


def install(app):
    """Put the poll path in front of `app` (unless POLLFEED_POLL_PATH is off, or the extension has no token
    source: then Flask decides every 304); returns it (or None)."""
    if not app.config["POLLFEED_POLL_PATH"] or app.extensions["pollfeed"].extension.tokens is None:
        return None
    poll_path = PollPath(app)
    app.wsgi_app = poll_path
    app.extensions["pollfeed"].poll_path = poll_path
    return poll_path

