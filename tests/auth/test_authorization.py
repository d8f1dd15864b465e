"""Every endpoint of the domains, as owner, member, non-member, anonymous and admin.

The member (bob) created the event, booking, thread and message, and owns the
notification; alice owns the project; carol belongs to another project only.
"""

import pytest

from ..support import CALLER_ROUTES, api_get_routes, event_body, fill

ROLES = ("owner", "member", "outsider", "anonymous", "admin")
READ = (200, 200, 404, 401, 200)
CREATE = (201, 201, 404, 401, 201)
EDIT = (200, 200, 404, 401, 200)
REMOVE = (204, 204, 404, 401, 204)
OWN_ONLY = (404, 200, 404, 401, 404)  # someone's notifications: theirs alone, not even an admin's

# (method, path, body, If-Match from whose GET: "member" or "self" or None, expected per role)
ENDPOINTS = [
    ("GET", "/projects/{pid}/events", None, None, READ),
    ("GET", "/projects/{pid}/events?status=approved&owner={bob}&from=2031-01-01T00:00:00Z", None, None, READ),
    ("POST", "/projects/{pid}/events", event_body(), None, CREATE),
    ("GET", "/projects/{pid}/booked-events", None, None, READ),
    ("GET", "/events/{event}", None, None, READ),
    ("PATCH", "/events/{event}", {"venue": "Hall B"}, "member", EDIT),
    ("DELETE", "/events/{event}", None, "member", REMOVE),
    ("POST", "/events/{pending}/decision", {"decision": "approved"}, "member", (200, 403, 404, 401, 200)),
    ("GET", "/events/{event}/bookings", None, None, READ),
    ("POST", "/events/{open}/bookings", None, None, CREATE),
    ("GET", "/bookings/{booking}", None, None, READ),
    ("DELETE", "/bookings/{booking}", None, "member", REMOVE),
    ("GET", "/projects/{pid}/threads", None, None, READ),
    ("POST", "/projects/{pid}/threads", {"subject": "Venue"}, None, CREATE),
    ("GET", "/threads/{thread}", None, None, READ),
    ("PATCH", "/threads/{thread}", {"subject": "Food"}, "member", EDIT),
    ("DELETE", "/threads/{thread}", None, "member", REMOVE),
    ("GET", "/threads/{thread}/messages", None, None, READ),
    ("POST", "/threads/{thread}/messages", {"body": "Tacos!"}, None, CREATE),
    ("GET", "/messages/{message}", None, None, READ),
    ("PATCH", "/messages/{message}", {"body": "Pizza!"}, "member", (403, 200, 404, 401, 403)),
    ("DELETE", "/messages/{message}", None, "member", REMOVE),
    ("GET", "/projects/{pid}/notifications", None, None, READ),
    ("GET", "/projects/{pid}/notifications?unread=true", None, None, READ),
    ("GET", "/projects/{pid}/notifications/unread-count", None, None, READ),
    ("POST", "/projects/{pid}/notifications/mark-all-read", None, "self", EDIT),
    ("GET", "/notifications/{notification}", None, None, OWN_ONLY),
    ("PATCH", "/notifications/{notification}", {"read": True}, "member", OWN_ONLY),
    ("GET", "/projects/{pid}/customers", None, None, READ),
    ("GET", "/projects/{pid}/customers?q=ada", None, None, READ),
    ("POST", "/projects/{pid}/customers", {"first_name": "Grace", "last_name": "Hopper"}, None, CREATE),
    ("GET", "/customers/{customer}", None, None, READ),
    ("PATCH", "/customers/{customer}", {"notes": "VIP"}, "member", EDIT),
    ("DELETE", "/customers/{customer}", None, "member", REMOVE),
    ("GET", "/projects/{pid}/progress", None, None, READ),
    ("GET", "/projects/{pid}/progress/{bob}", None, None, READ),
    ("GET", "/projects/{pid}/summary", None, None, READ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "template", "body", "etag_from", "expected"), ENDPOINTS,
                         ids=[f"{e[0]} {e[1]}" for e in ENDPOINTS])
