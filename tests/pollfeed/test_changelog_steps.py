"""The commit hook's steps (pollfeed/changelog.py), each on its own, on a real connection."""
from sqlalchemy import event, select

from app.extensions import db
from app.progress.derive import affects
from pollfeed.changelog import (
    Change,
    FeedAccess,
    FeedState,
    Record,
    Watermark,
    move_watermarks,
    take_positions,
    update_access,
    write_changes,
    write_log,
)
from pollfeed.versioned import private_key


def rec(**kw):
    base = {"type": "task", "resource_id": "t1", "scope_id": "p1", "op": "update", "version": 2}
    return Record(**{**base, **kw})


def test_a_record_knows_its_scope_key_and_row():
    assert rec().scope_key == "p1"
    assert rec(audience="u1").scope_key == private_key("p1", "u1")
    assert rec(scope_id=None).scope_key is None
    row = rec(fields=("title",)).row(7, "AT", "actor", 99)
    assert row == {"position": 7, "type": "task", "resource_id": "t1", "scope_id": "p1", "op": "update",
                   "version": 2, "fields": ["title"], "audience": None, "at": "AT", "actor_id": "actor", "stamp": 99}
    assert "grant" not in rec(grant="u9").row(1, "AT", None, 1)


def test_take_positions_hands_out_consecutive_blocks(app):
    with app.app_context():
        conn = db.session.connection()
        head = conn.execute(select(FeedState.head)).scalar()
        assert take_positions(conn, 3, 11) == head + 1
        assert take_positions(conn, 2, 12) == head + 4
        assert conn.execute(select(FeedState.head, FeedState.stamp)).one() == (head + 5, 12)  # the head's stamp
        db.session.rollback()


def test_changes_and_watermarks_take_each_scopes_newest_position(app):
    with app.app_context():
        conn = db.session.connection()
        numbered = [(101, rec()), (102, rec(resource_id="t2")), (103, rec(scope_id="p2")),
                    (104, rec(audience="u1")), (105, rec(scope_id=None, type="user"))]
        write_changes(conn, numbered, "actor", 21)
        move_watermarks(conn, numbered, 21)
        positions = conn.execute(select(Change.position).where(Change.position > 100)).scalars().all()
        assert sorted(positions) == [101, 102, 103, 104, 105]
        assert set(conn.execute(select(Change.stamp).where(Change.position > 100)).scalars()) == {21}
        marks = dict(conn.execute(select(Watermark.scope_key, Watermark.position)).all())
        assert marks["p1"] == 102 and marks["p2"] == 103 and marks[private_key("p1", "u1")] == 104
        move_watermarks(conn, [(106, rec(scope_id="p2"))], 22)
        assert conn.execute(select(Watermark.position, Watermark.stamp).where(
            Watermark.scope_key == "p2")).one() == (106, 22)
        db.session.rollback()


def test_a_grant_opens_access_from_the_first_position_and_closes_at_the_last(app):
    with app.app_context():
        conn = db.session.connection()
        update_access(conn, [(50, rec(type="project", scope_id="p9")),
                             (51, rec(type="member", op="create", scope_id="p9", grant="u1"))], first=50)
        periods = conn.execute(select(FeedAccess.start_pos, FeedAccess.end_pos).where(
            FeedAccess.principal_id == "u1", FeedAccess.scope_id == "p9")).all()
        assert periods == [(50, None)]
        update_access(conn, [(60, rec(type="member", op="delete", scope_id="p9", grant="u1")),
                             (61, rec(type="task", op="delete", scope_id="p9"))], first=60)
        periods = conn.execute(select(FeedAccess.start_pos, FeedAccess.end_pos).where(
            FeedAccess.principal_id == "u1", FeedAccess.scope_id == "p9")).all()
        assert periods == [(50, 61)]
        db.session.rollback()


def test_progress_is_derived_only_from_changes_that_can_move_it():
    assert affects(rec(op="create")) and affects(rec(op="delete"))
    assert affects(rec(fields=("status_id", "completed_at"))) and affects(rec(fields=("points",)))
    assert not affects(rec(fields=("title", "description")))
    assert affects(rec(type="status", fields=("done",))) and not affects(rec(type="status", fields=("name",)))
    assert affects(rec(type="member", op="create")) and not affects(rec(type="member", fields=("role",)))
    assert not affects(rec(type="customer", op="create"))
    assert not affects(rec(scope_id=None, op="create"))


def test_write_log_positions_logs_and_moves_watermarks_in_one_round_trip_on_postgresql(app):
    """Steps 2 to 4 together: SQLite runs them one by one, PostgreSQL as one statement (the same rows)."""
    with app.app_context():
        conn = db.session.connection()
        head = conn.execute(select(FeedState.head)).scalar()
        seen = []

        def count(conn, cursor, statement, *args):
            seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            write_log(conn, [rec(fields=("title", "status_id")), rec(resource_id="t2", scope_id="p7"),
                             rec(audience="u1"), rec(scope_id=None, type="user"), rec(op="delete", version=3)],
                      "actor")
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        rows = conn.execute(select(Change.position, Change.resource_id, Change.scope_id, Change.op, Change.version,
                                   Change.fields, Change.audience, Change.actor_id)
                            .where(Change.position > head).order_by(Change.position)).all()
        assert rows == [(head + 1, "t1", "p1", "update", 2, ["title", "status_id"], None, "actor"),
                        (head + 2, "t2", "p7", "update", 2, [], None, "actor"),
                        (head + 3, "t1", "p1", "update", 2, [], "u1", "actor"),
                        (head + 4, "t1", None, "update", 2, [], None, "actor"),
                        (head + 5, "t1", "p1", "delete", 3, [], None, "actor")]
        assert conn.execute(select(FeedState.head)).scalar() == head + 5
        marks = dict(conn.execute(select(Watermark.scope_key, Watermark.position)).all())
        assert marks["p1"] == head + 5 and marks["p7"] == head + 2 and marks[private_key("p1", "u1")] == head + 3
        if conn.dialect.name == "postgresql":
            assert len(seen) == 1, seen
        else:
            assert len(seen) >= 3
        db.session.rollback()
