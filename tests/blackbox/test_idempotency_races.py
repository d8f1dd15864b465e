"""Idempotency-Key through real gunicorn: retries racing each other create once."""
import threading

from ..server import Client


def test_two_retries_racing_create_once(server):
    """Against real gunicorn (4 workers): 8 requests with one key at once give one task and one answer."""
    token = server.user("racer")
    c = Client(server.url, token)
    pid = c.post("/projects", {"name": "race"}).json()["id"]
    todo = c.post(f"/projects/{pid}/statuses", {"name": "Todo"}).json()["id"]
    body = {"title": "Raced", "status_id": todo}
    answers, barrier = [], threading.Barrier(8)

    def send():
        c = Client(server.url, token)
        barrier.wait()
        answers.append(c.post(f"/projects/{pid}/tasks", body, headers={"Idempotency-Key": "race"}))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a.status for a in answers) == [201] * 8
    assert len({a.body for a in answers}) == 1  # one response, eight times
    listed = Client(server.url, token).get(f"/projects/{pid}/tasks?limit=1000").json()["items"]
    assert [t["title"] for t in listed].count("Raced") == 1
    assert "change log consistent" in server.flask("changes", "verify")
