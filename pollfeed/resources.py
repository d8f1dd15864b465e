"""Serving versioned items and lists: 304 from the version or watermark, 412/428 before a write."""
import functools
from dataclasses import dataclass
from typing import Callable, Optional
from urllib.parse import urlencode

from flask import g, request
from sqlalchemy import String, bindparam, cast, func, select
from sqlalchemy.orm.exc import StaleDataError

from . import changelog, conditional, idempotency
from . import cursor as cursors
from .callers import caller, caller_binds
from .etags import list_tag, version_tag
from .http import PARSER
from .lookup import cached
from .problems import BadRequest, NotFound
from .queries import Asker, CallerQuery, ScopeQuery, load_query
from .state import app_state, db
from .versioned import typed_id


def _where(model, rule, keys):
    """The row by its keys, if the rule lets the caller read its scope: the scope's own model, when it is
    not Versioned (pf.scope_model), is its own scope; any other model names its scope (__scope_attr__)."""
    criteria = [getattr(model, k) == bindparam(k) for k in keys]
    attr = getattr(model, "__scope_attr__", None)
    if attr is None:
        if model not in app_state().extension.scope_owners():
            raise TypeError(f"{model.__name__} names no scope (__scope_attr__), and is not the scope's model "
                            f"(pf.scope_model): the read rule has no scope to ask about.")
        attr = "id"
    return criteria + [rule(getattr(model, attr))]


def asker(admin=None):
    """The request's caller as a queries.Asker: bind parameters evaluated when a statement runs; `admin`
    a bool where the statement is built for one kind of caller."""
    return Asker(*caller_binds(app_state().extension.caller_id_type()), admin)


def read_declared(tags, values, optional=False):
    """An item declaration's Flask path (poll.item): run its tag query (a queries.ItemQuery) for the request's
    caller and the URL's `values`; 404 unless found and readable (None with `optional`), 304 from
    (version, updated_at) alone; load the row only for a 200."""
    ext = app_state().extension
    row = cached(("item tag", tags), lambda: tags.statement(ext.rule(), asker())).first(**tags.params(values))
    if row is None:
        if optional:
            return None
        raise NotFound()
    conditional.check_read(tags.tag(row), row.updated_at)
    return db.session.get(tags.model, row.id)


def find_item(model, rule, **keys):
    """Load a readable item or raise 404 (404 comes before any precondition, so nothing leaks)."""
    obj = db.session.scalars(select(model).where(*_where(model, rule, keys)), keys).first()
    if obj is None:
        raise NotFound()
    return obj


def lock_item(model, rule=None, **keys):
    """Load an item under its row lock (SELECT ... FOR UPDATE), fresh from the database, or raise 404.

    For writes that derive from the row's current state (a seat count, a
    message count): concurrent writers queue here instead of failing with 412.
    SQLite needs no lock: its write transactions already run one at a time.
    """
    criteria = _where(model, rule, keys) if rule else [getattr(model, k) == bindparam(k) for k in keys]
    obj = locked(select(model).where(*criteria), params=keys)
    if obj is None:
        raise NotFound()
    return obj


def locked(stmt, session=None, params=None):
    """The first object `stmt` selects, under its row lock and fresh from the database, or None."""
    stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return (session or db.session).scalars(stmt, params).first()


def check_write(obj):
    """If-Match / If-Unmodified-Since against the loaded version: 412 or 428."""
    conditional.check_write(obj.etag, obj.updated_at)


def write_item(model, rule, permit=None, **keys):
    """Load an item for PATCH/PUT/DELETE: 404 unless readable, then `permit(obj)` (raises 403 for a
    caller who may read but not write it), then its preconditions (412/428), in that order."""
    obj = find_item(model, rule, **keys)
    if permit is not None:
        permit(obj)
    check_write(obj)
    return obj


def load(schema, location="json"):
    """What `schema` makes of the request's JSON body (`location="json"`) or query string ("query"), for a
    plain Flask view, parsed as the engine parses flask-smorest's arguments and the feed's (one parser,
    pollfeed.http.Parser): a body that is not JSON is 415, malformed 400, invalid 422 with its fields'
    errors; an invalid query string is 400; unknown query parameters are ignored. Each is problem+json."""
    return PARSER.parse(schema, location=location)


def ok(obj):
    """A 200 with the item and its validators (ETag, Last-Modified): `(obj, 200, headers)`, which a
    flask-smorest response schema dumps; a plain view returns `(schema.dump(obj), 200, headers)`."""
    return obj, 200, headers(obj)


