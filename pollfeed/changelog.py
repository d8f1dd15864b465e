"""The change log: written from session events in the same transaction as the change.

How it stays gap-free: every committing transaction that carries changes takes
its block of positions with `UPDATE feed_state SET head = head + n`. That row
lock is held until COMMIT, so a later block can only be handed out after the
earlier block's transaction has committed (or rolled back and returned
nothing). Positions therefore become visible in order: a reader that sees
position p sees every position below p. The cost: writers serialise from that
UPDATE (taken in `before_commit`, after all the transaction's own work) to
COMMIT, a window of one INSERT batch and the commit itself.

Derived resources (counters, summaries, notifications) are kept by derivers:
functions declared with `Pollfeed.derive` that run in `before_commit`, after the
transaction's own writes are flushed and before positions are taken. They see
what changed and bring their rows up to date in the same transaction, so a
derived row's version moves in the same commit as its inputs.
"""
import json
import secrets
from dataclasses import dataclass

from flask import current_app, g, has_app_context
from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Index,
    Integer,
    String,
    bindparam,
    event,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from .ids import ID_LENGTH
from .stamps import new as new_stamp
from .state import Base
from .versioned import Grant, Versioned, private_key, utcnow

_PENDING = "pollfeed.pending_changes"
_DERIVED = "pollfeed.derived_changes"  # how many of the pending records the derivers have seen
_BOOKKEEPING = frozenset({"id", "version", "stamp", "created_at", "updated_at"})


