"""Version guards (pollfeed/guards.py): a raw UPDATE that keeps the version is refused by the database;
and an app of its own (its own db, an integer primary key) gets the engine's tables, the log's first row
and the guards from db.create_all()."""
import os

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Integer, String, create_engine, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from pollfeed import Pollfeed, guards
from pollfeed.changelog import Change, FeedState
from pollfeed.maintenance import verify
from pollfeed.versioned import MODELS, Versioned

from ..support import fresh_database


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
                            "ETag (pollfeed/guards.py)"]
        guards.install(db.session.connection(), ["customers"])
        assert verify() == []
        db.session.rollback()


@pytest.fixture
def host_url(tmp_path):
    """An empty database, for an app that is not the reference server."""
    if os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"):
        url = fresh_database(os.environ["TEST_DATABASE_URL"], alongside=True)
        engine = create_engine(url)
        with engine.begin() as conn:  # emptied: the fresh database is the reference server's, migrated
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        return url
    return f"sqlite:///{tmp_path / 'host.db'}"


def test_an_app_of_its_own_with_integer_ids_gets_everything_from_create_all(host_url):
    host_db = SQLAlchemy()

    class Ticket(host_db.Model, Versioned):
        __tablename__ = "tickets"
        __change_type__ = "ticket"
        __scope_attr__ = "team_id"
        id: Mapped[int] = mapped_column(Integer, primary_key=True)
        team_id: Mapped[int] = mapped_column(Integer, nullable=False)
        title: Mapped[str] = mapped_column(String(200), nullable=False)

    try:
        app = Flask("helpdesk")
        app.config["SQLALCHEMY_DATABASE_URI"] = host_url
        host_db.init_app(app)
        Pollfeed(app, db=host_db)
        with app.app_context():
            host_db.create_all()
            state = host_db.session.execute(select(FeedState)).scalar_one()
            assert (state.head, state.horizon) == (0, 0) and state.stamp == state.horizon_stamp != 0
            ticket = Ticket(team_id=7, title="Printer on fire")
            host_db.session.add(ticket)
            host_db.session.commit()
            ticket.title = "Printer still on fire"
            host_db.session.commit()
            log = host_db.session.execute(select(Change.resource_id, Change.scope_id, Change.op, Change.version)
                                          .order_by(Change.position)).all()
            assert log == [(str(ticket.id), "7", "create", 1), (str(ticket.id), "7", "update", 2)]
            assert host_db.session.scalar(select(func.max(FeedState.head))) == 2
            with pytest.raises(IntegrityError, match="must raise its version"):
                host_db.session.execute(text("UPDATE tickets SET title = 'raw'"))
            host_db.session.rollback()
            host_db.drop_all()
            host_db.engine.dispose()
    finally:
        MODELS.pop("ticket", None)  # the type registry is process-wide (pollfeed/versioned.py)
