"""Black-box checks through real gunicorn with 4 workers: races, settings, list-then-follow."""
import os
import re
import threading
import urllib.parse

import pytest

from ..pg import fresh_database
from ..server import Client, Server

pytestmark = pytest.mark.blackbox


@pytest.fixture(scope="module")
def owner(server):
    return server.user("owner")


def make_board(url, token):
    c = Client(url, token)
    project = c.post("/projects", {"name": "race"}).json()
    todo = c.post(f"/projects/{project['id']}/statuses", {"name": "Todo"}).json()
    task = c.post(f"/projects/{project['id']}/tasks", {"title": "t", "status_id": todo["id"]}).json()
    return project, todo, task


def test_concurrent_patches_with_one_if_match_exactly_one_wins(server, owner):
    _, _, task = make_board(server.url, owner)
    path = f"/tasks/{task['id']}"
    etag = Client(server.url, owner).get(path).header("ETag")
    results = [None] * 20
    barrier = threading.Barrier(20)

    def write(i):
        c = Client(server.url, owner)
        barrier.wait()
        results[i] = c.patch(path, {"title": f"writer {i}"}, headers={"If-Match": etag})

    threads = [threading.Thread(target=write, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(r.status for r in results)
    assert statuses == [200] + [412] * 19, statuses
    winner = next(i for i, r in enumerate(results) if r.status == 200)
    shown = Client(server.url, owner).get(path)
    final = shown.json()
    assert final["title"] == f"writer {winner}" and final["version"] == 2
    assert all(r.header("ETag") == shown.header("ETag") for r in results if r.status == 412)


def test_poll_interval_comes_from_settings(server, owner):
    r = Client(server.url, owner).get("/changes?since=now")
    assert r.header("Poll-Interval") == "visible=7, hidden=0"


def test_concurrent_writers_and_a_list_then_follow_reader(server, owner):
    project, todo, _ = make_board(server.url, owner)
    pid = project["id"]
    listing = Client(server.url, owner).get(f"/projects/{pid}/tasks?limit=1000").json()
    known = {t["id"] for t in listing["items"]}
    created, lock = [], threading.Lock()

    def writer(n):
        c = Client(server.url, owner)
        for i in range(15):
            r = c.post(f"/projects/{pid}/tasks", {"title": f"w{n}-{i}", "status_id": todo["id"]})
            assert r.status == 201, r.body
            with lock:
                created.append(r.json()["id"])

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    seen, cursor, reader = [], listing["cursor"], Client(server.url, owner)
    while any(t.is_alive() for t in threads):
        page = reader.get(f"/changes?project={pid}&since={urllib.parse.quote(cursor)}").json()
        seen += [c["id"] for c in page["changes"]]
        cursor = page["next"]
    for t in threads:
        t.join()
    while True:
        page = reader.get(f"/changes?project={pid}&since={urllib.parse.quote(cursor)}").json()
        seen += [c["id"] for c in page["changes"]]
        cursor = page["next"]
        if not page["changes"] and not page["has_more"]:
            break
    assert sorted(seen) == sorted(created)  # each exactly once
    assert not known & set(seen)


def test_304s_and_412s_through_gunicorn(server, owner):
    _, _, task = make_board(server.url, owner)
    c = Client(server.url, owner)
    r = c.get(f"/tasks/{task['id']}")
    nm = c.get(f"/tasks/{task['id']}", headers={"If-None-Match": r.header("ETag")})
    assert nm.status == 304 and nm.body == b"" and nm.header("ETag") == r.header("ETag")
    assert nm.header("Cache-Control") == "private, no-cache" and nm.header("Vary") == "Authorization"
    assert c.patch(f"/tasks/{task['id']}", {"title": "x"}).status == 428



def test_the_default_worker_class_is_the_one_measured_best_for_the_database(tmp_path):
    """gunicorn.conf.py: gthread with 4 threads on PostgreSQL, sync on SQLite (docs/benchmarks.md)."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    postgres = url.startswith("postgresql")
    url = fresh_database(url, alongside=True) if postgres else f"sqlite:///{tmp_path}/class.db"
    log = tmp_path / "gunicorn.log"
    with Server(url, workers=1, log_path=str(log), access_log=False) as server:
        assert Client(server.url).get("/healthz").status == 200
    used = re.search(r"Using worker: (\w+)", log.read_text()).group(1)
    assert used == ("gthread" if postgres else "sync")
