"""The Python client (clients/python) against real gunicorn: exactly once and in order, 410, restarts, 304s."""
import json
import queue
import subprocess
import sys
import threading
import time

import pytest
from pollfeed_client import Client as Pollfeed
from pollfeed_client import FeedGone

from ..server import Client, Server
from ..support import wait_settled, wait_until
from ..test_metrics import sample

ENV = {"POLL_INTERVAL_VISIBLE": "1", "POLL_INTERVAL_HIDDEN": "3", "METRICS_TOKEN": "scrape"}


@pytest.fixture
def server(tmp_path):
    with Server(f"sqlite:///{tmp_path}/client.db", workers=4, env=ENV, access_log=False) as s:
        yield s


def board(server, name="writer"):
    token, _client, pid, todo = server.board(name)
    return token, pid, todo


def collect(follower, into, until):
    for change in follower:
        into.append(change)
        if until(into):
            return


def test_a_follower_sees_1000_changes_from_4_writers_once_and_in_order(server):
    token, pid, todo = board(server)
    pf = Pollfeed(server.url, token)
    start = pf.get(f"/projects/{pid}/tasks")["cursor"]
    seen, stop = [], threading.Event()
    follower = threading.Thread(target=collect, args=(pf.follow(start, project=pid, stop=stop), seen,
                                                      lambda s: len(s) >= 1000))
    follower.start()

    def writer(n):
        w = Pollfeed(server.url, token)
        for i in range(250):
            w.create(f"/projects/{pid}/tasks", {"title": f"w{n}-{i}", "status_id": todo})

    writers = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    follower.join(60)
    stop.set()
    assert len(seen) == 1000 and len({c["id"] for c in seen}) == 1000  # each once
    positions = [int(c["cursor"].split(".")[1], 36) for c in seen]
    assert positions == sorted(positions)  # in commit order
    assert {c["type"] for c in seen} == {"task"}


def test_a_follower_resyncs_after_compaction_and_survives_a_restart(server):
    token, pid, todo = board(server)
    pf = Pollfeed(server.url, token)
    writer = Pollfeed(server.url, token)
    resyncs = []

    def resync():
        resyncs.append(time.monotonic())
        return pf.get(f"/projects/{pid}/tasks")["cursor"]

    changes = pf.follow(pf.get(f"/projects/{pid}/tasks")["cursor"], project=pid, resync=resync)
    writer.create(f"/projects/{pid}/tasks", {"title": "one", "status_id": todo})
    assert next(changes)["op"] == "create"
    writer.create(f"/projects/{pid}/tasks", {"title": "two", "status_id": todo})
    server.flask("changes", "compact", "--retention", "0s")  # the follower's cursor is below the horizon now
    after = []
    writer_done = threading.Event()

    def write_after_resync():
        while not resyncs:
            time.sleep(0.05)
        writer.create(f"/projects/{pid}/tasks", {"title": "three", "status_id": todo})
        writer_done.set()

    threading.Thread(target=write_after_resync).start()
    after.append(next(changes))
    assert resyncs, "the 410 called resync()"
    task = Client(server.url, token).get(f"/tasks/{after[0]['id']}").json()
    assert task["title"] == "three"

    server.stop()  # a restart: the follower backs off through the connection errors
    threading.Timer(2.0, server.start).start()
    time.sleep(0.5)

    def write_when_back():
        while True:
            try:
                if Client(server.url).get("/healthz").status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        writer.create(f"/projects/{pid}/tasks", {"title": "four", "status_id": todo})

    threading.Thread(target=write_when_back).start()
    fourth = next(changes)
    assert Client(server.url, token).get(f"/tasks/{fourth['id']}").json()["title"] == "four"
    assert pf.stats["errors"] >= 1  # it did meet the restart


def test_without_resync_a_410_raises(server):
    token, pid, todo = board(server)
    pf = Pollfeed(server.url, token)
    cursor = pf.get(f"/projects/{pid}/tasks")["cursor"]
    Pollfeed(server.url, token).create(f"/projects/{pid}/tasks", {"title": "x", "status_id": todo})
    server.flask("changes", "compact", "--retention", "0s")
    with pytest.raises(FeedGone) as gone:
        next(pf.follow(cursor, project=pid))
    assert gone.value.problem["type"].endswith("cursor-expired")


def test_a_quiet_feed_costs_only_304s_counted_on_the_server(server):
    token, pid, _ = board(server)
    scrape = Client(server.url, "scrape")

    def feed_answers():
        text = scrape.get("/metrics").body.decode()
        return {s: sample(text, "pollfeed_requests_total", method="GET", route="/changes", status=s) or 0
                for s in ("200", "304")}

    # Counted, not timed: the server's tally (each worker publishes its own within a second or so, later on
    # a busy machine) settled before the follower starts and after it stops, against the client's count.
    before = wait_settled(feed_answers)
    pf = Pollfeed(server.url, token)
    stop = threading.Event()
    follower = threading.Thread(target=collect, args=(pf.follow("now", project=pid, stop=stop), [], lambda s: True))
    follower.start()
    assert wait_until(lambda: pf.stats["304"] >= 3)  # the client's own polls, one per advised second
    stop.set()
    follower.join(60)
    assert not follower.is_alive()
    after, done = wait_settled(feed_answers), dict(pf.stats)
    assert done["200"] == 1  # the first poll only (it has no tag yet): nothing new, no page served since
    assert {s: after[s] - before[s] for s in after} == {"200": done["200"], "304": done["304"]}  # each counted


def test_the_idempotency_key_makes_a_retried_create_once(server):
    token, pid, todo = board(server)
    pf = Pollfeed(server.url, token)
    first, _ = pf.create(f"/projects/{pid}/tasks", {"title": "once", "status_id": todo}, key="k-1")
    again, _ = pf.create(f"/projects/{pid}/tasks", {"title": "once", "status_id": todo}, key="k-1")
    assert first == again
    assert [t["title"] for t in pf.get(f"/projects/{pid}/tasks")["items"]].count("once") == 1


def test_the_cli_prints_changes_as_json_lines(server):
    token, pid, todo = board(server)
    c = Client(server.url, token)
    cursor = c.get(f"/changes?since=now&project={pid}").json()["next"]  # taken first: the CLI starts after it
    proc = subprocess.Popen([sys.executable, "-m", "pollfeed_client.cli", "follow", server.url, "--token", token,
                             "--project", pid, "--types", "task", "--since", cursor], stdout=subprocess.PIPE,
                            text=True)
    lines = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True)
    reader.start()
    try:
        made = [c.post(f"/projects/{pid}/tasks", {"title": f"cli {i}", "status_id": todo}).json()["id"]
                for i in range(3)]
        printed = [json.loads(lines.get(timeout=60)) for _ in range(3)]  # bounded: never a hung run
        assert [x["id"] for x in printed] == made and all(x["type"] == "task" for x in printed)
    finally:
        proc.terminate()
        proc.wait(10)
