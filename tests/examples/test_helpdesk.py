"""examples/helpdesk, an app built on Pollfeed's public API only: its own models (integer ids, a Team
scope), its own tokens and its own migrations. On the run's database (SQLite, then PostgreSQL).

In one process: 304s answered ahead of Flask (counted) for an item, a list and the feed; 428 and 412; the
feed filtered by ?team= and by membership; tombstones. Behind a real gunicorn: the Python client follows
its feed while writers commit, with pauses inside their transactions, and misses nothing."""
import ast
import os
import random
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from flask_migrate import upgrade
from pollfeed_client import Client
from sqlalchemy import event, text

import pollfeed

from ..server import Server
from ..support import empty_database, item_ids

HELPDESK = Path(__file__).resolve().parents[2] / "examples" / "helpdesk"
PYTHONPATH = os.pathsep.join([str(HELPDESK), str(HELPDESK.parents[1])])  # as its README runs it
sys.path.insert(0, str(HELPDESK))
from helpdesk import create_app, db  # noqa: E402  (the example's own package, as its README runs it)


def setup(app):
    """Migrated, with two teams; ada in team 1, bob in team 2, root an admin, and agents 0 to 3 in team 1:
    (team ids, {name: token}), made by the app's own commands."""
    with app.app_context():
        upgrade()
    cli = app.test_cli_runner()

    def run(*args):
        r = cli.invoke(args=["helpdesk", *args])
        assert r.exit_code == 0, r.output
        return r.output.strip()

    teams = [run("add-team", "Support"), run("add-team", "Billing")]
    tokens = {"ada": run("add-user", "ada", "--team", teams[0]), "bob": run("add-user", "bob", "--team", teams[1]),
              "root": run("add-user", "root", "--admin")}
    tokens.update({f"agent{i}": run("add-user", f"agent{i}", "--team", teams[0]) for i in range(4)})
    return teams, tokens


