"""One tag, one body: a real caching HTTP client (requests-cache) shared by two users of one server.

A private cache keeps one entry per URL and, under `Vary: Authorization`,
may revalidate with the tag it stored for another user (RFC 9111 allows
sending the tags of every stored variant). Then a 304 would hand one user
the other's body, unless no strong tag ever names two users' bodies.
"""
import pytest
import requests
import requests_cache

from ..server import Client

pytestmark = pytest.mark.blackbox


@pytest.fixture(scope="module")
def people(server):
    tokens = server.users(["cc_alice", "cc_bob"])
    return {"alice": tokens["cc_alice"], "bob": tokens["cc_bob"], "admin": server.user("cc_root", admin=True)}


def fresh(server, path, token):
    """What the server answers this user, with no cache in between."""
    r = requests.get(server.url + path, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def through_cache(session, server, path, token):
    r = session.get(server.url + path, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def test_switching_tokens_on_one_cache_never_shows_another_users_body(server, people):
    alice = Client(server.url, people["alice"])
    bob_id = Client(server.url, people["bob"]).get("/me").json()["id"]
    project = alice.post("/projects", {"name": "shared"}).json()
    pid = project["id"]
    assert alice.put(f"/projects/{pid}/members/{bob_id}", {"role": "member"}).status == 201
    # The newest change anywhere is in alice's project: her visible watermark equals the admin's.
    alice.post(f"/projects/{pid}/statuses", {"name": "Todo"})
    paths = ["/projects", f"/projects/{pid}/notifications/unread-count", f"/projects/{pid}/notifications", "/me"]
    session = requests_cache.CachedSession(backend="memory", cache_control=True, expire_after=0)
    for path in paths:
        for order in (("alice", "admin", "bob"), ("bob", "alice", "admin")):
            for who in order * 2:
                got = through_cache(session, server, path, people[who])
                assert got == fresh(server, path, people[who]), (path, who)
    tags = {who: requests.get(server.url + "/projects", headers={"Authorization": f"Bearer {people[who]}"},
                              timeout=30).headers["ETag"] for who in ("alice", "admin")}
    assert tags["alice"] != tags["admin"]
