"""Version guards (pollfeed/guards.py): a raw UPDATE that keeps the version is refused by the database."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from pollfeed import guards
from pollfeed.maintenance import verify


def test_a_raw_update_that_keeps_the_version_is_refused(app, board):
    task = board["task"]["id"]
    with app.app_context():
        with pytest.raises(IntegrityError, match="must raise its version"):
            db.session.execute(text("UPDATE tasks SET title = 'behind its back' WHERE id = :id"), {"id": task})
        db.session.rollback()
        # One that raises the version gets through: its tag moves; verify reports the log's blind spot.
        db.session.execute(text("UPDATE tasks SET title = 'x', version = version + 1 WHERE id = :id"), {"id": task})
        db.session.commit()
        assert any(f"task {task} has version 2" in p for p in verify())


def test_verify_reports_a_table_without_its_guard(app, board):
    with app.app_context():
        assert verify() == []
        guards.drop(db.session.connection(), "customers")
        assert verify() == ["table customers has no version guard: a raw UPDATE could change a row under its "
                            'ETag; add it in a migration: pollfeed.guards.install(op.get_bind(), ["customers"])']
        guards.install(db.session.connection(), ["customers"])
        assert verify() == []
        db.session.rollback()
