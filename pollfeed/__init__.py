"""Pollfeed: versions, 304s, If-Match and a gap-free change feed for any Flask-SQLAlchemy app.

    db = SQLAlchemy()
    pf = Pollfeed(db=db)
    pf.bearer_tokens(...)         # who the caller is, and the read rule: declared before init_app
    pf.init_app(app)              # after db.init_app(app), and after Api(app) where there is one

`Pollfeed(app, db=db)` binds at once: for an app whose caller needs no declaration (one that sets
`g.principal` itself).

The engine imports nothing from the app that uses it; the app builds on it. Its state for each app
lives in `app.extensions["pollfeed"]`.
"""
import functools
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import types as sqltypes

from . import (
    callers,
    changelog,
    conditional,
    guards,
    http,
    idempotency,
    isolation,
    poll,
    polling,
    problems,
    queries,
    resources,
    routes,
    settings,
)
from .callers import PRINCIPAL_KEY, Caller, PrincipalSource, Unauthorized, authenticate, caller, new_token, token_digest
from .changelog import FeedState, actor
from .cli import cli
from .etags import principal_tag, version_tag
from .fields import StrictBoolean, StrictInteger, Timestamp, VersionedSchema
from .http import ITEM_HEADERS, LIST_HEADERS, READ_DOC, WRITE_DOC, PageArgs, list_schema
from .ids import new_id
from .lookup import Lookup
from .migrate import include_migrations
from .problems import Conflict, Forbidden, NotFound, Problem, ValidationFailed
from .resources import locked
from .settings import boolean as parse_boolean
from .state import NAMING_CONVENTION, metadata
from .versioned import Grant, Versioned, utcnow

try:  # flask-smorest, and apispec with it, are optional: pip install 'pollfeed[openapi]'
    from . import openapi
    from .smorest import Blueprint
except ModuleNotFoundError as missing:  # plain Flask views declare with pollfeed.poll; the feed is plain
    if not http.optional_missing(missing):
        raise  # a module of ours, or another's, is broken: not a choice to go without OpenAPI
    openapi = None
    _MISSING = str(missing)

    class Blueprint:
        """Stands in for flask-smorest's Blueprint where flask-smorest is not installed."""

        def __init__(self, *args, **kwargs):
            raise ImportError(f"pollfeed.Blueprint is flask-smorest's, with the engine's declarations: pip install "
                              f"'pollfeed[openapi]' ({_MISSING}). Without it, declare plain Flask views with "
                              f"pollfeed.poll.item, scoped_list and caller_list.")

__version__ = "0.1.0"

#: The public API: what an app may import from `pollfeed` (tests/test_layout.py holds the reference server
#: to it). The modules named here are public namespaces: poll (route declarations), resources (the views'
#: helpers), conditional (preconditions), idempotency, openapi, polling (advice and the load gate), guards.
__all__ = [
    # the extension
    "NAMING_CONVENTION", "Pollfeed", "__version__", "include_migrations", "metadata", "parse_boolean",
    # models
    "FeedState", "Grant", "Versioned", "actor", "new_id", "utcnow",
    # schemas, views and tags
    "ITEM_HEADERS", "LIST_HEADERS", "READ_DOC", "WRITE_DOC", "Blueprint", "Lookup", "PageArgs", "StrictBoolean",
    "StrictInteger", "Timestamp", "VersionedSchema", "list_schema", "locked", "principal_tag", "version_tag",
    # callers
    "PRINCIPAL_KEY", "Caller", "PrincipalSource", "Unauthorized", "authenticate", "caller", "new_token",
    "token_digest",
    # problems (problem+json errors)
    "Conflict", "Forbidden", "NotFound", "Problem", "ValidationFailed",
    # public namespaces
    "conditional", "guards", "idempotency", "openapi", "poll", "polling", "problems", "resources",
]


def _principal_type(kind):
    """The SQL type of principal ids, checked: the log keys principals by their text, which SQL makes
    from the column by a cast; a Uuid's cast on SQLite is 32 hex digits, not the text the log holds."""
    if isinstance(kind, sqltypes.Uuid):
        raise TypeError("Principal ids of SQLAlchemy's Uuid type are not supported: keep your users' ids as "
                        "text (String(36), str(uuid4())) or integers (docs: the auth and scope contract).")
    return kind