@pytest.fixture
def desk(tmp_path):
    """The helpdesk on an empty database: (app, team ids, {name: Authorization header})."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database(tmp_path), "TESTING": True})
    teams, tokens = setup(app)
    yield app, teams, {name: {"Authorization": f"Bearer {token}"} for name, token in tokens.items()}
    with app.app_context():
        db.engine.dispose()


def test_it_imports_nothing_from_the_engine_but_its_public_api():
    public, seen = set(pollfeed.__all__), set()
    for path in sorted(HELPDESK.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pollfeed"):
                assert node.module == "pollfeed", f"{path.name} imports from {node.module}"
                seen |= {a.name for a in node.names}
            elif isinstance(node, ast.Import):
                assert all(a.name == "pollfeed" or not a.name.startswith("pollfeed") for a in node.names), path
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "pollfeed":
                seen.add(node.attr)
    assert seen and seen <= public, seen - public


def test_the_first_app_of_a_process_answers_polls_ahead_of_flask(tmp_path):
    """A gunicorn worker makes one app: the poll path must stand in front of the first one too (its token
    source is declared before init_app)."""
    code = "from helpdesk import create_app; print(create_app().extensions['pollfeed'].poll_path is not None)"
    out = subprocess.run([sys.executable, "-c", code], cwd=HELPDESK, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/first.db", "PYTHONPATH": PYTHONPATH})
    assert out.stdout.strip() == "True", out.stderr


def test_its_migrations_make_what_its_models_say_and_verify_finds_the_guards(desk):
    app, _teams, _who = desk
    cli = app.test_cli_runner()
    for args in (["db", "check"], ["pollfeed", "verify"]):
        r = cli.invoke(args=args)
        assert r.exit_code == 0, r.output


def test_its_openapi_document_says_which_requests_are_conditional(desk):
    app, _teams, _who = desk
    paths = app.extensions["pollfeed"].api.spec.to_dict()["paths"]
    for path, method in (("/tickets/{ticket_id}", "patch"), ("/tickets/{ticket_id}", "delete")):
        op = paths[path][method]
        assert {"412", "428"} <= set(op["responses"]), (path, method)
        assert [p["name"] for p in op["parameters"] if p["in"] == "header"] == ["If-Match"]
    for path in ("/tickets/{ticket_id}", "/teams/{team_id}/tickets", "/comments/{comment_id}", "/changes"):
        assert "304" in paths[path]["get"]["responses"], path
    assert not {"412", "428"} & set(paths["/teams/{team_id}/tickets"]["post"]["responses"])  # a create
    # A PATCH's partial schema is a component of its own, every field optional; the create's requires the title.
    schemas = app.extensions["pollfeed"].api.spec.to_dict()["components"]["schemas"]
    assert paths["/tickets/{ticket_id}"]["patch"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TicketUpdate"}
    assert "required" not in schemas["TicketUpdate"] and schemas["Ticket"]["required"] == ["title"]


ON_POSTGRESQL = os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")


def test_polls_are_answered_ahead_of_flask_and_writes_are_conditional(desk):
    app, (support, _billing), who = desk
    c, ada = app.test_client(), who["ada"]
    poll_path = app.extensions["pollfeed"].poll_path
    made = c.post(f"/teams/{support}/tickets", json={"title": "Printer on fire"}, headers=ada)
    assert made.status_code == 201, made.get_data(as_text=True)
    ticket, tag = made.get_json(), made.headers["ETag"]
    assert ticket["id"].isdigit() and ticket["team_id"] == support  # integer ids, as JSON strings
    url, tickets = f"/tickets/{ticket['id']}", f"/teams/{support}/tickets"
    polls = {url: tag, tickets: c.get(tickets, headers=ada).headers["ETag"]}
    before = poll_path.answered
    for path, etag in polls.items():
        answer = c.get(path, headers={**ada, "If-None-Match": etag})
        assert answer.status_code == 304 and answer.headers["ETag"] == etag, path
    assert poll_path.answered == before + len(polls)  # an item and a list: each decided by the poll path's
    # statement, not by Flask
    # Writes need If-Match: 428 without, 412 with a stale tag, 200 with the current one.
    assert c.patch(url, json={"status": "closed"}, headers=ada).status_code == 428
    done = c.patch(url, json={"status": "closed"}, headers={**ada, "If-Match": tag})
    assert done.status_code == 200 and done.get_json()["version"] == 2 and done.get_json()["title"] == "Printer on fire"
    assert c.patch(url, json={"status": "open"}, headers={**ada, "If-Match": tag}).status_code == 412
    assert c.patch(url, json={"version": 7}, headers={**ada, "If-Match": done.headers["ETag"]}).status_code == 422
    # The old tags no longer match: a 200 with the new body, from Flask; the poll path counted none.
    before = poll_path.answered
    again = c.get(url, headers={**ada, "If-None-Match": tag})
    assert again.status_code == 200 and again.get_json()["status"] == "closed"
    assert c.get(tickets, headers={**ada, "If-None-Match": polls[tickets]}).status_code == 200
    assert poll_path.answered == before
    # Another team's ticket is not the caller's to read, on either path.
    assert c.get(url, headers={**who["bob"], "If-None-Match": done.headers["ETag"]}).status_code == 404
    assert c.get(url, headers=who["bob"]).status_code == 404
    assert c.get(url).status_code == 401


def test_the_feeds_polls_are_answered_ahead_of_flask(desk):
    app, (support, _billing), who = desk
    c, ada = app.test_client(), who["ada"]
    poll_path = app.extensions["pollfeed"].poll_path
    assert c.post(f"/teams/{support}/tickets", json={"title": "VPN down"}, headers=ada).status_code == 201
    feed = f"/changes?team={support}&types=ticket"
    page = c.get(feed, headers=ada)
    quiet = f"{feed}&since={page.get_json()['next']}"
    polls = {feed: page.headers["ETag"], quiet: c.get(quiet, headers=ada).headers["ETag"]}
    before = poll_path.answered
    for path, etag in polls.items():
        answer = c.get(path, headers={**ada, "If-None-Match": etag})
        assert answer.status_code == 304 and answer.headers["ETag"] == etag, path
    assert poll_path.answered == before + len(polls)


def test_flasks_answers_carry_the_same_headers_as_the_poll_paths(desk):
    app, (support, _billing), who = desk
    flask_only = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                             "POLLFEED_POLL_PATH": False})
    assert flask_only.extensions["pollfeed"].poll_path is None
    c, fast, ada = flask_only.test_client(), app.test_client(), who["ada"]
    made = c.post(f"/teams/{support}/tickets", json={"title": "VPN down"}, headers=ada)
    url, tag, tickets = f"/tickets/{made.get_json()['id']}", made.headers["ETag"], f"/teams/{support}/tickets"
    shown = ("ETag", "Cache-Control", "Vary", "Poll-Interval", "X-Content-Type-Options")
    for path, etag in ((url, tag), (tickets, c.get(tickets, headers=ada).headers["ETag"])):
        by_flask, ahead = (client.get(path, headers={**ada, "If-None-Match": etag}) for client in (c, fast))
        assert by_flask.status_code == ahead.status_code == 304, path
        assert [by_flask.headers.get(h) for h in shown] == [ahead.headers.get(h) for h in shown], path
        assert by_flask.headers["ETag"] == etag
    stale = c.patch(url, json={}, headers={**ada, "If-Match": '"v9-x"'})
    assert stale.status_code == 412 and stale.mimetype == "application/problem+json"
    assert stale.headers["ETag"] == tag  # the current tag, to retry with
    assert c.get(url).headers.get("WWW-Authenticate", "").startswith("Bearer")


def test_a_team_that_does_not_exist_is_404_on_both_paths_even_for_an_admin(desk):
    """The read rule lets an admin read any team; that the team exists is the list's tag query's own
    check, which both paths run (the helpdesk's rule says nothing about it)."""
    app, (support, billing), who = desk
    flask_only = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                             "POLLFEED_POLL_PATH": False})
    missing, root = f"/teams/{int(billing) + 100}/tickets", who["root"]
    for client in (flask_only.test_client(), app.test_client()):
        assert client.get(missing, headers=root).status_code == 404
        assert client.get(missing, headers={**root, "If-None-Match": '"l0-0"'}).status_code == 404
        assert client.get(f"/teams/{support}/tickets", headers=root).status_code == 200


