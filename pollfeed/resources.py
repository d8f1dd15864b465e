"""Serving versioned items and lists: 304 from the version or watermark, 412/428 before a write."""
import functools
from dataclasses import dataclass
from typing import Callable, Optional
from urllib.parse import urlencode

from flask import request
from sqlalchemy import String, bindparam, cast, func, select
from sqlalchemy.orm.exc import StaleDataError

from . import changelog, conditional, idempotency
from . import cursor as cursors
from .changelog import FeedState
from .etags import digest_tag, list_tag, version_tag
from .feed import bounds_and_watermark, mark, scope_position, scope_stamp, state_of
from .lookup import cached
from .problems import NotFound
from .state import db
from .versioned import private_key


def _where(model, rule, keys):
    criteria = [getattr(model, k) == bindparam(k) for k in keys]
    return criteria + [rule(getattr(model, model.__scope_attr__))]


def read_item(model, rule, **keys):
    """GET/HEAD: answer 304 from (version, updated_at) alone; load the row only for a 200.

    `keys` name the row (e.g. id=...); `rule(scope_column)` is the caller's
    read check, so an unreadable row is 404 before any precondition is looked at.
    """
    private = model.__audience_attr__
    columns = (model.id.label("id"), model.version.label("version"), model.stamp.label("stamp"),
               model.updated_at.label("updated_at"),
               *((getattr(model, private).label("audience"),) if private else ()))
    row = cached(("item", model, tuple(keys), rule), lambda: select(*columns)
                  .where(*_where(model, rule, keys))).first(**keys)
    if row is None:
        raise NotFound()
    conditional.check_read(version_tag(row.version, row.stamp, row.audience if private else None), row.updated_at)
    return db.session.get(model, row.id)


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


def ok(obj):
    """A 200 with the item and its validators (ETag, Last-Modified)."""
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
    return conditional.validators(obj.etag, obj.updated_at)


def delete_each(model, *criteria):
    """Delete every row of `model` matching `criteria`, one object at a time (so each leaves a
    tombstone), in id order, and flush: children go before their parents, in the log too."""
    for obj in db.session.scalars(select(model).where(*criteria).order_by(model.id)):
        db.session.delete(obj)
    db.session.flush()


def created(obj, location):
    """A 201 with the new item's validators and Location."""
    return obj, 201, {**headers(obj), "Location": location}


def _scope_state(rule, scope, key):
    """((position, stamp) that a list of `key` is consistent with, epoch) if the caller may read `scope`,
    else 404."""
    st = FeedState.__table__.c
    row = cached(("list", rule), lambda: select(
        scope_position(bindparam("key")).label("position"), scope_stamp(bindparam("key")).label("stamp"),
        st.horizon, st.horizon_stamp, st.epoch)
                  .where(st.id == 1, rule(bindparam("scope")))).first(scope=scope, key=str(key))
    if row is None:
        raise NotFound()
    return mark(row.position, row.stamp, row.horizon, row.horizon_stamp), row.epoch


def scoped_page(rule, scope, stmt, model, limit, after, audience=None):
    """A list within one scope: 304 from the scope's watermark, else one page of items.

    The cursor and the ETag both come from max(watermark, horizon), so the tag
    is strong: the same tag always names the same body. `rule(scope)` says
    whether the caller may read the scope. With `audience` (a principal id) the
    list holds rows private to that principal, and the private watermark tags it.
    """
    key = str(scope) if audience is None else private_key(str(scope), audience)  # log keys are text
    at, epoch = _scope_state(rule, scope, key)
    return page(at, epoch, stmt, model, limit, after, audience=audience)


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


def digest_page(rule, scope, digest, raw, principal_id, build, model, limit, after):
    """A list tagged by `digest` (see Digest) for the query parameter's text `raw`; `build()` makes the
    page's statement, only for a 200. The tag is weak: the body's cursor may move while the rows stay."""
    at, epoch = _scope_state(rule, scope, scope)
    found = cached(("digest", digest), lambda: select(
        digest.aggregate(bindparam("scope", type_=String), bindparam("value", type_=String),
                         bindparam("uid", type_=String)).label("digest")))
    etag = digest_tag(found.first(scope=scope, value=digest.value(raw), uid=principal_id).digest)
    conditional.check_read(etag)
    body, status, headers = page(at, epoch, build(), model, limit, after, check=False)
    return body, status, {"ETag": etag}


def caller_page(principal, stmt, model, limit, after):
    """A list of everything the caller can read (e.g. the scopes they belong to), tagged by their visible
    watermark."""
    row = state_of(bounds_and_watermark(principal.is_admin, False).first(uid=principal.id))
    at = mark(row.upto, row.upto_stamp, row.horizon, row.horizon_stamp)
    return page(at, row.epoch, stmt, model, limit, after, audience=principal.id)


def page(at, epoch, stmt, model, limit, after, check=True, audience=None):
    """One page of a list consistent with the log at `at` (position, stamp): its tag and its cursor."""
    etag = list_tag(*at, audience)
    if check:
        conditional.check_read(etag)
    if after:
        stmt = stmt.where(model.id > after)
    items = list(db.session.scalars(stmt.order_by(model.id).limit(limit + 1)))
    next_url = None
    if len(items) > limit:
        items = items[:limit]
        args = request.args.to_dict()
        args["after"] = items[-1].id
        next_url = f"{request.path}?{urlencode(args)}"
    return {"items": items, "cursor": cursors.encode(epoch, *at), "next": next_url}, 200, {"ETag": etag}
