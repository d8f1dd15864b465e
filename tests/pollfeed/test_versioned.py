"""Versions, the change log written in the same transaction, tombstones, no-op writes."""
import pytest
from sqlalchemy import func, insert, select, update

from app.boards.models import Task
from app.extensions import db
from pollfeed.changelog import BulkWriteRefused, Change


def changes_of(app, resource_id):
    with app.app_context():
        return [(c.op, c.version, c.fields) for c in
                db.session.scalars(select(Change).where(Change.resource_id == resource_id).order_by(Change.position))]


def test_version_starts_at_1_and_moves_by_one_per_changing_write(app, alice, board):
    path = f"/tasks/{board['task']['id']}"
    assert board["task"]["version"] == 1
    assert alice.edit(path, {"title": "A"}).json["version"] == 2
    assert alice.edit(path, {"title": "B", "points": 3}).json["version"] == 3
    assert changes_of(app, board["task"]["id"]) == [
        ("create", 1, []), ("update", 2, ["title"]), ("update", 3, ["title", "points"])]


def test_a_write_that_changes_nothing_keeps_version_and_logs_nothing(app, alice, board):
    path = f"/tasks/{board['task']['id']}"
    before = changes_of(app, board["task"]["id"])
    r = alice.edit(path, {"title": board["task"]["title"], "position": board["task"]["position"]})
    assert r.json["version"] == 1
    assert r.headers["ETag"] == alice.get(path).headers["ETag"]
    assert changes_of(app, board["task"]["id"]) == before


def test_delete_writes_a_tombstone_one_version_above(app, alice, board):
    alice.edit(f"/tasks/{board['task']['id']}", {"title": "x"})
    alice.remove(f"/tasks/{board['task']['id']}")
    assert changes_of(app, board["task"]["id"])[-1] == ("delete", 3, [])


def test_rolled_back_write_leaves_no_change(app, alice, board):
    with app.app_context():
        head = db.session.scalar(select(Change.position).order_by(Change.position.desc()))
        task = db.session.get(Task, board["task"]["id"])
        task.title = "never committed"
        db.session.flush()
        db.session.rollback()
        db.session.commit()  # the pending change list was forgotten with the rollback
        assert db.session.scalar(select(Change.position).order_by(Change.position.desc())) == head
        assert db.session.get(Task, board["task"]["id"]).title == "Fix homepage"


def test_the_log_is_written_by_the_session_not_by_routes(app, alice, board):
    """Any ORM write, here one made outside any route, lands in the log."""
    with app.app_context():
        task = db.session.get(Task, board["task"]["id"])
        task.description = "written from a script"
        db.session.commit()
    assert changes_of(app, board["task"]["id"])[-1] == ("update", 2, ["description"])


def test_bulk_update_of_a_versioned_model_is_refused(app, board):
    with app.app_context():
        with pytest.raises(RuntimeError, match="bypass the change log"):
            db.session.execute(update(Task).values(title="bulk"))


def test_bulk_insert_of_a_versioned_model_is_refused_and_adding_the_objects_is_logged(app, board):
    """An ORM bulk INSERT never passes through the unit of work, so the log would not hear of its rows (and
    a poll of the list would stay 304 while it grew): it is refused, as are the legacy bulk methods, and
    nothing is written. Added as objects, the same rows are logged."""
    with app.app_context():
        task = db.session.get(Task, board["task"]["id"])
        rows = [{"project_id": task.project_id, "status_id": task.status_id, "title": f"bulk {i}"} for i in range(2)]
        before = db.session.scalar(select(func.count()).select_from(Task))
        with pytest.raises(BulkWriteRefused, match="bulk INSERT on Task would bypass the change log"):
            db.session.execute(insert(Task), rows)
        with pytest.raises(BulkWriteRefused, match="INSERT on Task"):
            db.session.execute(insert(Task).values(**rows[0]))
        with pytest.raises(BulkWriteRefused, match="INSERT on Task"):
            db.session.bulk_insert_mappings(Task, rows)
        with pytest.raises(BulkWriteRefused, match="UPDATE on Task"):
            db.session.bulk_update_mappings(Task, [{"id": task.id, "version": task.version, "title": "x"}])
        with pytest.raises(BulkWriteRefused, match="on Task"):
            db.session.bulk_save_objects([Task(**rows[0])])
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Task)) == before
        added = [Task(**row) for row in rows]
        db.session.add_all(added)
        db.session.commit()
        ids = [t.id for t in added]
    for task_id in ids:
        assert changes_of(app, task_id) == [("create", 1, [])]


