"""No poll is answered 304 once a change has committed: a write on one worker, a poll at once on another."""
import pytest

from ..server import Client

pytestmark = pytest.mark.blackbox


def test_a_poll_right_after_a_write_on_another_worker_sees_it(server):
    token = server.user("fresh")
    writer = Client(server.url, token)
    project = writer.post("/projects", {"name": "fresh"}).json()
    pid = project["id"]
    todo = writer.post(f"/projects/{pid}/statuses", {"name": "Todo"}).json()
    task = writer.post(f"/projects/{pid}/tasks", {"title": "t0", "status_id": todo["id"]}).json()
    paths = [f"/tasks/{task['id']}", f"/projects/{pid}/tasks", "/projects"]
    pollers = [Client(server.url, token) for _ in range(8)]  # 8 keep-alive connections: spread over the workers
    tags = {p: pollers[0].get(p).header("ETag") for p in paths}
    feed_path = f"/changes?since={writer.get('/changes?since=now').json()['next']}&project={pid}"
    feed_tag = writer.get(feed_path).header("ETag")
    for i in range(1, 61):
        poller = pollers[i % len(pollers)]
        for p in paths:  # nothing changed: 304 (from the poll path)
            assert poller.get(p, headers={"If-None-Match": tags[p]}).status == 304, (i, p)
        assert poller.get(feed_path, headers={"If-None-Match": feed_tag}).status == 304, i
        r = writer.patch(f"/tasks/{task['id']}", {"title": f"t{i}"}, headers={"If-Match": tags[paths[0]]})
        assert r.status == 200, r.body
        for p in paths:
            got = poller.get(p, headers={"If-None-Match": tags[p]})
            assert got.status == 200, (i, p, got.status)
            tags[p] = got.header("ETag")
        got = poller.get(feed_path, headers={"If-None-Match": feed_tag})
        assert got.status == 200 and got.json()["changes"][-1]["fields"] == ["title"], i
        feed_path = f"/changes?since={got.json()['next']}&project={pid}"
        feed_tag = poller.get(feed_path).header("ETag")  # the next page's tag: it holds nothing yet
    assert tags[paths[0]].startswith('"v61-')