def test_the_feed_is_filtered_by_team_and_by_membership_with_tombstones(desk):
    app, (support, billing), who = desk
    c = app.test_client()
    mine = c.post(f"/teams/{support}/tickets", json={"title": "VPN down"}, headers=who["ada"]).get_json()
    theirs = c.post(f"/teams/{billing}/tickets", json={"title": "Invoice"}, headers=who["bob"]).get_json()
    note = c.post(f"/tickets/{mine['id']}/comments", json={"body": "rebooting"}, headers=who["ada"])
    assert note.status_code == 201, note.get_data(as_text=True)
    assert c.get(note.headers["Location"], headers=who["ada"]).get_json()["body"] == "rebooting"
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
    assert [(x["type"], x["op"], x["id"]) for x in gone] == [("comment", "delete", note.get_json()["id"]),
                                                             ("ticket", "delete", mine["id"])]
    assert c.get(f"/tickets/{mine['id']}", headers=who["ada"]).status_code == 404
    assert [x["id"] for x in changes("bob", f"&since={cursor}")["changes"]] == []  # not bob's team


def test_under_load_the_poll_paths_304s_carry_the_raised_advice_as_flasks_answers_do(desk):
    """One load signal per app: a 304 answered ahead of Flask advises what Flask's 200 advises, raised
    under load (tests/blackbox/test_overload.py makes the load; here the signal is set)."""
    app, (support, _billing), who = desk
    c, ada = app.test_client(), who["ada"]
    url = f"/teams/{support}/tickets"
    tag, base = c.get(url, headers=ada).headers["ETag"], c.get(url, headers=ada).headers["Poll-Interval"]
    load = app.extensions["pollfeed"].load
    load.smoothed = 20 * load.overload_delay  # a queue twenty times what the advice starts rising at
    load.update(0, now=load.at)  # a reading that moves nothing: no time has passed
    flasks = c.get(url, headers=ada).headers["Poll-Interval"]
    answered = app.extensions["pollfeed"].poll_path.answered
    polled = c.get(url, headers={**ada, "If-None-Match": tag})
    assert polled.status_code == 304 and app.extensions["pollfeed"].poll_path.answered == answered + 1
    assert polled.headers["Poll-Interval"] == flasks != base, (base, flasks)


