"""Test helpers: a thin API client over Flask's test client, and a per-test PostgreSQL database."""
import os
import re
import time

from .calls import Calls


class Api(Calls):
    """A user's view of the API through Flask's test client, with their bearer token."""

    def __init__(self, client, token, name):
        self.client, self.token, self.name = client, token, name

    def send(self, method, path, json, headers, **extra):
        return self.client.open(path, method=method, json=json, headers=headers, **extra)

    @staticmethod
    def status_of(r):
        return r.status_code

    @staticmethod
    def json_of(r):
        return r.json

    @staticmethod
    def header_of(r, name):
        return r.headers.get(name)

    def edit(self, path, body, expect=200):
        return super().edit(path, body, expect)

    def me(self):
        return self.get("/me").json

    def add_member(self, project_id, user, role="member"):
        r = self.put(f"/projects/{project_id}/members/{user.me()['id']}", {"role": role})
        assert r.status_code in (200, 201), r.get_data(as_text=True)
        return r.json

    def make_board(self, name="board"):
        project = self.created("/projects", {"name": name})
        todo = self.created(f"/projects/{project['id']}/statuses", {"name": "Todo", "position": 0})
        done = self.created(f"/projects/{project['id']}/statuses", {"name": "Done", "position": 1})
        task = self.created(f"/projects/{project['id']}/tasks", {"title": "Fix homepage", "status_id": todo["id"]})
        return {"project": project, "todo": todo, "done": done, "task": task, "pid": project["id"]}


# -- the domains' shared data ------------------------------------------------------------------

FUTURE = {"starts_at": "2031-06-01T18:00:00Z", "ends_at": "2031-06-01T22:00:00Z"}


def event_body(**kw):
    return {"title": "Launch party", "description": "cake", "venue": "Hall A", "capacity": 10, **FUTURE, **kw}


def approve(api, event_id, decision="approved", reason=None):
    etag = api.get(f"/events/{event_id}").headers["ETag"]
    body = {"decision": decision} if reason is None else {"decision": decision, "reason": reason}
    r = api.post(f"/events/{event_id}/decision", body, headers={"If-Match": etag})
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.json


#: How each path parameter of the API is filled from the world fixture. A route with a parameter
#: that is not here fails the walk below: a new model cannot ship without joining it.
PARAMETERS = {
    "project_id": "pid", "task_id": "task", "status_id": "todo", "event_id": "event", "booking_id": "booking",
    "thread_id": "thread", "message_id": "message", "customer_id": "customer", "notification_id": "notification",
    "user_id": "bob_id",
}
CALLER_ROUTES = {"/me", "/projects", "/changes"}  # no resource named: they answer for the caller


def api_get_routes(app):
    skip = {"health", "web", "api-docs", "static", "metrics", "admin"}  # not the API's: tested on their own
    return sorted(rule.rule for rule in app.url_map.iter_rules()
                  if "GET" in rule.methods and rule.endpoint.split(".")[0] not in skip)


def fill(rule, world):
    def value(name):
        assert name in PARAMETERS, f"{rule}: no world value for <{name}>; add it to PARAMETERS"
        found = world[PARAMETERS[name]]
        return found["id"] if isinstance(found, dict) else found

    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: value(m.group(1)), rule)


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


def empty_database(tmp_path):
    """An empty database, for an app that is not the reference server: a new PostgreSQL database on the
    test cluster, or a new SQLite file."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    if url.startswith("postgresql"):
        from .pg import empty_database as empty

        return empty(url)
    return f"sqlite:///{tmp_path / 'empty.db'}"


def server_database(tmp_path_factory):
    """A database of its own for a real gunicorn: a fresh migrated one on PostgreSQL, a new file on SQLite
    (the server migrates it when it starts)."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    if url.startswith("postgresql"):
        return fresh_database(url)
    return f"sqlite:///{tmp_path_factory.mktemp('gunicorn')}/server.db"


def item_ids(client, url, headers):
    """The ids of a list's items, page after page (each a 200) by its `next` links, in order."""
    seen = []
    while url:
        page = client.get(url, headers=headers)
        assert page.status_code == 200, page.get_data(as_text=True)
        seen += [item["id"] for item in page.get_json()["items"]]
        url = page.get_json()["next"]
    return seen


def wait_settled(read, quiet=3.0, bound=60.0):
    """`read()` once it has stopped moving for `quiet` seconds (the metrics of earlier requests arriving),
    within `bound` seconds."""
    deadline = time.monotonic() + bound
    value, since = read(), time.monotonic()
    while time.monotonic() - since < quiet and time.monotonic() < deadline:
        time.sleep(0.25)
        now = read()
        if now != value:
            value, since = now, time.monotonic()
    return value


def wait_until(condition, bound=60.0, step=0.1):
    """Poll `condition()` until it is true, for at most `bound` seconds; returns its last value."""
    deadline = time.monotonic() + bound
    while not (value := condition()) and time.monotonic() < deadline:
        time.sleep(step)
    return value
