"""A database restored from a backup under running gunicorn (issue 21): no validator issued before the
restore names a body it did not name, and no command has to be run.

On the test's database: SQLite (the backup API onto the live file) or PostgreSQL (pg_dump, then
pg_restore into the live database) in the PostgreSQL run. Each step is what a client holding state
from before the restore does next; on the code before stamps every one of them was a 304 or a 200
for stale data.
"""
import threading
import time
import urllib.parse

from ..restores import Backups, database
from ..server import Client, Server


def q(cursor):
    return urllib.parse.quote(cursor, safe="")


def test_after_a_restore_no_tag_cursor_or_date_from_before_it_names_the_restored_data(tmp_path):
    with Server(database(tmp_path), workers=2) as server:
        token, api, pid, todo = server.board("rosa")
        task = api.post(f"/projects/{pid}/tasks", {"title": "A", "status_id": todo}).json()
        customer = api.post(f"/projects/{pid}/customers", {"first_name": "Ada", "last_name": "Lovelace",
                                                            "email": "ada@example.com"}).json()
        item, tasks, search = f"/tasks/{task['id']}", f"/projects/{pid}/tasks", f"/projects/{pid}/customers?q=ada"
        before_backup = api.get(f"/changes?since=now&project={pid}").json()["next"]
        backups = Backups(server.database_url, tmp_path)
        backups.backup()
        # HTTP dates have one-second resolution: versions written within one second share a date, restore
        # or not (docs/http-api.md). Each phase here starts a second after the one before, as in life.
        time.sleep(1.1)

        # Two edits after the backup: what the client holds.
        api.edit(item, {"title": "B1"}, expect=200)
        api.edit(item, {"title": "B"}, expect=200)
        api.edit(f"/customers/{customer['id']}", {"email": "ada@before.example"}, expect=200)
        held = {path: api.get(path) for path in (item, tasks, search)}
        assert held[item].json()["title"] == "B" and held[item].json()["version"] == 3
        cursor = api.get(f"/changes?since=now&project={pid}").json()["next"]
        page_url = f"/changes?since={q(before_backup)}&project={pid}"
        page = api.get(page_url)  # a page from a cursor taken before the backup, spanning the edits
        assert len(page.json()["changes"]) == 3

        backups.restore()  # under the running server; no command follows
        time.sleep(1.1)  # (dates again: the restore took less than a second here, which restores rarely do)

        # Two edits again: the same versions and positions, handed out a second time.
        api.edit(item, {"title": "C1"}, expect=200)
        api.edit(item, {"title": "C"}, expect=200)
        api.edit(f"/customers/{customer['id']}", {"email": "ada@after.example"}, expect=200)

        now = api.get(item, headers={"If-None-Match": held[item].header("ETag")})
        assert now.status == 200 and now.json()["title"] == "C" and now.json()["version"] == 3
        assert now.header("ETag") != held[item].header("ETag")
        listed = api.get(tasks, headers={"If-None-Match": held[tasks].header("ETag")})
        assert listed.status == 200 and [t["title"] for t in listed.json()["items"]] == ["C"]
        found = api.get(search, headers={"If-None-Match": held[search].header("ETag")})
        assert found.status == 200 and found.json()["items"][0]["email"] == "ada@after.example"
        # a cursor from before the restore is refused by itself, and its client re-lists
        gone = api.get(f"/changes?since={q(cursor)}&project={pid}")
        assert gone.status == 410 and gone.json()["type"].endswith("cursor-unknown")
        # a page whose cursor the restore kept, but whose changes it replaced: a 200 with the new ones
        again = api.get(page_url, headers={"If-None-Match": page.header("ETag")})
        assert again.status == 200 and again.json() != page.json() and len(again.json()["changes"]) == 3
        # writes on validators from before the restore fail: nothing is written over unseen data
        stale = api.patch(item, {"title": "D"}, headers={"If-Match": held[item].header("ETag")})
        assert stale.status == 412 and stale.header("ETag") == now.header("ETag")
        lm = held[item].header("Last-Modified")
        assert api.patch(item, {"title": "D"}, headers={"If-Unmodified-Since": lm}).status == 412
        assert api.get(item, headers={"If-Modified-Since": lm}).status == 200

        # The re-list's cursor follows every later write, and the log is consistent.
        relisted = api.get(tasks).json()["cursor"]
        api.edit(item, {"title": "E"}, expect=200)
        changes, _ = api.follow(relisted, project=pid)
        assert [(c["id"], c["version"]) for c in changes] == [(task["id"], 4)]
        assert "change log consistent" in server.flask("changes", "verify")


def test_a_restore_while_every_worker_is_down_is_noticed_all_the_same(tmp_path):
    url = database(tmp_path)
    backups = Backups(url, tmp_path)
    with Server(url, workers=2) as server:
        token, api, pid, todo = server.board("sam")
        task = api.post(f"/projects/{pid}/tasks", {"title": "A", "status_id": todo}).json()
        backups.backup()
        api.edit(f"/tasks/{task['id']}", {"title": "B"}, expect=200)
        held = api.get(f"/tasks/{task['id']}")
        cursor = api.get("/changes?since=now").json()["next"]
    backups.restore()
    with Server(url, workers=2) as server:
        api = Client(server.url, token)
        api.edit(f"/tasks/{task['id']}", {"title": "C"}, expect=200)
        now = api.get(f"/tasks/{task['id']}", headers={"If-None-Match": held.header("ETag")})
        assert now.status == 200 and now.json()["title"] == "C"
        assert api.get(f"/changes?since={q(cursor)}").status == 410


def _errors(log):
    """The server log without its access lines: what a 500 left behind."""
    return "\n".join(line for line in log.read_text().splitlines() if ' HTTP/1.1" ' not in line)[-8000:]


def test_requests_during_a_live_restore_get_answers_never_a_500_and_service_comes_back(tmp_path):
    log = tmp_path / "server.log"
    with Server(database(tmp_path), workers=2, log_path=log) as server:
        token, api, pid, todo = server.board("tara")
        for i in range(30):
            api.post(f"/projects/{pid}/tasks", {"title": f"t{i}", "status_id": todo})
        backups = Backups(server.database_url, tmp_path)
        backups.backup()
        statuses, stop = [], threading.Event()

        def poll():
            client, tag = Client(server.url, token), None
            while not stop.is_set():
                r = client.get(f"/projects/{pid}/tasks", headers={"If-None-Match": tag} if tag else None)
                statuses.append((r.status, r.header("Retry-After")))
                tag = r.header("ETag") if r.status in (200, 304) else tag
                w = client.post(f"/projects/{pid}/tasks", {"title": "during", "status_id": todo})
                statuses.append((w.status, w.header("Retry-After")))

        threads = [threading.Thread(target=poll) for _ in range(3)]
        for t in threads:
            t.start()
        try:
            for _ in range(3):
                backups.restore()
        finally:
            stop.set()
            for t in threads:
                t.join()
        assert statuses, "the pollers ran"
        assert all(status in (200, 201, 304, 503) for status, _ in statuses), (
            sorted({s for s, _ in statuses}), _errors(log))
        assert all(retry for status, retry in statuses if status == 503)
        # no restart: the next requests are served
        assert api.get(f"/projects/{pid}/tasks").status == 200
        assert api.post(f"/projects/{pid}/tasks", {"title": "after", "status_id": todo}).status == 201