def test_positions_are_dense_and_increasing(app, alice, board):
    for i in range(5):
        alice.created(f"/projects/{board['pid']}/tasks", {"title": f"t{i}", "status_id": board["todo"]["id"]})
    with app.app_context():
        positions = list(db.session.scalars(select(Change.position).order_by(Change.position)))
    assert positions == list(range(1, len(positions) + 1))


def test_ids_are_opaque_strings_not_sequential(alice, board):
    ids = [alice.created(f"/projects/{board['pid']}/tasks", {"title": "t", "status_id": board["todo"]["id"]})["id"]
           for _ in range(3)]
    assert all(isinstance(i, str) and len(i) == 26 for i in ids)
    assert not any(i.isdigit() for i in ids)
    assert len(set(i[-16:] for i in ids)) == 3  # random tails


def test_timestamps_are_rfc3339_utc(alice, board):
    t = board["task"]
    assert t["created_at"].endswith("Z") and t["updated_at"].endswith("Z")
    r = alice.get(f"/tasks/{t['id']}")
    assert r.headers["Last-Modified"].endswith("GMT")


def test_a_model_names_its_scope_and_a_grant_its_principal_the_engine_assumes_neither():
    """No default names a host's notions: a Versioned model without __scope_attr__, or a Grant without
    __grant_principal__, fails when it is declared, with a message that says what to add."""
    from sqlalchemy import Integer, MetaData, String
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

    from pollfeed import Grant, PrincipalSource, Versioned

    class Base(DeclarativeBase):
        metadata = MetaData()

    with pytest.raises(TypeError, match="__scope_attr__"):
        class Loose(Base, Versioned):
            __tablename__ = "loose"
            __change_type__ = "loose"

    with pytest.raises(TypeError, match="__grant_principal__"):
        class Access(Base, Versioned, Grant):
            __tablename__ = "access"
            __change_type__ = "access"
            __scope_attr__ = "board_id"
            board_id: Mapped[int] = mapped_column(Integer)
            account_id: Mapped[str] = mapped_column(String(40))

    class Seat(Base, Versioned, Grant):
        __tablename__ = "seats"
        __change_type__ = "seat"
        __scope_attr__ = "board_id"
        __grant_principal__ = "account_id"
        board_id: Mapped[int] = mapped_column(Integer)
        account_id: Mapped[str] = mapped_column(String(40))

    assert Seat.__grant_principal__ == "account_id"
    assert "principal_id" in PrincipalSource._fields and "user_id" not in PrincipalSource._fields

    # A synonym of a column names it too (the engine reads the attribute).
    from sqlalchemy.orm import synonym

    class Pinned(Base, Versioned):
        __tablename__ = "pinned"
        __change_type__ = "pinned"
        __scope_attr__ = "board"
        board_id: Mapped[int] = mapped_column(Integer)
        board = synonym("board_id")

    assert Pinned(board_id=3).scope_id == 3
    # A column it names must be one of its own: a misspelt name fails here, not at the first commit.
    for setting in ("__scope_attr__", "__audience_attr__", "__grant_principal__"):
        names = {"__scope_attr__": "board_id", "__grant_principal__": "account_id", setting: "boardid"}
        with pytest.raises(TypeError, match=f"{setting} = 'boardid' names no column of the model; its columns "
                                            f"are board_id, account_id, id, version"):
            type(f"Typo{setting.strip('_')}", (Base, Versioned, Grant), {
                "__tablename__": f"typo_{setting.strip('_')}", "__change_type__": f"typo_{setting.strip('_')}",
                **names, "__annotations__": {"board_id": Mapped[int], "account_id": Mapped[str]},
                "board_id": mapped_column(Integer), "account_id": mapped_column(String(40))})
