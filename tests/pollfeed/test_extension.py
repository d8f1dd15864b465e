"""The Flask extension: Pollfeed(app=None, db=...) and init_app, state per app in app.extensions."""
import os
import shutil

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import func, select

from app import create_app
from app.extensions import db, pf
from pollfeed import Pollfeed
from pollfeed.changelog import Change

from ..support import fresh_database


def test_init_app_twice_wires_once(app):
    hooks = sum(len(v) for v in app.before_request_funcs.values())
    after = sum(len(v) for v in app.after_request_funcs.values())
    pf.init_app(app)
    assert app.extensions["pollfeed"].extension is pf
    assert sum(len(v) for v in app.before_request_funcs.values()) == hooks
    assert sum(len(v) for v in app.after_request_funcs.values()) == after


def test_clear_errors_for_a_missing_db():
    with pytest.raises(TypeError, match=r"Pollfeed\(db=db\)"):
        Pollfeed(Flask("host"))
    with pytest.raises(RuntimeError, match=r"db.init_app\(app\) before"):
        Pollfeed(Flask("host"), db=SQLAlchemy())
    outside = Flask("host")
    with outside.app_context(), pytest.raises(RuntimeError, match="Pollfeed is not set up on this app"):
        from pollfeed.state import db as engine_db

        engine_db.session  # noqa: B018 (the lookup is what fails)


def test_one_extension_on_two_apps_keeps_their_databases_apart(app, template_db, tmp_path, make_user):
    """The reference server's one `pf` bound to two apps: a write in one logs there and only there."""
    if template_db is None:
        other_url = fresh_database(os.environ["TEST_DATABASE_URL"], alongside=True)  # keep the first
    else:
        shutil.copy(template_db, tmp_path / "other.db")
        other_url = f"sqlite:///{tmp_path / 'other.db'}"
    other = create_app({"SQLALCHEMY_DATABASE_URI": other_url, "TESTING": True})
    assert other.extensions["pollfeed"].extension is app.extensions["pollfeed"].extension is pf

    def logged(an_app):
        with an_app.app_context():
            return db.session.execute(select(func.count()).select_from(Change)).scalar()

    before_other = logged(other)
    make_user("alice").post("/projects", json={"name": "only here"})
    assert logged(app) > 0
    assert logged(other) == before_other
    with other.app_context():
        db.engine.dispose()


def test_only_the_hosts_sessions_are_hooked(app):
    """The commit hook is on the host's db.session (its sessionmaker's own class), not on every Session."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from pollfeed import changelog

    hosts = db.session.session_factory.class_
    assert hosts is not Session and issubclass(hosts, Session)
    assert event.contains(hosts, "before_commit", changelog._before_commit)
    assert not event.contains(Session, "before_commit", changelog._before_commit)
    other = SQLAlchemy()
    assert not event.contains(other.session.session_factory.class_, "before_commit", changelog._before_commit)