def update(obj, data):
    """Apply validated fields; unchanged values leave the version and the log alone."""
    for key, value in data.items():
        setattr(obj, key, value)


def commit(obj=None):
    """Commit; a version conflict found by the conditional UPDATE/DELETE becomes 412.

    A write with an Idempotency-Key only flushes here: its COMMIT comes with the stored response
    (idempotency.finish), so a write and the answer a retry will get are never apart."""
    session = db.session()
    # read before anything can expire them: after a rollback even a deleted row's id would be reloaded
    model, key, audience = type(obj), getattr(obj, "id", None), getattr(obj, "audience_id", None)
    keep = session.expire_on_commit
    # The answer is made from what this commit wrote. Expired, it would be reloaded after the COMMIT, in
    # a later transaction that may find the row changed or gone (a concurrent write, a restore under the
    # running server): a 500 for a write that succeeded.
    session.expire_on_commit = False
    try:
        if idempotency.pending():
            session.flush()
            # its COMMIT waits for the stored answer (idempotency.finish); the answer is made now, so what
            # the derivers change (a count, a summary) must be in it
            changelog.run_derivers(session)
        else:
            session.commit()
    except StaleDataError:
        db.session.rollback()
        current = None
        if obj is not None:
            found = db.session.execute(select(model.version, model.stamp).where(model.id == key)).first()
            current = None if found is None else version_tag(found.version, found.stamp, audience)
        raise conditional.PreconditionFailed(current) from None
    finally:
        session.expire_on_commit = keep


def headers(obj):
    """An item's validators as response headers: its `ETag` and `Last-Modified`."""
    return conditional.validators(obj.etag, obj.updated_at)


def delete_each(model, *criteria):
    """Delete every row of `model` matching `criteria`, one object at a time (so each leaves a
    tombstone), in id order, and flush: children go before their parents, in the log too."""
    for obj in db.session.scalars(select(model).where(*criteria).order_by(model.id)):
        db.session.delete(obj)
    db.session.flush()


def create(obj, location):
    """Add `obj`, commit (resources.commit: the row gets its id, version and log entry), and answer 201
    with its validators and Location: `location` with `{id}` for the new row's id ("/tickets/{id}")."""
    db.session.add(obj)
    commit()
    return created(obj, location.replace("{id}", str(obj.id)))


def created(obj, location):
    """A 201 with the new item's validators and Location: `(obj, 201, headers)`, as `ok`."""
    return obj, 201, {**headers(obj), "Location": location}


@dataclass(frozen=True)
class Listed:
    """What a declared list's query decided, for its page (list_page): the position and stamp it is
    consistent with, the log's epoch, and its tag."""

    at: tuple
    epoch: str
    etag: str


_LISTED = "pollfeed_list"  # flask.g's attribute for the request's Listed


def list_state(tags, scope, query=None, rule=None, audience=None):
    """A scoped list's Flask path (poll.scoped_list): run its tag query (a queries.ScopeQuery) for the request's
    caller; 404 unless the scope exists and the rule lets the caller read it, 304 if the client's tag is
    current; else keep what its page needs (list_page). `query` is the list's query-string schema (for a
    digest's parameter, loaded as the poll path loads it); `rule` the read rule (the declared one);
    `audience` whose private rows the list holds (the caller's by default)."""
    ext = app_state().extension
    rule = ext.rule() if rule is None else rule
    loaded = load_query(query, request.query_string.decode("latin-1")) if (
        tags.digest is not None and tags.digest.param is not None) else {}
    digested, value = tags.digested(loaded or {})
    given = audience is not None
    row = cached(("list tag", tags, rule, digested, given), lambda: tags.statement(
        rule, asker(), ext.scope_owners(), digested,
        bindparam("u_audience", type_=String) if given else None)).first(
        **tags.params(scope, value), **({"u_audience": str(audience)} if given else {}))
    if row is None:
        raise NotFound()
    if not given:
        found = caller()
        audience = found.id if found is not None else None
    _keep(tags.at(row), row.epoch, tags.tag(row, audience, digested))


def caller_state():
    """A caller list's Flask path (poll.caller_list): its tag query (queries.CallerQuery) for the request's
    caller (anonymous: nobody's, an empty list unless the view says otherwise); 304 if the client's tag is
    current, else keep what its page needs (list_page)."""
    found = caller()
    admin = found is not None and bool(found.is_admin)
    row = cached(("caller tag", admin), lambda: CallerQuery.statement(asker(admin))).first()
    _keep(CallerQuery.at(row), row.epoch, CallerQuery.tag(row, found.id if found is not None else None))


