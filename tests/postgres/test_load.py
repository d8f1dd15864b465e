"""Many writers, many pollers, real gunicorn with 4 workers, real PostgreSQL: every change exactly once, in order."""
import threading
import urllib.parse

from ..server import Client

WRITERS, POLLERS, PER_WRITER = 8, 4, 640  # 5,120 changes


def test_every_poller_sees_every_change_once_in_commit_order(server):
    admin = server.user("load-admin", admin=True)
    owner = server.user("load-owner")
    c = Client(server.url, owner)
    projects = []
    for i in range(2):
        p = c.post("/projects", {"name": f"load {i}"}).json()
        s = c.post(f"/projects/{p['id']}/statuses", {"name": "Todo"}).json()
        projects.append((p["id"], s["id"]))
    start = Client(server.url, admin).get("/changes?since=now").json()["next"]
    writing = threading.Event()
    writing.set()
    errors, seen = [], [[] for _ in range(POLLERS)]

    def writer(n):
        w = Client(server.url, owner)
        pid, sid = projects[n % 2]
        for i in range(PER_WRITER):
            r = w.post(f"/projects/{pid}/tasks", {"title": f"w{n}-{i}", "status_id": sid})
            if r.status != 201:
                errors.append((r.status, r.body))

    def poller(k):
        p = Client(server.url, admin)
        cursor, etag = start, None
        while True:
            still_writing = writing.is_set()
            headers = {"If-None-Match": etag} if etag else {}
            r = p.get(f"/changes?limit=500&since={urllib.parse.quote(cursor, safe='')}", headers=headers)
            if r.status == 304:
                if not still_writing:
                    return
                continue
            assert r.status == 200, r.body
            page = r.json()
            seen[k] += [(int(ch["cursor"].split(".")[1], 36), ch["id"]) for ch in page["changes"]]
            cursor, etag = page["next"], None if page["has_more"] else r.header("ETag")
            if not still_writing and not page["has_more"] and not page["changes"]:
                return

    writers = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    pollers = [threading.Thread(target=poller, args=(k,)) for k in range(POLLERS)]
    for t in writers + pollers:
        t.start()
    for t in writers:
        t.join()
    writing.clear()
    for t in pollers:
        t.join(120)
    assert not errors, errors[:3]
    total = WRITERS * PER_WRITER
    for k in range(POLLERS):
        positions = [pos for pos, _ in seen[k]]
        assert len(positions) == total, (k, len(positions))
        assert positions == sorted(set(positions)), "out of order or repeated"
        assert seen[k] == seen[0]
    assert "change log consistent" in server.flask("changes", "verify")
