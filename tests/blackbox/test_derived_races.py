"""Derived rows under concurrent writers, through real gunicorn (4 workers), on SQLite and PostgreSQL.

Counters kept under a row lock (a thread's message count, a user's unread
count) and aggregates recomputed under the summary's lock must come out exact
whatever the interleaving; no writer may be refused for a conflict it did not
cause (no If-Match of theirs was stale).
"""
import random
import threading

import pytest

from ..server import Client

pytestmark = pytest.mark.blackbox


@pytest.fixture(scope="module")
def crew(server):
    tokens = server.users([f"racer{i}" for i in range(6)])
    return [Client(server.url, t) for t in tokens.values()]


def run(workers):
    errors = []

    def wrap(fn, *args):
        try:
            fn(*args)
        except Exception as exc:  # noqa: BLE001  (reported below, with its thread)
            errors.append(repr(exc))

    threads = [threading.Thread(target=wrap, args=w) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_concurrent_moves_messages_and_assignments_leave_every_derived_row_exact(server, crew):
    lead = crew[0]
    pid = lead.post("/projects", {"name": "race"}).json()["id"]
    ids = [c.get("/me").json()["id"] for c in crew]
    for uid in ids[1:]:
        assert lead.put(f"/projects/{pid}/members/{uid}", {"role": "member"}).status == 201
    todo = lead.post(f"/projects/{pid}/statuses", {"name": "Todo"}).json()["id"]
    done = lead.post(f"/projects/{pid}/statuses", {"name": "Done", "done": True}).json()["id"]
    thread = lead.post(f"/projects/{pid}/threads", {"subject": "race"}).json()["id"]

    def worker(n, client):
        rng = random.Random(n)
        mine = []
        for i in range(12):
            r = client.post(f"/projects/{pid}/tasks", {"title": f"{n}-{i}", "status_id": rng.choice([todo, done]),
                                                       "points": rng.randint(0, 9),
                                                       "assignee_id": rng.choice(ids)})
            assert r.status == 201, r.body
            mine.append(r.json()["id"])
            task = rng.choice(mine)
            r = client.edit(f"/tasks/{task}", {"status_id": rng.choice([todo, done])})
            assert r.status == 200, r.body  # only this worker edits its own tasks: never a 412
            r = client.post(f"/threads/{thread}/messages", {"body": f"{n}-{i}"})
            assert r.status == 201, r.body

    run([(worker, n, Client(server.url, c.token)) for n, c in enumerate(crew)])

    tasks = lead.get(f"/projects/{pid}/tasks?limit=1000").json()["items"]
    assert len(tasks) == 72
    summary = lead.get(f"/projects/{pid}/summary").json()
    in_done = [t for t in tasks if t["status_id"] == done]
    assert summary["tasks_total"] == 72 and summary["tasks_done"] == len(in_done)
    assert summary["by_status"] == {todo: 72 - len(in_done), done: len(in_done)}
    for p in lead.get(f"/projects/{pid}/progress").json()["items"]:
        theirs = [t for t in in_done if t["assignee_id"] == p["user_id"]]
        assert (p["points"], p["completed_tasks"]) == (sum(t["points"] for t in theirs), len(theirs))
    assert lead.get(f"/threads/{thread}").json()["message_count"] == 72
    for client, uid in zip(crew, ids, strict=True):
        notes = client.get(f"/projects/{pid}/notifications?limit=1000").json()["items"]
        count = client.get(f"/projects/{pid}/notifications/unread-count").json()
        assert count["unread"] == len(notes) == sum(1 for n in notes if not n["read"])
        assert all(n["user_id"] == uid for n in notes)
    assert "consistent" in server.flask("changes", "verify")
