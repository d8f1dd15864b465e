"""examples/helpdesk, an app built on Pollfeed's public API only: its own models (integer ids, a Team
scope), its own tokens and its own migrations. On the run's database (SQLite, then PostgreSQL).

In one process: 304s answered ahead of Flask (counted), 428 and 412, the feed filtered by ?team= and by
membership, tombstones. Behind a real gunicorn: the Python client follows its feed, and concurrent
writers leave no gap in it."""
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from flask_migrate import upgrade
from pollfeed_client import Client

from ..server import Server
from ..support import empty_database

HELPDESK = Path(__file__).resolve().parents[2] / "examples" / "helpdesk"
sys.path.insert(0, str(HELPDESK))
from helpdesk import create_app  # noqa: E402  (the example's own package, as its README runs it)


@pytest.fixture
def desk(tmp_path):
    """The helpdesk on an empty database, migrated; two teams; ada in team 1, bob in team 2, root an admin."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database(tmp_path), "TESTING": True})
    with app.app_context():
        upgrade(directory=str(HELPDESK / "migrations"))
    cli = app.test_cli_runner()

    def run(*args):
        r = cli.invoke(args=["helpdesk", *args])
        assert r.exit_code == 0, r.output
        return r.output.strip()

    teams = [run("add-team", "Support"), run("add-team", "Billing")]
    tokens = {"ada": run("add-user", "ada", "--team", teams[0]), "bob": run("add-user", "bob", "--team", teams[1]),
              "root": run("add-user", "root", "--admin")}
    yield app, teams, {n: {"Authorization": f"Bearer {t}"} for n, t in tokens.items()}
    with app.app_context():
        from helpdesk import db

        db.engine.dispose()


def test_its_migrations_make_what_its_models_say_and_verify_finds_the_guards(desk):
    app, _teams, _who = desk
    cli = app.test_cli_runner()
    for args in (["db", "check", "-d", str(HELPDESK / "migrations")], ["pollfeed", "verify"]):
        r = cli.invoke(args=args)
        assert r.exit_code == 0, r.output


def test_polls_are_answered_ahead_of_flask_and_writes_are_conditional(desk):
    app, (support, _billing), who = desk
    c, ada = app.test_client(), who["ada"]
    poll_path = app.extensions["pollfeed.poll_path"]
    made = c.post(f"/teams/{support}/tickets", json={"title": "Printer on fire"}, headers=ada)
    assert made.status_code == 201, made.get_data(as_text=True)
    ticket, tag = made.get_json(), made.headers["ETag"]
    assert ticket["id"].isdigit() and ticket["team_id"] == support  # integer ids, as JSON strings
    listing = c.get(f"/teams/{support}/tickets", headers=ada)
    before = poll_path.answered
    assert c.get(f"/tickets/{ticket['id']}", headers={**ada, "If-None-Match": tag}).status_code == 304
    assert c.get(f"/teams/{support}/tickets", headers={**ada, "If-None-Match": listing.headers["ETag"]}
                 ).status_code == 304
    assert poll_path.answered == before + 2  # both decided by the poll path's statement, not by Flask
    # Writes need If-Match: 428 without, 412 with a stale tag, 200 with the current one.
    url = f"/tickets/{ticket['id']}"
    assert c.patch(url, json={"status": "closed"}, headers=ada).status_code == 428
    done = c.patch(url, json={"status": "closed"}, headers={**ada, "If-Match": tag})
    assert done.status_code == 200 and done.get_json()["version"] == 2
    assert c.patch(url, json={"status": "open"}, headers={**ada, "If-Match": tag}).status_code == 412
    # The old tags no longer match: a 200 with the new body, from Flask.
    again = c.get(url, headers={**ada, "If-None-Match": tag})
    assert again.status_code == 200 and again.get_json()["status"] == "closed"
    assert c.get(f"/teams/{support}/tickets", headers={**ada, "If-None-Match": listing.headers["ETag"]}
                 ).status_code == 200
    # Another team's ticket is not the caller's to read, on either path.
    assert c.get(url, headers={**who["bob"], "If-None-Match": done.headers["ETag"]}).status_code == 404
    assert c.get(url, headers=who["bob"]).status_code == 404
    assert c.get(url).status_code == 401


def test_the_feed_is_filtered_by_team_and_by_membership_with_tombstones(desk):
    app, (support, billing), who = desk
    c = app.test_client()
    mine = c.post(f"/teams/{support}/tickets", json={"title": "VPN down"}, headers=who["ada"]).get_json()
    theirs = c.post(f"/teams/{billing}/tickets", json={"title": "Invoice"}, headers=who["bob"]).get_json()
    note = c.post(f"/tickets/{mine['id']}/comments", json={"body": "rebooting"}, headers=who["ada"])
    assert note.status_code == 201, note.get_data(as_text=True)
    assert c.post(f"/teams/{billing}/tickets", json={"title": "x"}, headers=who["ada"]).status_code == 404

    def changes(name, query=""):
        r = c.get(f"/changes?types=ticket,comment{query}", headers=who[name])
        assert r.status_code == 200, r.get_data(as_text=True)
        return r.get_json()

    assert [(x["type"], x["id"]) for x in changes("ada")["changes"]] == [("ticket", mine["id"]),
                                                                          ("comment", note.get_json()["id"])]
    assert [x["id"] for x in changes("bob")["changes"]] == [theirs["id"]]
    assert {x["team_id"] for x in changes("root")["changes"]} == {support, billing}
    assert [x["id"] for x in changes("root", f"&team={billing}")["changes"]] == [theirs["id"]]
    assert c.get(f"/changes?team={billing}", headers=who["ada"]).status_code == 404
    # ?include=resource embeds the current bodies (integer keys found from the log's text ids)
    embedded = changes("ada", "&include=resource")["changes"]
    assert [x["resource"]["title"] if x["type"] == "ticket" else x["resource"]["body"] for x in embedded] == [
        "VPN down", "rebooting"]
    # Deleting a ticket deletes its comments: each leaves a tombstone, children first.
    cursor = changes("ada")["next"]
    tag = c.get(f"/tickets/{mine['id']}", headers=who["ada"]).headers["ETag"]
    assert c.delete(f"/tickets/{mine['id']}", headers={**who["ada"], "If-Match": tag}).status_code == 204
    gone = changes("ada", f"&since={cursor}")["changes"]
    assert [(x["type"], x["op"]) for x in gone] == [("comment", "delete"), ("ticket", "delete")]


@pytest.fixture
def served(tmp_path):
    """The helpdesk behind a real gunicorn (2 workers), migrated by `flask db upgrade`, with a team."""
    env = {**os.environ, "DATABASE_URL": empty_database(tmp_path),
           "PYTHONPATH": os.pathsep.join([str(HELPDESK), str(HELPDESK.parents[1])])}

    def flask(*args):
        out = subprocess.run([sys.executable, "-m", "flask", "--app", "helpdesk", *args], cwd=HELPDESK, env=env,
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        return out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""

    flask("db", "upgrade")
    team = flask("helpdesk", "add-team", "Support")
    tokens = [flask("helpdesk", "add-user", f"agent{i}", "--team", team) for i in range(4)]
    server = Server(env["DATABASE_URL"], env=env, cwd=HELPDESK, health=("/changes", 401))
    with server:
        yield server, team, tokens


def test_the_python_client_follows_its_feed_and_concurrent_writers_leave_no_gap(served):
    server, team, tokens = served
    reader = Client(server.url, tokens[0], scope="team")
    writes_each = 10
    barrier = threading.Barrier(len(tokens))
    made, failures = [], []

    def agent(token):
        with Client(server.url, token) as c:
            barrier.wait()
            for i in range(writes_each):
                try:
                    made.append(c.create(f"/teams/{team}/tickets", {"title": f"t{i}"})[0]["id"])
                except Exception as exc:  # noqa: BLE001  (reported below)
                    failures.append(exc)

    threads = [threading.Thread(target=agent, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures and len(made) == len(tokens) * writes_each
    seen, stop = [], threading.Event()
    deadline = threading.Timer(120, stop.set)  # a change that never comes ends the follow; the assert tells
    deadline.start()
    for change in reader.follow(since=None, scope_id=team, types=["ticket"], stop=stop):
        seen.append(change)
        if len(seen) == len(made):
            stop.set()
    deadline.cancel()
    assert sorted(c["id"] for c in seen) == sorted(made)  # every write once: no gap, no repeat
    assert all(c["team_id"] == team and c["op"] == "create" for c in seen)
    reader.close()