def _keep(at, epoch, etag):
    conditional.check_read(etag)
    setattr(g, _LISTED, Listed(at, epoch, etag))


def list_page(stmt, model, args):
    """A declared list's 200 (scoped_list, caller_list): one page of `stmt`'s rows of `model`, after
    `args["after"]` and `args["limit"]` long, consistent with what the declaration's query read, with its
    tag and cursor. `args` is the query string as the list's schema loads it (flask-smorest hands it to
    the view; a plain view: `load(PageArgs(), "query")`). Returns `(body, 200, headers)`, the body
    `{"items": [rows], "cursor", "next"}` for a `list_schema` to dump (a plain view dumps it itself)."""
    listed = g.pop(_LISTED, None)  # once: a later list_page in the same context has no state of its own
    if listed is None:
        raise RuntimeError("resources.list_page serves a GET declared with scoped_list or caller_list "
                           "(the declaration decides its tag); an undeclared list uses scoped_page.")
    body, status, _ = page(listed.at, listed.epoch, stmt, model, args["limit"], args["after"], check=False)
    return body, status, {"ETag": listed.etag}


@functools.lru_cache(maxsize=256)
def _one_column(rule):
    """A read rule that takes the scope column alone (the caller from the request), as the rule's
    three-argument form."""
    return lambda scope, principal_id, is_admin: rule(scope)


def scoped_page(rule, scope, stmt, model, limit, after, audience=None):
    """A list within one scope that no declaration names (its scope is not in the URL: an event's
    bookings): 404 unless `rule(scope)` lets the caller read the scope, 304 from the scope's watermark,
    else one page of items, through the same tag query as a declared list's. With `audience` (a
    principal's id) the list holds rows private to that principal, tagged by their private watermark."""
    list_state(ScopeQuery(audience is not None), scope, rule=_one_column(rule), audience=audience)
    return list_page(stmt, model, {"limit": limit, "after": after})


@dataclass(frozen=True)
class Digest:
    """A list tagged by a digest of the rows it depends on, not by its scope's watermark.

    For searches and personal views: the tag moves only when a row in the
    result changes, enters or leaves it, not on every change in the scope.
    `rows(scope, value, principal_id)` selects the columns that make up one row's
    part (ids, versions and stamps), for SQL expressions standing for the scope, the
    query parameter's bound value and the caller. `param` names the query
    argument, as the view's query schema loads it, that makes a list digest-tagged
    when given (None: always), and `value` turns it into the bound value (a LIKE
    pattern, say).

    The parts are aggregated into one string in SQL and digested by
    `digest_tag`, so the Flask path and the poll path compute the same tag
    from the same statement, in one round trip each.
    """

    rows: Callable
    param: Optional[str] = None
    value: Callable = str

    def aggregate(self, scope, value, principal_id):
        """A scalar subquery: every row's part ("id|version|stamp..."), joined by ";" in no particular order."""
        rows = self.rows(scope, value, principal_id)  # aggregated in place, not as a derived table, so that
        # `principal_id` may be a column of the enclosing statement (the poll path's principal)
        part = functools.reduce(lambda a, b: a.concat("|").concat(b),
                                [cast(c, String) for c in rows.selected_columns])
        return rows.with_only_columns(func.aggregate_strings(part, ";"), maintain_column_froms=True).scalar_subquery()


def page(at, epoch, stmt, model, limit, after, check=True, audience=None):
    """One page of a list consistent with the log at `at` (position, stamp): its tag and its cursor."""
    etag = list_tag(*at, audience)
    if check:
        conditional.check_read(etag)
    if after:
        try:
            after = typed_id(model.id, after)  # an integer key or a UUID, as text in the URL
        except ValueError:
            raise BadRequest("Invalid query parameter.", errors={"after": ["Not an id of this list."]}) from None
        stmt = stmt.where(model.id > after)
    items = list(db.session.scalars(stmt.order_by(model.id).limit(limit + 1)))
    next_url = None
    if len(items) > limit:
        items = items[:limit]
        args = request.args.to_dict()
        args["after"] = items[-1].id
        next_url = f"{request.path}?{urlencode(args)}"
    return {"items": items, "cursor": cursors.encode(epoch, *at), "next": next_url}, 200, {"ETag": etag}
