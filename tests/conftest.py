"""Fixtures: app (a fresh migrated database per test), client helpers, runner, users made through the CLI."""
import os
import shutil

import pytest
from flask_migrate import upgrade
from sqlalchemy import event

from app import create_app
from app.extensions import db

from .server import Server
from .support import Api, approve, event_body, fresh_database, server_database

pytest_plugins = ["pollfeed.testing"]  # the adopters' fixture (polling_client), as an adopter would load it


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
def app(database_url, request):
    """The app on the test's database; `@pytest.mark.app_config({...})` adds settings before it is made."""
    marker = request.node.get_closest_marker("app_config")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, **(marker.args[0] if marker else {})})
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
    env = {"POLL_INTERVAL_VISIBLE": "7", "POLL_INTERVAL_HIDDEN": "0"}
    with Server(server_database(tmp_path_factory), workers=4, env=env) as s:
        yield s


# --- a project with an owner (alice), a member (bob), an outsider (carol), an admin, one of everything ---

@pytest.fixture
def carol(make_user):
    return make_user("carol")


@pytest.fixture
def world(alice, bob, board):
    """alice owns the board; bob is a member with an approved event, a booking, a thread and a notification."""
    pid = board["pid"]
    alice.add_member(pid, bob)
    event = bob.created(f"/projects/{pid}/events", event_body())
    approve(alice, event["id"])
    booking = bob.created(f"/events/{event['id']}/bookings", None)
    thread = bob.created(f"/projects/{pid}/threads", {"subject": "Catering"})
    message = bob.created(f"/threads/{thread['id']}/messages", {"body": "Pizza?"})
    customer = alice.created(f"/projects/{pid}/customers",
                             {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com",
                              "phone": "+44 20 7946 0018"})
    pending = bob.created(f"/projects/{pid}/events", event_body(title="Pending"))
    open_event = bob.created(f"/projects/{pid}/events", event_body(title="Open"))
    approve(alice, open_event["id"])
    notes = bob.get(f"/projects/{pid}/notifications").json["items"]
    assert notes, "bob's approval notified him"
    return {**board, "event": event, "pending": pending, "open": open_event, "booking": booking,
            "thread": thread, "message": message, "customer": customer, "notification": notes[0],
            "bob_id": bob.me()["id"], "alice_id": alice.me()["id"]}


@pytest.fixture
def callers(alice, bob, carol, anonymous, admin):
    """owner, member, outsider (carol, with a project of her own), anonymous and admin."""
    carol.make_board("carol's own")
    return dict(zip(("owner", "member", "outsider", "anonymous", "admin"), (alice, bob, carol, anonymous, admin),
                    strict=True))


@pytest.fixture
def statements(app):
    """Every statement the app's engine runs (the Flask path's; the poll path uses raw connections)."""
    seen = []

    def record(conn, cursor, statement, params, context, executemany):
        seen.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    with app.app_context():
        event.remove(db.engine, "before_cursor_execute", record)
