"""Test helpers: a thin API client over Flask's test client, and a per-test PostgreSQL database."""
import urllib.parse


class Api:
    """A user's view of the API: request helpers that add the bearer token."""

    def __init__(self, client, token, name):
        self.client, self.token, self.name = client, token, name

    def request(self, method, path, json=None, headers=None, **kw):
        h = {}
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        h.update(headers or {})
        return self.client.open(path, method=method, json=json, headers=h, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def head(self, path, **kw):
        return self.request("HEAD", path, **kw)

    def post(self, path, json=None, **kw):
        return self.request("POST", path, json=json, **kw)

    def patch(self, path, json=None, **kw):
        return self.request("PATCH", path, json=json, **kw)

    def put(self, path, json=None, **kw):
        return self.request("PUT", path, json=json, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    # -- conveniences ---------------------------------------------------------

    def created(self, path, body):
        r = self.post(path, body)
        assert r.status_code == 201, r.get_data(as_text=True)
        return r.json

    def edit(self, path, body, expect=200):
        """PATCH with the current ETag as If-Match."""
        etag = self.get(path).headers["ETag"]
        r = self.patch(path, body, headers={"If-Match": etag})
        assert r.status_code == expect, r.get_data(as_text=True)
        return r

    def remove(self, path, expect=204):
        etag = self.get(path).headers["ETag"]
        r = self.delete(path, headers={"If-Match": etag})
        assert r.status_code == expect, r.get_data(as_text=True)
        return r

    def me(self):
        return self.get("/me").json

    def add_member(self, project_id, user, role="member"):
        r = self.put(f"/projects/{project_id}/members/{user.me()['id']}", {"role": role})
        assert r.status_code in (200, 201), r.get_data(as_text=True)
        return r.json

    def feed(self, since=None, **params):
        if since is not None:
            params["since"] = since
        r = self.get("/changes?" + urllib.parse.urlencode(params))
        assert r.status_code == 200, r.get_data(as_text=True)
        return r.json

    def follow(self, since, **params):
        """Every change after `since`, following `next` through all pages."""
        seen = []
        while True:
            page = self.feed(since, **params)
            seen += page["changes"]
            since = page["next"]
            if not page["has_more"]:
                return seen, since

    def make_board(self, name="board"):
        project = self.created("/projects", {"name": name})
        todo = self.created(f"/projects/{project['id']}/statuses", {"name": "Todo", "position": 0})
        done = self.created(f"/projects/{project['id']}/statuses", {"name": "Done", "position": 1})
        task = self.created(f"/projects/{project['id']}/tasks", {"title": "Fix homepage", "status_id": todo["id"]})
        return {"project": project, "todo": todo, "done": done, "task": task, "pid": project["id"]}


def problem(r, status):
    """Assert a problem+json answer with `status`; return its body."""
    assert r.status_code == status, (r.status_code, r.get_data(as_text=True))
    assert r.mimetype == "application/problem+json", r.mimetype
    body = r.json
    assert body["status"] == status and body["title"] and "type" in body
    return body


def fresh_database(url, alongside=False):
    """PostgreSQL: an empty, migrated database per test (see tests/pg.py)."""
    from .pg import fresh_database as fresh

    return fresh(url, alongside)