@dataclass
class AppState:
    """What the engine keeps for one app, as `app.extensions["pollfeed"]`.

    The declarations (read rule, tokens, derivers, representations) are the extension's; whatever depends
    on an app's database or config is kept here, so that one extension bound to two apps keeps them apart:
    the statements built and compiled for it, its memos, its poll path and its load signal.
    """

    extension: "Pollfeed"
    db: object
    api: object = None
    #: The poll path in front of the app (pollfeed.poll.PollPath), None when off; `.answered` counts its 304s.
    poll_path: object = None
    #: The load signal (pollfeed.load.Load) behind the advised interval and the gate: polling.load_signal(app).
    load: object = None
    #: The caching headers every API answer carries (polling.caching_headers).
    caching: tuple = ()
    #: Statements built and compiled for this app, by key (lookup.cached).
    lookups: dict = field(default_factory=dict)
    #: Changes serialised as JSON, by epoch and row (feed.read): this app's database's.
    serialised: dict = field(default_factory=dict)
    _bearer: object = None
    _representations: dict = None

    def representations(self):
        """change type -> dump, for the feed's ?include=resource: the declared ones (pf.represent), else the
        response schema of the item GET declared for the type's model (found once per app, on first use:
        routes are registered after init_app). None where the model's item GETs answer different schemas
        (which one every reader may see is the app's to say), nor for an item keyed by the caller's own id
        (a PRINCIPAL key) on a model without `__audience_attr__`: the feed shows its changes to the whole
        scope, and its body is only its owner's to read."""
        if self._representations is None:
            found = {}  # change type -> {schema class: dump}
            for view in current_app.view_functions.values():
                spec = getattr(getattr(getattr(view, "view_class", None), "get", view), "__poll__", None)
                if getattr(spec, "dump", None) is None:
                    continue
                model = spec.tags.model
                if model.__audience_attr__ is None and any(var == poll.PRINCIPAL for _a, var in spec.tags.keys):
                    continue
                found.setdefault(model.__change_type__, {})[type(getattr(spec.dump, "__self__", spec.dump))] = spec.dump
            # one schema, or none: between two item routes' schemas (an admin's richer one, say) the engine
            # does not guess which every reader of the scope may see
            self._representations = {t: next(iter(d.values())) for t, d in found.items() if len(d) == 1}
        return {**self._representations, **self.extension.representations}

    @property
    def loader(self):
        """Who the caller is (pollfeed.callers): the declared loader, else the bearer tokens' (built for
        this app: its statement is compiled for this app's database)."""
        ext = self.extension
        if ext.loader is not None:
            return ext.loader
        if self._bearer is None and ext.tokens is not None:
            self._bearer = callers.bearer_loader(ext.tokens)
        return self._bearer