class Change(Base):
    """One committed change; `position` is the feed cursor position, dense and commit-ordered."""

    __tablename__ = "changes"
    position: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(String(40), nullable=False)
    resource_id: Mapped[str] = mapped_column(String(ID_LENGTH), nullable=False)
    scope_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))  # the row's scope; None: unscoped
    op: Mapped[str] = mapped_column(String(6), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    fields: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    at: Mapped[object] = mapped_column(DateTime, nullable=False)
    actor_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    # Set for private rows: only this principal sees the change.
    audience: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    # The stamp its transaction drew (pollfeed.stamps): a cursor at this position carries it.
    stamp: Mapped[int] = mapped_column(BigInteger, nullable=False)

    __table_args__ = (
        Index("ix_changes_scope_position", "scope_id", "position"),
        Index("ix_changes_resource", "resource_id", "position"),
    )


class FeedState(Base):
    """A single row: the head position, the compaction horizon, this database's cursor epoch, and the
    stamps of the head's and the horizon's transactions (the change at the horizon is compacted away)."""

    __tablename__ = "feed_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    head: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    # Positions <= horizon have been compacted away; cursors below it are expired.
    horizon: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    epoch: Mapped[str] = mapped_column(String(16), nullable=False)
    stamp: Mapped[int] = mapped_column(BigInteger, nullable=False)
    horizon_stamp: Mapped[int] = mapped_column(BigInteger, nullable=False)


def seed(target, connection, **kw):
    """The log's first row: head and horizon 0, a new epoch, a stamp. Written when the table is created
    (create_all, or the engine's migration), never by the host."""
    if connection.execute(select(FeedState.id)).first() is None:
        stamp = new_stamp()
        connection.execute(insert(FeedState).values(id=1, head=0, horizon=0, epoch=secrets.token_hex(4),
                                                    stamp=stamp, horizon_stamp=stamp))


event.listen(FeedState.__table__, "after_create", seed)


class Watermark(Base):
    """Per scope key (a scope, or a principal's private part of one), the position of its newest change
    and that change's stamp."""

    __tablename__ = "feed_watermarks"
    scope_key: Mapped[str] = mapped_column(String(2 * ID_LENGTH + 1), primary_key=True)  # private_key
    position: Mapped[int] = mapped_column(BigInteger, nullable=False)
    stamp: Mapped[int] = mapped_column(BigInteger, nullable=False)


class FeedAccess(Base):
    """A period [start_pos, end_pos] during which a principal could read a scope."""

    __tablename__ = "feed_access"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    principal_id: Mapped[str] = mapped_column(String(ID_LENGTH), nullable=False)
    scope_id: Mapped[str] = mapped_column(String(ID_LENGTH), nullable=False)
    start_pos: Mapped[int] = mapped_column(BigInteger, nullable=False)
    end_pos: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_feed_access_principal_scope", "principal_id", "scope_id"),)


def actor(session):
    """Who is making the session's changes: session.info["actor_id"] if set, else the request's caller."""
    if "actor_id" in session.info:
        return session.info["actor_id"]
    principal = g.get("principal") if has_app_context() else None
    return principal.id if principal is not None else None


def _changed_fields(obj):
    state = inspect(obj)
    return [
        attr.key
        for attr in state.mapper.column_attrs
        if attr.key not in _BOOKKEEPING and state.attrs[attr.key].history.has_changes()
    ]


def text_id(value):
    """An id as the log and the wire keep it: text (None stays None)."""
    return None if value is None else str(value)


@dataclass(frozen=True, slots=True)
class Record:
    """One change made in this transaction, before it has a position; what derivers see."""

    type: str
    resource_id: str
    scope_id: str | None  # the scope whose readers see it; None: unscoped
    op: str  # create, update or delete
    version: int
    fields: tuple = ()
    audience: str | None = None  # a private row's principal
    grant: str | None = None  # a Grant's principal: its create opens an access period, its delete closes one

    @classmethod
    def of(cls, obj, op, version, fields=()):
        """The record of `obj`'s change. Ids are text in the log, as on the wire, whatever their column
        type (an integer primary key is logged as "42")."""
        grant = getattr(obj, obj.__grant_principal__) if isinstance(obj, Grant) else None
        return cls(obj.__change_type__, text_id(obj.id), text_id(obj.scope_id), op, version, tuple(fields),
                   text_id(obj.audience_id), text_id(grant))

    @property
    def scope_key(self):
        """The feed scope whose watermark this change moves (None: unscoped)."""
        if self.scope_id is None:
            return None
        return self.scope_id if self.audience is None else private_key(self.scope_id, self.audience)

    def row(self, position, at, actor_id, stamp):
        """The `changes` row."""
        return {"position": position, "type": self.type, "resource_id": self.resource_id,
                "scope_id": self.scope_id, "op": self.op, "version": self.version, "fields": list(self.fields),
                "audience": self.audience, "at": at, "actor_id": actor_id, "stamp": stamp}


def derivers():
    """The derivers of the app in context (Pollfeed.derive); none outside an app, or before init_app."""
    if not has_app_context():
        return ()
    state = current_app.extensions.get("pollfeed")
    return state.extension.derivers if state is not None else ()


def _after_flush(session, flush_context):
    """Note what this flush changed; attribute history is still intact here."""
    pending = session.info.setdefault(_PENDING, [])
    for obj in session.new:
        if isinstance(obj, Versioned):
            pending.append(Record.of(obj, "create", obj.version))
    for obj in session.dirty:
        if isinstance(obj, Versioned) and session.is_modified(obj, include_collections=False):
            fields = _changed_fields(obj)
            if fields:
                pending.append(Record.of(obj, "update", obj.version, fields))
    for obj in session.deleted:
        if isinstance(obj, Versioned):
            # The tombstone's version is one above the last.
            pending.append(Record.of(obj, "delete", obj.version + 1))


def _log_statements():
    state, marks = FeedState.__table__, Watermark.__table__
    return {
        "positions": update(state).where(state.c.id == 1)
                                  .values(head=state.c.head + bindparam("count"), stamp=bindparam("stamp"))
                                  .returning(state.c.head),
        "changes": insert(Change.__table__),
        # Under the head row's lock (step 2) no other writer moves watermarks, so an UPDATE, then an
        # INSERT for a scope key seen for the first time, cannot race: no upsert needed.
        "move": update(marks).where(marks.c.scope_key == bindparam("key"))
                             .values(position=bindparam("pos"), stamp=bindparam("st")),
        "first": insert(marks),
    }


#: The log's statements, built once: a write pays for executing them, not for building them. Process-wide
#: on purpose: they are immutable statement objects over the engine's own tables, the same for every app
#: and dialect, and hold no app data. Each app's engine compiles and caches them itself (SQLAlchemy's
#: compiled cache is per Engine), so two apps share nothing compiled.
_STATEMENTS = _log_statements()


def _statements(conn):
    return _STATEMENTS


# --- the commit hook, step by step ----------------------------------------------------------------

def run_derivers(session):
    """Step 1: let the derivers bring derived rows up to date; their changes join the pending records.

    Run again in the same transaction (a write whose COMMIT waits for its stored answer runs them before
    the answer is made: pollfeed.resources.commit), they see only the records since the last run."""
    pending = session.info.get(_PENDING) or []
    done = session.info.get(_DERIVED, 0)
    todo = derivers() if len(pending) > done else ()
    if todo:
        records = list(pending[done:])
        for fn in todo:
            fn(session, records)
        session.flush()
    session.info[_DERIVED] = len(session.info.get(_PENDING) or [])


def take_positions(conn, count, stamp):
    """Step 2: the first of `count` new positions, under the head row's lock (held until COMMIT); the
    head's stamp becomes this transaction's."""
    head = conn.execute(_statements(conn)["positions"], {"count": count, "stamp": stamp}).scalar_one()
    return head - count + 1


def write_changes(conn, numbered, actor_id, stamp):
    """Step 3: one `changes` row per (position, record)."""
    at = utcnow()
    rows = [rec.row(position, at, actor_id, stamp) for position, rec in numbered]
    conn.execute(_statements(conn)["changes"], rows if len(rows) > 1 else rows[0])


def move_watermarks(conn, numbered, stamp):
    """Step 4: each touched scope's watermark to its newest position (and this transaction's stamp)."""
    scopes = {rec.scope_key: position for position, rec in numbered if rec.scope_key is not None}
    statements = _statements(conn)
    for key, position in scopes.items():
        if not conn.execute(statements["move"], {"key": key, "pos": position, "st": stamp}).rowcount:
            conn.execute(statements["first"], {"scope_key": key, "position": position, "stamp": stamp})


def update_access(conn, numbered, first):
    """Step 5: a grant's create opens an access period from the transaction's first position (a
    scope's creator sees its creation); its delete closes the period at the transaction's last
    position (a deleted scope's tombstones still reach its readers)."""
    access = FeedAccess.__table__
    last = numbered[-1][0]
    opened = [{"principal_id": rec.grant, "scope_id": rec.scope_id, "start_pos": first}
              for _, rec in numbered if rec.grant is not None and rec.op == "create"]
    for _, rec in numbered:
        if rec.grant is not None and rec.op == "delete":
            conn.execute(update(access).where(access.c.principal_id == rec.grant, access.c.scope_id == rec.scope_id,
                                              access.c.end_pos.is_(None)).values(end_pos=last))
    if opened:
        conn.execute(insert(access), opened)


#: Steps 2 to 4 in one round trip on PostgreSQL: data-modifying CTEs take the positions (the head row's
#: lock, held until COMMIT), insert the numbered changes and move each touched scope's watermark to its
#: newest position. An upsert here: the statement's snapshot may predate a first watermark that the
#: previous holder of the lock committed; ON CONFLICT sees it anyway (READ COMMITTED, as writes run).
_POSTGRESQL_LOG = """
WITH head AS (
    UPDATE feed_state SET head = head + %(count)s, stamp = %(stamp)s WHERE id = 1 RETURNING head
), numbered AS (
    SELECT head.head - %(count)s + r.n AS position, r.*
    FROM head, unnest(%(types)s::varchar[], %(ids)s::varchar[], %(scopes)s::varchar[], %(ops)s::varchar[],
                      %(versions)s::int[], %(fields)s::text[], %(audiences)s::varchar[], %(keys)s::varchar[])
               WITH ORDINALITY AS r(type, resource_id, scope_id, op, version, fields, audience, scope_key, n)
), logged AS (
    INSERT INTO changes (position, type, resource_id, scope_id, op, version, fields, at, actor_id, audience, stamp)
    SELECT position, type, resource_id, scope_id, op, version, fields::json, %(at)s, %(actor)s, audience, %(stamp)s
    FROM numbered
), marks AS (
    INSERT INTO feed_watermarks (scope_key, position, stamp)
    SELECT scope_key, max(position), %(stamp)s FROM numbered WHERE scope_key IS NOT NULL GROUP BY scope_key
    ON CONFLICT (scope_key) DO UPDATE SET position = excluded.position, stamp = excluded.stamp
)
SELECT head - %(count)s + 1 FROM head
"""


def _write_log_postgresql(conn, records, actor_id, stamp):
    """Steps 2 to 4 as one statement (see _POSTGRESQL_LOG); returns the first position."""
    return conn.exec_driver_sql(_POSTGRESQL_LOG, {
        "count": len(records), "at": utcnow(), "actor": actor_id, "stamp": stamp,
        "types": [r.type for r in records], "ids": [r.resource_id for r in records],
        "scopes": [r.scope_id for r in records], "ops": [r.op for r in records],
        "versions": [r.version for r in records], "fields": [json.dumps(list(r.fields)) for r in records],
        "audiences": [r.audience for r in records], "keys": [r.scope_key for r in records],
    }).scalar_one()


def write_log(conn, records, actor_id):
    """Steps 2 to 5: the transaction's records become positioned changes (2 to 4 in one round trip on
    PostgreSQL, where each statement is one). The transaction draws one stamp (pollfeed.stamps) for its
    block of positions: its changes, the watermarks it moves and the head carry it."""
    stamp = new_stamp()
    if conn.dialect.name == "postgresql":
        first = _write_log_postgresql(conn, records, actor_id, stamp)
        numbered = list(enumerate(records, first))
    else:
        first = take_positions(conn, len(records), stamp)
        numbered = list(enumerate(records, first))
        write_changes(conn, numbered, actor_id, stamp)
        move_watermarks(conn, numbered, stamp)
    update_access(conn, numbered, first)


def _before_commit(session):
    """Flush, derive, then write the pending changes at the end of the transaction, under the head lock."""
    session.flush()
    run_derivers(session)
    session.info.pop(_DERIVED, None)
    records = session.info.pop(_PENDING, None)
    if records:
        write_log(session.connection(), records, actor(session))


def _forget(session, *args):
    session.info.pop(_PENDING, None)
    session.info.pop(_DERIVED, None)


class BulkWriteRefused(RuntimeError):
    """An ORM bulk write on a versioned model: it would change rows without the log hearing of it."""

    def __init__(self, verb, model):
        advice = ("add the objects instead (session.add_all)" if verb == "INSERT"
                  else "load and change the objects instead")
        super().__init__(f"bulk {verb} on {model.__name__} would bypass the change log; {advice}")


def _refuse_bulk_writes(orm_execute_state):
    """ORM bulk INSERT, UPDATE and DELETE (`session.execute(insert(Model), [...])`, `update(Model)`,
    `delete(Model)`) never pass through the unit of work, so the log would not hear of their rows: refuse
    them for versioned models. (The commit hook's own writes go through the connection, not here.)"""
    state = orm_execute_state
    if state.is_insert or state.is_update or state.is_delete:
        verb = "INSERT" if state.is_insert else "UPDATE" if state.is_update else "DELETE"
        for mapper in state.all_mappers:
            if issubclass(mapper.class_, Versioned):
                raise BulkWriteRefused(verb, mapper.class_)


def _guard_mappings(method, verb):
    """Session.bulk_insert_mappings / bulk_update_mappings, refused for a versioned model (no session
    event sees them)."""
    def guarded(self, mapper, *args, **kwargs):
        model = inspect(mapper).class_
        if issubclass(model, Versioned):
            raise BulkWriteRefused(verb, model)
        return method(self, mapper, *args, **kwargs)

    guarded.__pollfeed_guard__ = True
    return guarded


def _guard_objects(method):
    """Session.bulk_save_objects, refused when any object is versioned (no session event sees it)."""
    def guarded(self, objects, *args, **kwargs):
        objects = list(objects)
        for obj in objects:
            if isinstance(obj, Versioned):
                raise BulkWriteRefused("INSERT or UPDATE", type(obj))
        return method(self, objects, *args, **kwargs)

    guarded.__pollfeed_guard__ = True
    return guarded


def install(sessions):
    """Attach the recorder to the sessions of `sessions` (idempotent): the host's `db.session`, whose
    sessionmaker has a Session class of its own, so that no other session in the process is hooked."""
    session_class = sessions.session_factory.class_ if hasattr(sessions, "session_factory") else sessions
    for name, fn in (
        ("after_flush", _after_flush),
        ("before_commit", _before_commit),
        ("after_rollback", _forget),
        ("after_soft_rollback", _forget),
        ("do_orm_execute", _refuse_bulk_writes),
    ):
        if not event.contains(session_class, name, fn):
            event.listen(session_class, name, fn)
    # The legacy bulk methods bypass every session event: they are guarded on the host's own Session class
    # (its sessionmaker's subclass), so no other session in the process is touched.
    for name, guard in (("bulk_insert_mappings", lambda m: _guard_mappings(m, "INSERT")),
                        ("bulk_update_mappings", lambda m: _guard_mappings(m, "UPDATE")),
                        ("bulk_save_objects", _guard_objects)):
        method = getattr(session_class, name)
        if not getattr(method, "__pollfeed_guard__", False):
            setattr(session_class, name, guard(method))
