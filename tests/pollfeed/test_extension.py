"""The Flask extension: Pollfeed(app=None, db=...) and init_app, state per app in app.extensions."""
import os
import shutil

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import func, select

from app import create_app
from app.extensions import db, pf
from pollfeed import Pollfeed, polling
from pollfeed.changelog import Change

from ..support import Api, fresh_database


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


def _second_app(template_db, tmp_path):
    """Another app made by the reference server's factory, on a database of its own."""
    if template_db is None:
        other_url = fresh_database(os.environ["TEST_DATABASE_URL"], alongside=True)  # keep the first
    else:
        shutil.copy(template_db, tmp_path / "other.db")
        other_url = f"sqlite:///{tmp_path / 'other.db'}"
    return create_app({"SQLALCHEMY_DATABASE_URI": other_url, "TESTING": True})


def test_one_extension_on_two_apps_keeps_their_databases_apart(app, template_db, tmp_path, make_user):
    """The reference server's one `pf` bound to two apps: a write in one logs there and only there."""
    other = _second_app(template_db, tmp_path)
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


def test_one_extension_on_two_apps_keeps_their_statements_and_memos_apart(app, template_db, tmp_path, make_user):
    """Statements built and compiled, changes serialised, the poll path and the load signal: each app's own
    (app.extensions["pollfeed"]), though both apps share one extension and its declarations."""
    other = _second_app(template_db, tmp_path)
    here, there = app.extensions["pollfeed"], other.extensions["pollfeed"]
    assert here is not there and here.extension is there.extension is pf
    assert here.poll_path is not None and there.poll_path is not None and here.poll_path is not there.poll_path
    assert polling.load_signal(app) is here.load and polling.load_signal(other) is there.load
    assert here.load is not there.load

    alice = make_user("alice")
    alice.created("/projects", {"name": "only here"})
    assert alice.get("/changes").status_code == 200
    assert here.lookups and here.serialised
    assert not there.lookups and not there.serialised  # nothing of this app's reached the other's

    made = other.test_cli_runner().invoke(args=["users", "create", "carol"])
    carol = Api(other.test_client(), made.stdout.strip().splitlines()[-1], "carol")
    carol.created("/projects", {"name": "only there"})
    page = carol.get("/changes")
    assert [c["type"] for c in page.json["changes"]] and "only here" not in page.get_data(as_text=True)
    assert there.serialised and not set(there.serialised) & set(here.serialised)
    shared = set(here.lookups) & set(there.lookups)
    assert shared and all(here.lookups[k] is not there.lookups[k] for k in shared)  # each compiled its own

    tag = carol.get("/changes?since=now").headers["ETag"]
    answered = here.poll_path.answered
    assert carol.get("/changes?since=now", headers={"If-None-Match": tag}).status_code == 304
    assert there.poll_path.answered == 1 and here.poll_path.answered == answered
    there.poll_path.close()
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


def test_declarations_that_would_fail_later_fail_when_they_are_made(tmp_path):
    """Each of these once failed only at a request or a commit, or not at all (found by trying the docs
    as a new user): a token source after init_app (no poll path, silently), a loader beside bearer tokens
    (the two paths asking different sources), a model without its type, a Grant that is not versioned."""
    from sqlalchemy import Integer, String, true
    from sqlalchemy.orm import Mapped, mapped_column

    from pollfeed import Caller, Grant, PrincipalSource, Versioned

    host_db = SQLAlchemy()

    class Account(host_db.Model):
        id: Mapped[int] = mapped_column(Integer, primary_key=True)
        token_hash: Mapped[str] = mapped_column(String(64))

    source = PrincipalSource(source=Account.__table__, token_hash=Account.token_hash, principal_id=Account.id,
                             is_admin=true(), name=Account.token_hash, valid=true(), digest=str)
    both = Pollfeed(db=host_db)
    both.bearer_tokens(source)
    with pytest.raises(RuntimeError, match="both declared"):
        both.caller_loader(lambda: Caller("1", "one", False))

    late = Pollfeed(db=host_db)
    app = Flask("late")
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'late.db'}"
    host_db.init_app(app)
    late.init_app(app)
    with pytest.raises(RuntimeError, match="before init_app"):
        late.bearer_tokens(source)
    with app.app_context(), pytest.raises(RuntimeError, match="No read rule"):
        late.rule()

    with pytest.raises(TypeError, match="__change_type__"):
        class Untyped(host_db.Model, Versioned):
            __scope_attr__ = "team_id"
            id: Mapped[int] = mapped_column(Integer, primary_key=True)
            team_id: Mapped[int] = mapped_column(Integer)

    with pytest.raises(TypeError, match="a Grant is a Versioned model too"):
        class Seat(host_db.Model, Grant):
            __grant_principal__ = "account_id"
            id: Mapped[int] = mapped_column(Integer, primary_key=True)
            account_id: Mapped[int] = mapped_column(Integer)