def test_endpoint_authorization(world, callers, role, method, template, body, etag_from, expected):
    ids = {k: world[k]["id"] for k in ("event", "pending", "open", "booking", "thread", "message", "customer",
                                       "notification")}
    path = template.format(pid=world["pid"], bob=world["bob_id"], **ids)
    caller = callers[role]
    headers = {}
    if etag_from == "member":
        headers["If-Match"] = callers["member"].get(path.removesuffix("/decision")).headers["ETag"]
    elif etag_from == "self":
        headers["If-Match"] = caller.get(path.replace("mark-all-read", "unread-count")).headers.get("ETag", '"x"')
    r = caller.request(method, path, json=body, headers=headers)
    want = expected[ROLES.index(role)]
    assert r.status_code == want, (role, r.status_code, r.get_data(as_text=True))
    if want >= 400:
        assert r.mimetype == "application/problem+json"
    if role == "anonymous":
        assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_endpoint_table_covers_every_domain_route(app):
    """Every route of the new domains is in the table above (a new route without a test fails here)."""
    domains = ("events", "messages", "notifications", "customers", "progress")
    routes = {(m, rule.rule) for rule in app.url_map.iter_rules() if rule.endpoint.split(".")[0] in domains
              for m in rule.methods - {"HEAD", "OPTIONS"}}
    names = {"pid": "project_id", "event": "event_id", "pending": "event_id", "open": "event_id",
             "booking": "booking_id", "thread": "thread_id", "message": "message_id", "customer": "customer_id",
             "notification": "notification_id", "bob": "user_id"}
    covered = set()
    for method, template, *_ in ENDPOINTS:
        path = template.split("?")[0]
        for short, long in names.items():
            path = path.replace("{" + short + "}", "<" + long + ">")
        covered.add((method, path))
    assert len(routes) >= 30 and routes - covered == set()


def test_a_member_who_did_not_create_an_event_may_not_change_it(world, alice, make_user):
    dave = make_user("dave")
    alice.add_member(world["pid"], dave)
    path = f"/events/{world['event']['id']}"
    etag = dave.get(path).headers["ETag"]
    assert dave.patch(path, {"venue": "x"}, headers={"If-Match": etag}).status_code == 403
    assert dave.delete(path, headers={"If-Match": etag}).status_code == 403
    assert dave.delete(f"/bookings/{world['booking']['id']}",
                       headers={"If-Match": dave.get(f"/bookings/{world['booking']['id']}").headers["ETag"]}
                       ).status_code == 403
    tpath = f"/threads/{world['thread']['id']}"
    assert dave.patch(tpath, {"subject": "x"}, headers={"If-Match": dave.get(tpath).headers["ETag"]}).status_code == 403


# --- membership routes: a non-member and a former member learn nothing ----------------------------

MEMBERSHIP_ROUTES = [
    ("GET", "/projects/{pid}/members", None),
    ("GET", "/projects/{pid}/members/{alice}", None),
    ("GET", "/projects/{pid}/members/{bob}", None),
    ("GET", "/projects/{pid}/members/{erin}", None),
    ("PUT", "/projects/{pid}/members/{bob}", {"role": "owner"}),
    ("PUT", "/projects/{pid}/members/{outsider}", {"role": "owner"}),
    ("DELETE", "/projects/{pid}/members/{bob}", None),
    ("DELETE", "/projects/{pid}/members/{alice}", None),
    ("GET", "/changes?since=now&project={pid}", None),
]


@pytest.fixture
def former(world, alice, make_user):
    """dave was a member and was removed; erin was added after that."""
    dave, erin = make_user("dave"), make_user("erin")
    alice.add_member(world["pid"], dave)
    alice.remove(f"/projects/{world['pid']}/members/{dave.me()['id']}")
    alice.add_member(world["pid"], erin)
    return {"dave": dave, "erin_id": erin.me()["id"]}


