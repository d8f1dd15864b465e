"""Log lifecycle: compaction to the retention window, a new epoch after a restore, and a consistency check."""
import dataclasses
import secrets

from sqlalchemy import and_, delete, func, insert, or_, select, update

from . import changelog, guards
from .changelog import Change, FeedAccess, FeedState, Record, Watermark, text_id
from .state import db
from .versioned import Grant, models, private_key, utcnow


def compact(retention, batch=5000, progress=None):
    """Drop changes older than `retention`; returns how many were dropped.

    The horizon is raised first, in its own transaction: from then on a cursor
    below it gets 410 and re-lists, rather than silently missing the changes
    being deleted. Deletion goes in batches, each its own transaction, so a
    large log never holds one long lock; a crash mid-way leaves only a
    smaller log above the same horizon, and the next run finishes the job.
    """
    c, s = Change.__table__.c, FeedState.__table__.c
    cutoff = utcnow() - retention
    upto = db.session.scalar(select(func.max(c.position)).where(c.at < cutoff))
    if upto is None:
        db.session.commit()
        return 0
    # The horizon's stamp with it: a cursor at the horizon is checked against it once the change is gone.
    db.session.execute(update(FeedState.__table__).where(s.id == 1, s.horizon < upto).values(
        horizon=upto, horizon_stamp=select(c.stamp).where(c.position == upto).scalar_subquery()))
    db.session.commit()
    upto = db.session.scalar(select(s.horizon).where(s.id == 1))
    total = db.session.scalar(select(func.count()).where(c.position <= upto))
    if progress:
        progress.length = total
    dropped = 0
    while True:
        first = select(c.position).where(c.position <= upto).order_by(c.position).limit(batch).scalar_subquery()
        n = db.session.execute(delete(Change.__table__).where(c.position.in_(first))).rowcount
        db.session.commit()
        if not n:
            return dropped
        dropped += n
        if progress:
            progress.update(n)


def unlogged(model):
    """The ids of `model`'s rows of which the log holds no change: rows made before the engine was added
    (or by raw SQL), and rows whose every change was compacted away. Compared as text, as the log keeps
    ids, in Python (SQL's cast of a key, a Uuid's on SQLite, is not always the log's text)."""
    logged = set(db.session.scalars(select(Change.resource_id).where(Change.type == model.__change_type__)))
    return [key for key in db.session.scalars(select(model.id).order_by(model.id)) if str(key) not in logged]


def _grant_key(row):
    return text_id(getattr(row, row.__grant_principal__)), text_id(row.scope_id)


def _open_periods():
    a = FeedAccess.__table__.c
    return set(db.session.execute(select(a.principal_id, a.scope_id).where(a.end_pos.is_(None))).all())


class AdoptRefused(RuntimeError):
    pass


def adopt(batch=1000, progress=None, after_compaction=False):
    """Bring into the log the versioned rows it has never heard of: the rows of a table made versioned in
    place (or inserted by raw SQL) get a create at their current version, so that verify finds them and
    the feed knows them; and every Grant row whose principal has no open access period to its scope gets
    one (with its create, or from the next position where the row was logged since), so that a member
    from before follows their scope. Grants first: their members' feeds then carry the creates of their
    scopes' rows. Returns how many rows it logged or opened a period for.

    Writers may go on: each batch is one transaction that first takes the log head's lock, then re-reads
    its rows and what the log holds of them. A commit logs under the same lock, so it comes wholly
    before the batch (its row is then logged, and skipped here) or wholly after it (its change then
    follows the create, one version up). A crash mid-way leaves the rest for the next run.

    A compacted log (horizon above 0) no longer shows the changes of rows quiet since before its horizon:
    they would be logged again, as creates (clients take them as upserts). That is refused unless
    `after_compaction`."""
    s = FeedState.__table__.c
    if db.session.scalar(select(s.horizon).where(s.id == 1)) and not after_compaction:
        db.session.rollback()
        raise AdoptRefused("The log has been compacted: rows quiet since before its horizon would be logged again "
                           "as creates. Run adopt before the first compaction, or pass --after-compaction.")
    kinds = sorted(models().values(), key=lambda m: (not issubclass(m, Grant), m.__change_type__))
    periods = _open_periods()
    pending = []
    for model in kinds:
        keys = set(unlogged(model))
        if issubclass(model, Grant):
            keys |= {row.id for row in db.session.scalars(select(model)) if _grant_key(row) not in periods}
        pending.append((model, sorted(keys)))
    db.session.commit()
    if progress:
        progress.length = sum(len(keys) for _, keys in pending)
    done = 0
    for model, keys in pending:
        for start in range(0, len(keys), batch):
            done += _adopt_batch(model, keys[start:start + batch])
            if progress:
                progress.update(len(keys[start:start + batch]))
    return done


def _adopt_batch(model, keys):
    """One batch of adopt, in one transaction under the log head's lock."""
    s = FeedState.__table__.c
    db.session.execute(update(FeedState.__table__).where(s.id == 1).values(head=s.head))  # the head's lock
    rows = db.session.scalars(select(model).where(model.id.in_(keys))).all()
    texts = [str(row.id) for row in rows]
    logged = set(db.session.scalars(select(Change.resource_id).where(
        Change.type == model.__change_type__, Change.resource_id.in_(texts)))) if texts else set()
    periods = _open_periods() if issubclass(model, Grant) else set()
    records, opened = [], []
    for row in rows:
        key = _grant_key(row) if isinstance(row, Grant) else None
        needs_period = key is not None and key not in periods
        if str(row.id) not in logged:
            record = Record.of(row, "create", row.version)
            records.append(record if needs_period or key is None else dataclasses.replace(record, grant=None))
        elif needs_period:
            opened.append(key)
        if needs_period:
            periods.add(key)
    if records:
        changelog.write_log(db.session.connection(), records, None)
    if opened:  # rows logged since, without a period: open from the next position
        head = db.session.scalar(select(s.head).where(s.id == 1))
        db.session.execute(insert(FeedAccess.__table__), [
            {"principal_id": principal, "scope_id": scope, "start_pos": head + 1} for principal, scope in opened])
    db.session.commit()
    return len(records) + len(opened)