class Pollfeed:
    """The Flask extension.

    `db` is the app's Flask-SQLAlchemy object; `api`, when given, a flask-smorest `Api` whose OpenAPI
    document the engine completes (conditional headers, problem types). `scope` names the host's scope
    model on the wire (a team, a board, a workspace): the feed's filter `?<scope>=` and each change's
    `<scope>_id`; by default `?scope=` and `scope_id`. `blueprint` is the change feed, GET /changes, for
    the host to register.
    """

    def __init__(self, app=None, *, db=None, api=None, scope="scope"):
        if not (isinstance(scope, str) and scope.isidentifier() and scope.islower()):
            raise ValueError(f"scope must be a lower-case name such as 'team', not {scope!r}")
        self.db = db
        self.api = api
        self.scope = scope  # its name on the wire: the feed's filter ?<scope>= and each change's <scope>_id
        self.cli = cli  # `flask pollfeed ...`; a host may add it under another name too
        # GET /changes, for the host to register; its types are the models on this db's metadata
        self.blueprint = routes.changes_blueprint(scope, lambda: self.db.metadata)
        self.readable = None  # the read rule (read_rule)
        self.tokens = None  # how a bearer token's hash finds its caller, in SQL (bearer_tokens)
        self.loader = None  # who the caller is, for any other auth (caller_loader)
        self.loader_id_type = None  # the SQL type of the ids the loader's callers carry (caller_loader)
        self.representations = {}  # change type -> dump, for the feed's ?include=resource (represent)
        self.derivers = []  # functions(session, records) run before each commit (derive)
        self.scope_class = None  # the scope's model, where it is not Versioned (scope_model)
        self.bound = False  # whether init_app has run for an app: the caller's declarations come before it
        if app is not None:
            self.init_app(app)

    def read_rule(self, rule):
        """Declare who may read a scope's rows; usable as a decorator.

        `rule(scope_column, principal_id, is_admin)` returns a SQL clause. On the poll path the two are
        the columns of the token's own row, inside its single statement; on the Flask path they are the
        request's caller, as bind parameters evaluated when the statement runs (so one statement serves
        every caller and compiles once), its id typed as the token source's principal column (text
        without one). Returns the rule ready for `resources`, which call it with the column alone.
        """
        @functools.wraps(rule)
        def readable(scope_column, principal_id=None, is_admin=None):
            if principal_id is None:
                principal_id, is_admin = callers.caller_binds(self.caller_id_type())
            return rule(scope_column, principal_id, is_admin)

        self.readable = readable
        return readable

    def bearer_tokens(self, source):
        """Declare how a bearer token's stored hash finds its caller (a poll.PrincipalSource), so that
        conditional polls are answered ahead of Flask. Without it, Flask decides every 304. Declare it
        before init_app, which installs the poll path from it, and not beside a caller_loader."""
        self._declare_caller("bearer_tokens", "caller_loader" if self.loader is not None else None)
        _principal_type(source.principal_id.type)
        self.tokens = source
        return source

    def _declare_caller(self, what, other):
        """Who the caller is shapes what init_app installs: declared after it, an app would silently go
        without its poll path; both ways at once, the two paths would ask different sources."""
        if self.bound:
            raise RuntimeError(f"Declare pf.{what} before init_app(app): init_app decides from the caller's "
                               f"declaration whether to put the poll path in front of the app (with bearer tokens) "
                               f"or not (with a loader). Import the module that declares it first.")
        if other is not None:
            raise RuntimeError(f"pf.{what} and pf.{other} both declared: the caller comes from one of them "
                               f"(bearer tokens, whose polls the poll path answers, or a loader for any other auth).")

    def caller_loader(self, loader=None, *, id_type=None):
        """Declare how to find the request's caller for an app whose auth is not bearer tokens (a session
        cookie, a JWT); usable as a decorator, bare or as `@pf.caller_loader(id_type=Integer)`. `loader()`
        returns an object with `id`, `name` and `is_admin`, or None (anonymous), and may raise a Problem
        (a 401). `id_type` is the SQL type of your principals' ids (text by default): the read rule gets
        the caller's id typed so, which PostgreSQL needs to compare it with an integer column. The poll
        path then leaves every 304 to Flask, which asks the loader first. Declare it before init_app,
        and not beside bearer_tokens."""
        if loader is None:
            return functools.partial(self.caller_loader, id_type=id_type)
        self._declare_caller("caller_loader", "bearer_tokens" if self.tokens is not None else None)
        self.loader_id_type = _principal_type(sqltypes.to_instance(id_type)) if id_type is not None else None
        self.loader = loader
        return loader

    def caller_id_type(self):
        """The SQL type of the caller's id as the read rule gets it on the Flask path: the token source's
        principal column's, the loader's `id_type`, else text."""
        if self.tokens is not None:
            return self.tokens.principal_id.type
        return self.loader_id_type if self.loader_id_type is not None else sqltypes.String()

    def scope_model(self, model):
        """Declare the scope's model (your Team, Board, Store), usable as a class decorator. Only needed
        where it is not Versioned: a versioned one whose change type is the scope's name is found by
        itself. A list within a scope is then 404 where its scope id names no row of it, on both paths,
        for admins too; without it, only the read rule decides."""
        if not hasattr(model, "id"):
            raise TypeError(f"{model.__name__}: a scope model is found by its `id` (its primary key)")
        if self.bound:
            raise RuntimeError("Declare pf.scope_model before init_app(app): the statements built for an app "
                               "check a scope against it.")
        self.scope_class = model
        return model

    def scope_owners(self):
        """The models a scope id names a row of: the declared scope model, else queries.scope_owners."""
        return [self.scope_class] if self.scope_class is not None else queries.scope_owners(self.db.metadata,
                                                                                           self.scope)

    def rule(self):
        """The declared read rule; a clear error where none was declared."""
        if self.readable is None:
            raise RuntimeError("No read rule: declare who may read a scope with @pf.read_rule before the first "
                               "request (docs: the auth and scope contract).")
        return self.readable

    def represent(self, change_type, dump):
        """Declare how the feed embeds the current representation of `change_type` (`?include=resource`):
        `dump(obj)` returns a dict, typically a schema's `dump`; None embeds null. Without a declaration, a
        type embeds what the response schema of its model's item GET (a Blueprint's `item`) dumps, or null
        where there is none or where its item GETs answer different schemas. The feed checks the read rule
        and the row's audience, not what else a route checks: declare None for a type whose item route
        guards its body otherwise."""
        self.representations[change_type] = dump
        return dump

    def derive(self, fn):
        """Declare a deriver, usable as a decorator: `fn(session, records)` runs in every commit of this
        extension's apps that carries changes, after the transaction's writes are flushed and before the
        log takes its positions; `records` are the pending change records (`changelog.Record`). It may
        add, change or delete rows (counters, summaries, notifications): they are logged in the same
        commit. Derivers run in declaration order; declaring one twice keeps the first."""
        if fn not in self.derivers:
            self.derivers.append(fn)
        return fn

    def init_app(self, app, api=None):
        """Wire the engine into `app`. Calling it again for the same app does nothing. `api` is this app's
        flask-smorest Api, for an app factory that makes one per app (else the one given to Pollfeed)."""
        if "pollfeed" in app.extensions:
            return
        if self.db is None:
            raise TypeError("Pollfeed needs the app's Flask-SQLAlchemy object: Pollfeed(db=db).")
        if "sqlalchemy" not in app.extensions:
            raise RuntimeError("Call db.init_app(app) before Pollfeed's init_app(app).")
        settings.apply(app.config)
        self.bound = True
        api = api if api is not None else self.api
        state = AppState(extension=self, db=self.db, api=api)
        app.extensions["pollfeed"] = state
        with app.app_context():
            isolation.configure(self.db.engine, app)
        changelog.install(self.db.session)
        guards.on_create_all(self.db.metadata)  # db.create_all(): the engine's tables too, and the guards
        idempotency.init_app(app)  # first: its after_request hook runs last
        if api is not None:
            openapi.init_app(api, require_if_match=app.config["POLLFEED_REQUIRE_IF_MATCH"])
        polling.init_app(app)
        problems.install(app)  # the engine's errors are problem+json
        app.before_request(http.refuse_nul)
        app.cli.add_command(cli)
        poll.install(app)