@pytest.mark.parametrize("who", ["outsider", "former member"])
@pytest.mark.parametrize("with_if_match", [False, True])
@pytest.mark.parametrize(("method", "template", "body"), MEMBERSHIP_ROUTES, ids=[f"{m} {t}" for m, t, _ in
                                                                                   MEMBERSHIP_ROUTES])
def test_membership_routes_are_404_to_non_and_former_members(world, callers, former, who, with_if_match, method,
                                                              template, body):
    caller = callers["outsider"] if who == "outsider" else former["dave"]
    path = template.format(pid=world["pid"], alice=world["alice_id"], bob=world["bob_id"], erin=former["erin_id"],
                           outsider=caller.me()["id"])
    headers = {"If-Match": "*"} if with_if_match else {}
    r = caller.request(method, path, json=body, headers=headers)
    assert r.status_code == 404, (who, r.status_code, r.get_data(as_text=True))
    assert r.mimetype == "application/problem+json" and "ETag" not in r.headers


def test_a_member_reads_members_but_only_an_owner_changes_them(world, bob, alice):
    pid = world["pid"]
    assert bob.get(f"/projects/{pid}/members/{world['alice_id']}").json["role"] == "owner"
    assert {m["user_id"] for m in bob.get(f"/projects/{pid}/members").json["items"]} >= {world["alice_id"]}
    assert bob.put(f"/projects/{pid}/members/{world['alice_id']}", {"role": "member"},
                   headers={"If-Match": "*"}).status_code == 403
    assert bob.delete(f"/projects/{pid}/members/{world['alice_id']}", headers={"If-Match": "*"}).status_code == 403


# --- every GET route of every model, by construction --------------------------------------------

def test_every_get_route_of_every_model_is_404_to_non_and_former_members(app, world, callers, former, admin):
    routes = [r for r in api_get_routes(app) if r not in CALLER_ROUTES]
    assert len(routes) >= 20
    for rule in routes:
        path = fill(rule, world)
        if "/notifications/" not in path or path.endswith("unread-count"):
            assert admin.get(path).status_code == 200, path  # the path names something that exists
        for who, caller in (("outsider", callers["outsider"]), ("former member", former["dave"])):
            for headers in ({}, {"If-None-Match": "*"}, {"If-None-Match": admin.get(path).headers.get("ETag", '"x"')}):
                r = caller.get(path, headers=headers)
                assert r.status_code == 404, (who, path, headers, r.status_code)
                assert "ETag" not in r.headers, (who, path)
    assert set(api_get_routes(app)) - set(routes) == CALLER_ROUTES


def test_one_strong_tag_never_names_two_callers_bodies_on_any_get_route(app, world, callers, make_user, alice):
    """Every GET route (the caller-scoped ones too), as owner, members and admin: where two callers get the
    same strong tag, they got the same body. A caching client may revalidate one user's copy with another's.

    Set up so that tags made of positions and versions alone would collide: erin is a new member (her unread
    count is at version 1, like alice's), and the newest change of all is in the shared project (so alice's,
    bob's and the admin's visible watermarks are one position)."""
    erin = make_user("erin")
    alice.add_member(world["pid"], erin)
    alice.created(f"/projects/{world['pid']}/statuses", {"name": "Later"})
    everyone = {**callers, "erin": erin}
    routes = api_get_routes(app)
    assert {"/projects", "/me", "/changes"} <= set(routes)
    compared = 0
    for rule in routes:
        path = fill(rule, world)
        seen = {}
        for role in ("owner", "member", "erin", "admin"):
            r = everyone[role].get(path)
            if r.status_code != 200:
                continue
            etag = r.headers["ETag"]
            if not etag.startswith("W/") and etag in seen:
                assert seen[etag] == r.get_data(), (path, role, etag)
                compared += 1
            seen[etag] = r.get_data()
    assert compared >= 10  # shared representations (a project's lists and items) are compared
