"""Fixtures: app (a fresh migrated database per test), client helpers, runner, users made through the CLI."""
import os
import shutil

import pytest
from flask_migrate import upgrade

from app import create_app
from app.extensions import db

from .server import Server
from .support import Api, fresh_database


@pytest.fixture(scope="session")
def template_db(tmp_path_factory):
    """SQLite: one migrated database, copied for each test (migrations run once, really)."""
    if os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"):
        return None
    path = tmp_path_factory.mktemp("template") / "template.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return path


@pytest.fixture
def database_url(template_db, tmp_path):
    if template_db is None:
        return fresh_database(os.environ["TEST_DATABASE_URL"])
    path = tmp_path / "test.db"
    shutil.copy(template_db, path)
    return f"sqlite:///{path}"


@pytest.fixture
def app(database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True})
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app, runner):
    """make_user(name, admin=False) -> Api client bound to that user's new token (made by the real CLI)."""

    def make(name, admin=False):
        result = runner.invoke(args=["users", "create", name] + (["--admin"] if admin else []))
        assert result.exit_code == 0, result.output
        token = result.stdout.strip().splitlines()[-1]
        return Api(app.test_client(), token, name)

    return make


@pytest.fixture
def alice(make_user):
    return make_user("alice")


@pytest.fixture
def bob(make_user):
    return make_user("bob")


@pytest.fixture
def admin(make_user):
    return make_user("root", admin=True)


@pytest.fixture
def anonymous(app):
    return Api(app.test_client(), None, "anonymous")


@pytest.fixture
def board(alice):
    """alice's project with statuses Todo and Done and one task."""
    return alice.make_board()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A real gunicorn (4 workers) per test module, on its own database."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    if url.startswith("postgresql"):
        database_url = fresh_database(url)
    else:
        database_url = f"sqlite:///{tmp_path_factory.mktemp('gunicorn')}/blackbox.db"
    with Server(database_url, workers=4, env={"POLL_INTERVAL_VISIBLE": "7", "POLL_INTERVAL_HIDDEN": "0"}) as s:
        yield s