def rotate_epoch():
    """A new cursor epoch: every cursor issued before answers 410 `cursor-unknown`, and its client
    re-lists. Not needed after a restore (stamps refuse exactly the cursors the restore broke: see
    cursor.py); kept for an operator who wants every client to re-list. Returns (old, new)."""
    s = FeedState.__table__.c
    old = db.session.scalar(select(s.epoch).where(s.id == 1))
    new = old
    while new == old:
        new = secrets.token_hex(4)
    db.session.execute(update(FeedState.__table__).where(s.id == 1).values(epoch=new))
    db.session.commit()
    return old, new


def verify():
    """Every inconsistency between the log and the rows, as a list of sentences (empty if none)."""
    c = Change.__table__.c
    s = FeedState.__table__.c
    problems = []
    head, horizon = db.session.execute(select(s.head, s.horizon).where(s.id == 1)).one()
    count, low, high = db.session.execute(select(func.count(), func.min(c.position), func.max(c.position))).one()
    if count:
        if low <= horizon:
            problems.append(f"changes at or below the horizon {horizon} remain (lowest {low})")
        if high != head:
            problems.append(f"the newest change is at {high} but the head is {head}")
        if count != high - low + 1:
            problems.append(f"positions {low}..{high} have {high - low + 1 - count} gap(s)")
    elif head != horizon:
        problems.append(f"the log is empty but the head {head} is above the horizon {horizon}")

    newest = (
        select(c.type, c.resource_id, func.max(c.position).label("position"))
        .group_by(c.type, c.resource_id).subquery()
    )
    latest = {
        (row.type, row.resource_id): (row.op, row.version)
        for row in db.session.execute(
            select(c.type, c.resource_id, c.op, c.version).join(newest, newest.c.position == c.position)
        )
    }
    for type_name, model in sorted(models().items()):
        # the log keeps ids as text, whatever their type in the table
        live = {str(rid): version for rid, version in db.session.execute(select(model.id, model.version))}
        for (t, rid), (op, version) in latest.items():
            if t != type_name:
                continue
            if op == "delete" and rid in live:
                problems.append(f"{t} {rid} exists but its newest change is a tombstone")
            elif op != "delete" and rid not in live:
                problems.append(f"{t} {rid} is gone without a tombstone")
            elif op != "delete" and live[rid] != version:
                problems.append(f"{t} {rid} has version {live[rid]} but its newest change says {version}")
        if horizon == 0:
            for rid in live.keys() - {r for (t, r) in latest if t == type_name}:
                problems.append(f"{type_name} {rid} exists but has no change at all (made before the engine or "
                                f"by raw SQL: `flask pollfeed adopt` logs it)")

    # Each resource's versions count up by one, change after change; after its tombstone only a create at
    # version 1 may follow: the same id used again (SQLite hands the highest deleted rowid out again, and
    # an app may insert a key it deleted), a new life whose tags carry new stamps.
    window = {"partition_by": (c.type, c.resource_id), "order_by": c.position}
    steps = select(c.type, c.resource_id, c.position, c.op, c.version, func.lag(c.version).over(**window).label("prev"),
                   func.lag(c.op).over(**window).label("prev_op")).subquery()
    reborn = and_(steps.c.prev_op == "delete", steps.c.op == "create", steps.c.version == 1)
    counted_on = and_(steps.c.prev_op != "delete", steps.c.version == steps.c.prev + 1)
    for row in db.session.execute(select(steps).where(steps.c.prev.is_not(None), ~or_(reborn, counted_on))):
        problems.append(f"{row.type} {row.resource_id}: version {row.prev} ({row.prev_op}) is followed by "
                        f"{row.version} ({row.op}) at position {row.position}")

    head_stamp = db.session.scalar(select(s.stamp).where(s.id == 1))
    found = db.session.scalar(select(c.stamp).where(c.position == head))
    if found is not None and found != head_stamp:
        problems.append(f"the head's stamp {head_stamp} is not its change's {found}")
    for key, stamp, found in db.session.execute(
        select(Watermark.scope_key, Watermark.stamp, c.stamp)
        .join(Change.__table__, c.position == Watermark.position)
    ):
        if stamp != found:
            problems.append(f"scope {key}: watermark stamp {stamp} but its change's is {found}")

    for table in guards.missing(db.session.connection(), sorted(m.__tablename__ for m in models().values())):
        problems.append(f"table {table} has no version guard: a raw UPDATE could change a row under its ETag; "
                        f"add it in a migration: pollfeed.guards.install(op.get_bind(), [\"{table}\"])")

    marks = dict(db.session.execute(select(Watermark.scope_key, Watermark.position)).all())
    for scope_id, audience, top in db.session.execute(
        select(c.scope_id, c.audience, func.max(c.position)).where(c.scope_id.is_not(None))
        .group_by(c.scope_id, c.audience)
    ):
        key = scope_id if audience is None else private_key(scope_id, audience)
        if marks.get(key) != top:
            problems.append(f"scope {key}: watermark {marks.get(key)} but newest change {top}")
    return problems
