"""Serving versioned items and lists: 304 from the version or watermark, 412/428 before a write."""
from urllib.parse import urlencode

from flask import request
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from . import conditional
from . import cursor as cursors
from .changelog import FeedState
from .feed import scope_position, visible_watermark
from .problems import NotFound
from .versioned import version_tag


def read_item(model, *where):
    """GET/HEAD: answer 304 from (version, updated_at) alone; load the row only for a 200.

    `where` selects one row and includes the caller's read check, so an
    unreadable row is 404 before any precondition is looked at.
    """
    row = db.session.execute(select(model.id, model.version, model.updated_at).where(*where)).first()
    if row is None:
        raise NotFound()
    conditional.check_read(version_tag(row.version), row.updated_at)
    return db.session.get(model, row.id)


def find_item(model, *where):
    """Load a readable item or raise 404 (404 comes before any precondition, so nothing leaks)."""
    obj = db.session.scalars(select(model).where(*where)).first()
    if obj is None:
        raise NotFound()
    return obj


def check_write(obj):
    """If-Match / If-Unmodified-Since against the loaded version: 412 or 428."""
    conditional.check_write(obj.etag, obj.updated_at)


def write_item(model, *where):
    """Load an item for PATCH/PUT/DELETE and check its preconditions."""
    obj = find_item(model, *where)
    check_write(obj)
    return obj


def update(obj, data):
    """Apply validated fields; unchanged values leave the version and the log alone."""
    for key, value in data.items():
        setattr(obj, key, value)


def commit(obj=None):
    """Commit; a version conflict found by the conditional UPDATE/DELETE becomes 412."""
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        current = None
        if obj is not None:
            version = db.session.scalar(select(type(obj).version).where(type(obj).id == obj.id))
            current = None if version is None else version_tag(version)
        raise conditional.PreconditionFailed(current) from None


def headers(obj):
    return conditional.validators(obj.etag, obj.updated_at)


def list_tag(position):
    return f'"l{position}"'


def scoped_page(scope, readable, stmt, model, limit, after):
    """A list within one scope: 304 from the scope's watermark, else one page of items.

    The cursor and the ETag both come from max(watermark, horizon), so the tag
    is strong: the same tag always names the same body.
    """
    s = FeedState.__table__.c
    row = db.session.execute(
        select(scope_position(scope).scalar_subquery(), s.horizon, s.epoch).where(s.id == 1, readable)
    ).first()
    if row is None:
        raise NotFound()
    return page(max(row[0], row.horizon), row.epoch, stmt, model, limit, after)


def caller_page(principal, stmt, model, limit, after):
    """A list of everything the caller can read (e.g. their projects), tagged by their visible watermark."""
    s = FeedState.__table__.c
    row = db.session.execute(
        select(visible_watermark(principal), s.horizon, s.epoch).where(s.id == 1)
    ).one()
    return page(max(row[0], row.horizon), row.epoch, stmt, model, limit, after)


def page(position, epoch, stmt, model, limit, after):
    etag = list_tag(position)
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
    return {"items": items, "cursor": cursors.encode(epoch, position), "next": next_url}, 200, {"ETag": etag}