def test_rows_from_before_the_engine_are_adopted_into_the_log_and_their_members_follow_the_feed(desk):
    """Rows the log never heard of (a table made versioned in place, or raw SQL): verify names them, a
    member whose membership is such a row cannot follow the team, and `flask pollfeed adopt` logs each
    as a create at its version, members first, so that verify is clean and the member follows the
    team's rows in the feed. Run again, it logs nothing."""
    app, _teams, who = desk
    stamp = "1234567"
    with app.app_context():
        ada = db.session.execute(text("SELECT user_id FROM api_token")).scalars().first()
        db.session.execute(text(
            "INSERT INTO team (id, name, version, stamp, created_at, updated_at) "
            f"VALUES (900, 'Legacy', 1, {stamp}, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        db.session.execute(text(
            "INSERT INTO member (id, team_id, user_id, version, stamp, created_at, updated_at) "
            f"VALUES (900, 900, {ada}, 1, {stamp}, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        db.session.execute(text(
            "INSERT INTO ticket (id, team_id, title, status, version, stamp, created_at, updated_at) "
            f"VALUES (900, 900, 'From before', 'open', 3, {stamp}, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        db.session.commit()
    cli, c = app.test_cli_runner(), app.test_client()
    found = cli.invoke(args=["pollfeed", "verify"])
    assert found.exit_code != 0 and "ticket 900 exists but has no change at all" in found.output, found.output
    assert c.get("/changes?team=900", headers=who["root"]).status_code == 404  # no reader ever: no such scope
    done = cli.invoke(args=["pollfeed", "adopt", "--batch", "1"])
    assert done.exit_code == 0 and "logged 3 row(s)" in done.output, done.output
    assert cli.invoke(args=["pollfeed", "verify"]).exit_code == 0
    again = cli.invoke(args=["pollfeed", "adopt"])
    assert again.exit_code == 0 and "logged 0 row(s)" in again.output, again.output
    ada_id = str(ada)
    page = c.get("/changes?team=900", headers=who["ada"])
    assert page.status_code == 200, page.get_data(as_text=True)
    assert [(x["type"], x["id"], x["op"], x["version"]) for x in page.get_json()["changes"]] == [
        ("member", "900", "create", 1), ("team", "900", "create", 1), ("ticket", "900", "create", 3)], ada_id
    assert c.get("/changes?team=900", headers=who["bob"]).status_code == 404  # not bob's team
    assert c.get("/tickets/900", headers=who["ada"]).get_json()["title"] == "From before"


def test_adopt_goes_along_with_writers_and_with_a_compacted_log(desk):
    """A row written through the ORM between adopt's scan and its batch is not logged a second time; a
    membership from before that was changed through the ORM still gets its access period; on a compacted
    log adopt is refused unless asked, and then opens no second period (each change once in the feed)."""
    from helpdesk.models import Member, Ticket

    from pollfeed import maintenance

    app, _teams, who = desk
    stamp = "7654321"
    with app.app_context():
        ada = db.session.execute(text("SELECT user_id FROM api_token")).scalars().first()
        for table, columns, values in (("team", "id, name", "901, 'Old'"),
                                       ("member", "id, team_id, user_id", f"901, 901, {ada}"),
                                       ("ticket", "id, team_id, title, status", "901, 901, 'old', 'open'"),
                                       ("ticket", "id, team_id, title, status", "902, 901, 'older', 'open'")):
            db.session.execute(text(f"INSERT INTO {table} ({columns}, version, stamp, created_at, updated_at) "
                                    f"VALUES ({values}, 1, {stamp}, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        db.session.commit()
        # the membership is changed through the ORM before adopt runs: logged as updates, no period opened
        for team in (int(_teams[0]), 901):
            db.session.get(Member, 901).team_id = team
            db.session.commit()
        assert db.session.execute(text("SELECT count(*) FROM changes WHERE type = 'member' AND resource_id = '901'"
                                       )).scalar() == 2
        scanned = maintenance.unlogged(Ticket)
        assert scanned == [901, 902]
        db.session.get(Ticket, 901).title = "edited meanwhile"  # a writer between the scan and the batch
        db.session.commit()
        maintenance.adopt()
    cli, c = app.test_cli_runner(), app.test_client()
    assert cli.invoke(args=["pollfeed", "verify"]).exit_code == 0
    page = c.get("/changes?team=901", headers=who["ada"])
    assert page.status_code == 200, page.get_data(as_text=True)  # her period is open
    seen = [(x["type"], x["id"], x["op"], x["version"]) for x in page.get_json()["changes"]]
    assert ("ticket", "901", "create", 1) not in seen and ("ticket", "902", "create", 1) in seen, seen
    cursor = page.get_json()["next"]
    with app.app_context():
        maintenance.compact(timedelta(0))  # every change goes: every row looks unheard of
    refused = cli.invoke(args=["pollfeed", "adopt"])
    assert refused.exit_code != 0 and "--after-compaction" in refused.output, refused.output
    assert cli.invoke(args=["pollfeed", "adopt", "--after-compaction"]).exit_code == 0
    with app.app_context():  # one open period for her, still
        periods = db.session.execute(text(
            f"SELECT count(*) FROM feed_access WHERE scope_id = '901' AND principal_id = '{ada}'")).scalar()
    assert periods == 1
    assert cli.invoke(args=["pollfeed", "verify"]).exit_code == 0
    again = c.get(f"/changes?team=901&since={cursor}", headers=who["ada"])  # her cursor is the horizon: valid
    assert again.status_code == 200, again.get_data(as_text=True)
    relogged = [(x["type"], x["id"], x["op"]) for x in again.get_json()["changes"]]
    # the quiet rows again, as creates (upserts to her), each once: her one period, not a second
    assert sorted(relogged) == [("member", "901", "create"), ("team", "901", "create"),
                                ("ticket", "901", "create"), ("ticket", "902", "create")], relogged


def test_a_list_pages_by_its_integer_keys(desk):
    """`after` is read as the key's type: PostgreSQL refused `integer > varchar` (the second page was a
    500), and text that is no integer is a 400."""
    app, (support, _billing), who = desk
    c, ada = app.test_client(), who["ada"]
    made = [c.post(f"/teams/{support}/tickets", json={"title": f"t{i}"}, headers=ada).get_json()["id"]
            for i in range(3)]
    assert item_ids(c, f"/teams/{support}/tickets?limit=1", ada) == made
    for after in ("abc", "99999999999999999999", "%207", "1_0", "07"):  # an integer key's text, as it is written
        bad = c.get(f"/teams/{support}/tickets?after={after}", headers=ada)
        assert bad.status_code == 400 and bad.mimetype == "application/problem+json", (after, bad.get_data())


def test_an_id_used_again_after_its_delete_starts_a_new_life_that_no_old_tag_matches(desk):
    """SQLite hands the highest deleted integer id out again (a table without AUTOINCREMENT), and any app
    may insert a key it deleted before: the new row starts at version 1, its tags are not the old row's
    (they carry their transaction's stamp), the feed says delete then create, and verify finds no fault."""
    app, (support, _billing), who = desk
    c, ada = app.test_client(), who["ada"]
    made = c.post(f"/teams/{support}/tickets", json={"title": "old"}, headers=ada)
    old_id, old_tag = made.get_json()["id"], made.headers["ETag"]
    cursor = c.get("/changes?types=ticket", headers=ada).get_json()["next"]
    assert c.delete(f"/tickets/{old_id}", headers={**ada, "If-Match": old_tag}).status_code == 204
    with app.app_context():  # the same id again, as SQLite's rowid would give it (explicit, for PostgreSQL)
        from helpdesk.models import Ticket

        db.session.add(Ticket(id=int(old_id), team_id=int(support), title="new"))
        db.session.commit()
    again = c.get(f"/tickets/{old_id}", headers={**ada, "If-None-Match": old_tag})
    assert again.status_code == 200 and again.get_json()["title"] == "new" and again.get_json()["version"] == 1
    assert again.headers["ETag"] != old_tag
    changes = c.get(f"/changes?types=ticket&since={cursor}", headers=ada).get_json()["changes"]
    assert [(x["op"], x["id"], x["version"]) for x in changes] == [("delete", old_id, 2), ("create", old_id, 1)]
    r = app.test_cli_runner().invoke(args=["pollfeed", "verify"])
    assert r.exit_code == 0, r.output


# --- behind gunicorn: the feed followed while writers commit

WRITERS, TICKETS_EACH = 4, 8


def position(change):
    return int(change["cursor"].split(".")[1], 36)  # '<epoch>.<position>.<stamp>', base 36 (docs/http-api.md)


@pytest.fixture
def served(tmp_path):
    """The helpdesk twice on one database: in this process (the writers' app), and behind a real gunicorn
    (2 workers) that advises polling every second."""
    url = empty_database(tmp_path)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    teams, tokens = setup(app)
    env = {"FLASK_POLLFEED_POLL_INTERVAL_VISIBLE": "1", "PYTHONPATH": PYTHONPATH}
    with Server(url, env=env, cwd=HELPDESK, app="helpdesk:create_app()", health=("/changes", 401)) as server:
        yield app, server, teams[0], tokens
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def paused_transactions():
    """Writers flagged in `paused_transactions.on` (a thread-local) pause a few milliseconds twice in each
    commit: after their rows are written, before the log takes its positions; and after, holding the log's
    head, before COMMIT. A poll then often meets a transaction in flight."""
    flags = threading.local()
    session_class = db.session.session_factory.class_

    def pause():
        if getattr(flags, "on", False):
            time.sleep(flags.rng.uniform(0, 0.02))

    def before_the_log(session):
        if getattr(flags, "on", False):
            session.flush()
            pause()

    def holding_the_head(session):
        pause()

    event.listen(session_class, "before_commit", before_the_log, insert=True)  # ahead of the engine's hook
    event.listen(session_class, "before_commit", holding_the_head)  # after it: the head's row is locked
    yield flags
    event.remove(session_class, "before_commit", before_the_log)
    event.remove(session_class, "before_commit", holding_the_head)


def test_the_python_client_follows_its_feed_while_writers_commit_and_misses_nothing(served, paused_transactions):
    app, server, team, tokens = served
    reader = Client(server.url, tokens["ada"], scope="team")
    start = reader.get("/changes", params={"since": "now", "team": team})["next"]
    writing, stop, failures = threading.Event(), threading.Event(), []
    written, followed, polled = [], [], []  # (id, version) acknowledged; changes seen by each reader
    seen_while_writing = {"followed": 0, "polled": 0}

    def follow():  # the Python client, as an app would use it: polls as advised (every second)
        try:
            for change in reader.follow(since=start, scope_id=team, stop=stop):
                followed.append(change)
                seen_while_writing["followed"] += writing.is_set()
        except Exception as exc:  # noqa: BLE001  (reported below)
            failures.append(exc)

    def poll():  # as fast as it can: a poll meets transactions in flight more often
        cursor, etag = start, None
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {tokens['ada']}"}) as http:
            while not stop.is_set():
                r = http.get("/changes", params={"since": cursor, "team": team},
                             headers={"If-None-Match": etag} if etag else {})
                if r.status_code == 200:
                    page = r.json()
                    polled.extend(page["changes"])
                    seen_while_writing["polled"] += len(page["changes"]) * writing.is_set()
                    cursor, etag = page["next"], None if page["has_more"] else r.headers["ETag"]
                elif r.status_code != 304:
                    failures.append(AssertionError(f"{r.status_code}: {r.text}"))
                    return
                time.sleep(0.005)

    def write(name, seed):
        paused_transactions.on, paused_transactions.rng = True, random.Random(seed)
        http = httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://helpdesk",
                            headers={"Authorization": f"Bearer {tokens[name]}"})
        with Client("http://helpdesk", None, http=http) as c:
            go.wait()
            i = 0
            # At least TICKETS_EACH each, and on until both readers have seen a change while the writers
            # write: on a fast machine the writers could otherwise be done before the follower's second poll.
            while i < TICKETS_EACH or (not all(seen_while_writing.values()) and i < 50 * TICKETS_EACH):
                i += 1
                try:
                    made, tag = c.create(f"/teams/{team}/tickets", {"title": f"{name} {i}"})
                    written.append((made["id"], 1))
                    time.sleep(paused_transactions.rng.uniform(0, 0.02))
                    changed, _ = c.patch(f"/tickets/{made['id']}", {"status": "closed"}, tag)
                    written.append((changed["id"], changed["version"]))
                except Exception as exc:  # noqa: BLE001  (reported below)
                    failures.append(exc)

    readers = [threading.Thread(target=follow), threading.Thread(target=poll)]
    go = threading.Event()
    writers = [threading.Thread(target=write, args=(f"agent{i}", i)) for i in range(WRITERS)]
    for t in readers + writers:
        t.start()
    writing.set()
    go.set()
    for t in writers:
        t.join()
    writing.clear()
    assert not failures, failures
    assert len(written) >= WRITERS * TICKETS_EACH * 2
    with app.app_context():  # what was committed: the log after `start`, in order
        logged = db.session.execute(text(
            "SELECT position, type, resource_id, op, version FROM changes WHERE position > :p ORDER BY position"),
            {"p": int(start.split(".")[1], 36)}).all()
    assert sorted((r.resource_id, r.version) for r in logged) == sorted(written)  # every write, logged once
    assert [r.position for r in logged] == list(range(logged[0].position, logged[0].position + len(logged)))
    # The final catch-up: both readers reach the log's last position (a second or two for the follower).
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not failures and not all(
            seen and position(seen[-1]) >= logged[-1].position for seen in (followed, polled)):
        time.sleep(0.1)
    stop.set()
    for t in readers:
        t.join(30)
    reader.close()
    assert not failures, failures
    expected = [(r.position, r.type, r.resource_id, r.op, r.version) for r in logged]
    for seen in (followed, polled):  # every committed change exactly once, in order: no gap, no repeat
        assert [(position(c), c["type"], c["id"], c["op"], c["version"]) for c in seen] == expected
        assert all(c["team_id"] == team for c in seen)
    # Both followed the feed while the writers wrote, not only after.
    assert seen_while_writing["followed"] > 0 and seen_while_writing["polled"] > 0, seen_while_writing
