"""The poll path's WSGI middleware: a conditional GET answered 304 by one SQL statement, ahead of Flask.

It matches the path (pollfeed.poll.matching), loads the query string with the view's own schema and
parser, runs the declaration's tag query (pollfeed.queries), the Flask view's own, with the token's row
joined in (pollfeed.poll.statements) on its own connection
(pollfeed.poll.connection), and when the client's If-None-Match names the tag it makes, answers 304
with exactly the headers Flask's 304 would carry. Everything else goes to Flask unchanged.
"""
import hmac
import logging
from typing import Any, NamedTuple

from sqlalchemy.exc import DBAPIError
from werkzeug.http import parse_etags

from .. import cursor as cursors
from ..callers import PRINCIPAL_KEY, Found
from ..feed import Query, at_position
from ..lookup import Lookup
from ..polling import advice_headers
from ..problems import NotFound
from ..queries import load_query
from ..state import db
from .connection import Connections
from .declarations import CallerList, Feed, Item, ScopedList
from .matching import Routes
from .statements import build

log = logging.getLogger("pollfeed.poll")

_FLASK = (None, None, None)  # a decision: Flask answers (and finds the caller itself)


class _Principal(NamedTuple):
    """Whom a statement's token named."""

    id: Any
    is_admin: bool


class PollPath:
    """WSGI middleware in front of Flask; see the module's docstring."""

    def __init__(self, app):
        self.app, self.flask = app, app.wsgi_app
        self.ext = app.extensions["pollfeed"].extension  # its token source and read rule
        self.routes = Routes(app)
        # Polls repeat: the same dashboard asks with the same query string every few seconds, so what the
        # route's schema makes of it is remembered (bounded); it does not depend on the database.
        self.queries = {}  # (schema, query string) -> its loaded arguments, or None (refused)
        self.digests = {}  # (route, scope, search, token) -> (watermark, digest tag): see _tag
        self.answered = 0  # 304s this path answered (for tests and the curious)
        # With CORS on, a request with Origin goes to Flask, which adds the CORS headers (app/cors.py).
        self.cors = app.config["POLLFEED_CORS"]
        with app.app_context():
            self.engine = db.engine
        self.database_errors = (DBAPIError, self.engine.dialect.loaded_dbapi.Error)
        self.connections = Connections(self.engine, app.config["POLLFEED_POLL_MEMO"])
        self.local = self.connections.local  # this thread's connection, and the caller its statement found

    def close(self):
        """Close this thread's connection."""
        self.connections.drop()

    # -- WSGI

    def __call__(self, environ, start_response):
        if (environ.get("REQUEST_METHOD") in ("GET", "HEAD") and "HTTP_IF_NONE_MATCH" in environ
                and environ.get("pollfeed.poll_path", True)):
            try:
                headers = self.decide(environ)
            except self.database_errors:  # decided by Flask instead, which maps database errors to 503
                log.debug("poll path: database error, Flask answers", exc_info=True)
                self.connections.drop()
                headers = None
            except Exception:  # a bug here must not cost the request: Flask answers, the log tells
                log.exception("poll path failed; Flask answers")
                self.connections.drop()
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
        if self.routes.hosted:
            key += (environ.get("HTTP_HOST"),)
        decisions = self.connections.decisions()
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

    def _decide(self, environ, path, qs, hashed):
        """(route template, current tag, caller) for this path, query and token; without a tag Flask
        decides. The caller (see PRINCIPAL_KEY) is whoever the token named when the statement ran.

        On SQLite the answer is remembered under the change counter read before it was computed: it
        reflects the database at that counter or later, and any later commit moves the counter.
        """
        if not path.isascii() or "\x00" in path or "%00" in qs or not qs.isascii():
            return _FLASK
        route, values = self.routes.match(environ, path)
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
            tag = self._feed_tag(route, spec, loaded, hashed)
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
        cursor = self.connections.cursor()
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
        """The declaration's tag, from its query (pollfeed.queries) run with the token's row."""
        tags = spec.tags
        if isinstance(spec, Item):
            row = self._run(route, "item", lambda: build(self.ext, spec),
                            {"pf_hash": hashed, **tags.params(values)})
            return None if self._principal(row, hashed) is None else tags.tag(row)
        if isinstance(spec, CallerList):
            row = self._run(route, "caller", lambda: build(self.ext, spec), {"pf_hash": hashed})
            principal = self._principal(row, hashed)
            return None if principal is None else tags.tag(row, principal.id)
        if not isinstance(spec, ScopedList):
            return None
        scope = values[spec.scope_arg]
        digested, value = tags.digested(loaded)
        memo_key = (route.rule, scope, value, hashed)
        # A digest taken at the scope's watermark W holds as long as the watermark is W: every change to a
        # row it covers is a change in the scope. So a repeated search poll reads only the watermark (the
        # list's statement) and reuses the digest; it aggregates again once the watermark moved. Not for a
        # list private to the caller: its rows move two watermarks, the scope's and the caller's own.
        remember = digested and not tags.audience
        memo = self.digests.get(memo_key) if remember else None
        if memo is not None:
            row = self._run(route, ("list", False), lambda: build(self.ext, spec, False),
                            {"pf_hash": hashed, **tags.params(scope)})
            if self._principal(row, hashed) is None:
                return None
            if (row.position, row.stamp) == memo[0]:
                return memo[1]
        row = self._run(route, ("list", digested), lambda: build(self.ext, spec, digested),
                        {"pf_hash": hashed, **tags.params(scope, value)})
        principal = self._principal(row, hashed)
        if principal is None:
            return None
        tag = tags.tag(row, principal.id, digested)
        if remember:
            if len(self.digests) >= 8192:
                self.digests.clear()
            self.digests[memo_key] = ((row.position, row.stamp), tag)
        return tag

    def _feed_tag(self, route, spec, loaded, hashed):
        """The feed page's tag, from its query (feed.FeedQuery) run with the token's row; the query string as
        routes.ChangesArgs loaded it (limits, types, cursor characters: its rules, not a copy)."""
        since_text, scope = loaded["since"], loaded["scope_id"]
        scoped = scope is not None
        try:
            parsed, at = at_position(since_text)
        except cursors.BadCursor:
            return None  # 400: Flask's
        row = self._run(route, ("feed", scoped), lambda: build(self.ext, spec, scoped),
                        {"pf_hash": hashed, **spec.tags.params(scope, at)})
        principal = self._principal(row, hashed)
        if principal is None:
            return None
        query = Query(since=since_text, limit=loaded["limit"], scope=scope, types=tuple(loaded["types"] or ()),
                      include_resource=loaded["include"] == "resource")
        try:
            return spec.tags.decide(row, query, parsed, principal.id, principal.is_admin)[2]
        except (cursors.CursorUnknown, cursors.CursorExpired, NotFound):
            return None  # 410 or 404: Flask's


def install(app):
    """Put the poll path in front of `app` (unless POLLFEED_POLL_PATH is off, or the extension has no token
    source: then Flask decides every 304); returns it (or None)."""
    if not app.config["POLLFEED_POLL_PATH"] or app.extensions["pollfeed"].extension.tokens is None:
        return None
    poll_path = PollPath(app)
    app.wsgi_app = poll_path
    app.extensions["pollfeed"].poll_path = poll_path
    return poll_path
