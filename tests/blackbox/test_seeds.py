"""Each seed's own testing section, replayed end to end through real gunicorn (4 workers).

Seeds live in ../shared/seeds/: 000 event pages, 001 partner portal (events,
approval, messages, notifications), 002 gamified tasks, 003 CRM search,
004 kanban. The 50-seat race runs here too, so it runs on SQLite and on
PostgreSQL (scripts/test runs this suite on both).
"""
import threading
import urllib.parse

import pytest

from ..server import Client

pytestmark = pytest.mark.blackbox

EVENT = {"title": "Launch party", "venue": "Hall A", "capacity": 10,
         "starts_at": "2031-06-01T18:00:00Z", "ends_at": "2031-06-01T22:00:00Z"}


@pytest.fixture(scope="module")
def people(server):
    tokens = server.users(["owner", "partner", "colleague"])
    tokens["admin"] = server.user("admin", admin=True)
    return {name: Client(server.url, token) for name, token in tokens.items()}


@pytest.fixture
def project(people):
    owner = people["owner"]
    pid = owner.post("/projects", {"name": "portal"}).json()["id"]
    for name in ("partner", "colleague"):
        user_id = people[name].get("/me").json()["id"]
        assert owner.put(f"/projects/{pid}/members/{user_id}", {"role": "member"}).status == 201
    return pid


def changes_since(client, cursor, **params):
    q = urllib.parse.urlencode({"since": cursor, **params})
    page = client.get(f"/changes?{q}").json()
    assert not page["has_more"]
    return page["changes"], page["next"]


def test_seed_000_an_edited_event_shows_at_once_in_details_and_list(people, project):
    owner, partner = people["owner"], people["partner"]
    event = partner.post(f"/projects/{project}/events", EVENT).json()
    details, listing = f"/events/{event['id']}", f"/projects/{project}/events"
    d0, l0 = partner.get(details), partner.get(listing)
    assert partner.poll(details, d0.header("ETag")).status == 304
    saved = partner.edit(details, {"title": "Launch party (moved)", "venue": "Roof"})
    assert saved.status == 200 and saved.json()["venue"] == "Roof"  # the page reflects the save at once
    d1 = partner.poll(details, d0.header("ETag"))
    l1 = owner.poll(listing, l0.header("ETag"))
    assert d1.status == 200 and d1.json()["title"] == "Launch party (moved)"
    assert l1.status == 200 and [e["venue"] for e in l1.json()["items"]] == ["Roof"]
    # navigate away and back: the same answers, and 304 now
    assert partner.poll(details, d1.header("ETag")).status == 304
    assert owner.poll(listing, l1.header("ETag")).status == 304


def test_seed_001_partner_event_approval_message_and_notification_by_polling(people, project):
    owner, partner, colleague, admin = people["owner"], people["partner"], people["colleague"], people["admin"]
    listing = f"/projects/{project}/events"
    seen = colleague.get(listing)
    badge = f"/projects/{project}/notifications/unread-count"
    badge0 = partner.get(badge)
    event = partner.post(listing, EVENT).json()
    assert event["status"] == "pending"
    # another member's poll sees it
    polled = colleague.poll(listing, seen.header("ETag"))
    assert polled.status == 200 and [e["id"] for e in polled.json()["items"]] == [event["id"]]
    mine = f"/projects/{project}/events?owner={event['owner_id']}"
    before = partner.get(mine)
    # an admin approves; the partner's next poll shows it
    approved = admin.post(f"/events/{event['id']}/decision", {"decision": "approved"},
                          headers={"If-Match": admin.get(f"/events/{event['id']}").header("ETag")})
    assert approved.status == 200
    after = partner.poll(mine, before.header("ETag"))
    assert after.status == 200 and after.json()["items"][0]["status"] == "approved"
    # a message in the partner's thread and the notification arrive by polling
    thread = partner.post(f"/projects/{project}/threads", {"subject": "Catering"}).json()
    messages = f"/threads/{thread['id']}/messages"
    m0 = partner.get(messages)
    owner.post(messages, {"body": "Pizza for 10?"})
    m1 = partner.poll(messages, m0.header("ETag"))
    assert m1.status == 200 and [m["body"] for m in m1.json()["items"]] == ["Pizza for 10?"]
    b1 = partner.poll(badge, badge0.header("ETag"))
    assert b1.status == 200 and b1.json()["unread"] == 2  # the approval and the message
    kinds = sorted(n["kind"] for n in partner.get(f"/projects/{project}/notifications").json()["items"])
    assert kinds == ["event_approved", "message_posted"]
    assert partner.poll(badge, b1.header("ETag")).status == 304


def test_seed_002_completing_a_task_updates_progress_and_summary_in_the_feed(people, project):
    owner, partner = people["owner"], people["partner"]
    partner_id = partner.get("/me").json()["id"]
    todo = owner.post(f"/projects/{project}/statuses", {"name": "Todo"}).json()
    done = owner.post(f"/projects/{project}/statuses", {"name": "Done", "done": True}).json()
    task = owner.post(f"/projects/{project}/tasks", {"title": "Write docs", "status_id": todo["id"],
                                                     "assignee_id": partner_id, "points": 100}).json()
    progress, summary = f"/projects/{project}/progress/{partner_id}", f"/projects/{project}/summary"
    p0, s0 = partner.get(progress), owner.get(summary)
    cursor = owner.get(f"/changes?since=now&project={project}").json()["next"]
    assert partner.edit(f"/tasks/{task['id']}", {"status_id": done["id"]}).status == 200
    p1, s1 = partner.poll(progress, p0.header("ETag")), owner.poll(summary, s0.header("ETag"))
    assert p1.status == 200 and p1.json()["points"] == 100 and p1.json()["completed_tasks"] == 1
    assert s1.status == 200 and s1.json()["completion"] == 100.0 and s1.json()["tasks_done"] == 1
    changes, _ = changes_since(owner, cursor, project=project, include="resource", types="task,progress,summary")
    derived = {c["type"]: c for c in changes if c["type"] in ("progress", "summary")}
    assert derived["progress"]["resource"]["points"] == 100
    assert derived["summary"]["resource"]["completion"] == 100.0
    assert len({c["at"] for c in changes}) == 1  # one transaction


def test_seed_003_customer_update_shows_in_search_by_field_and_by_name(people, project):
    owner, colleague = people["owner"], people["colleague"]
    customer = owner.post(f"/projects/{project}/customers", {
        "first_name": "Ada", "last_name": "Lovelace", "email": "ada@old.example", "phone": "555-0001"}).json()
    owner.post(f"/projects/{project}/customers", {"first_name": "Alan", "last_name": "Turing"})
    by_name = f"/projects/{project}/customers?q=Lovelace"
    by_phone = f"/projects/{project}/customers?q=555-0002"
    unrelated = f"/projects/{project}/customers?q=Turing"
    n0, u0 = colleague.get(by_name), colleague.get(unrelated)
    assert colleague.get(by_phone).json()["items"] == []
    assert owner.edit(f"/customers/{customer['id']}", {"phone": "555-0002", "email": "ada@new.example"}).status == 200
    found = colleague.get(by_phone).json()["items"]
    assert [c["id"] for c in found] == [customer["id"]]
    n1 = colleague.poll(by_name, n0.header("ETag"))
    assert n1.status == 200 and n1.json()["items"][0]["email"] == "ada@new.example"
    assert colleague.poll(unrelated, u0.header("ETag")).status == 304  # an unchanged search
    assert colleague.get(f"/customers/{customer['id']}").json()["phone"] == "555-0002"


def test_seed_004_kanban_two_windows_tasks_and_statuses(people, project):
    one, two = people["owner"], people["colleague"]
    cursor = two.get(f"/changes?since=now&project={project}").json()["next"]
    made = one.post(f"/projects/{project}/statuses", {"name": "Review"})
    col, col_tag = made.json(), made.header("ETag")
    task = one.post(f"/projects/{project}/tasks", {"title": "Card", "status_id": col["id"]}).json()
    changes, cursor = changes_since(two, cursor, project=project, types="status,task")
    assert [(c["type"], c["op"]) for c in changes] == [("status", "create"), ("task", "create")]
    assert two.edit(f"/tasks/{task['id']}", {"title": "Card (edited)"}).status == 200
    changes, cursor = changes_since(one, cursor, project=project, types="task", include="resource")
    assert [c["resource"]["title"] for c in changes] == ["Card (edited)"]
    assert one.delete(f"/tasks/{task['id']}", headers={"If-Match": one.get(f"/tasks/{task['id']}").header("ETag")}
                      ).status == 204
    assert one.delete(f"/statuses/{col['id']}", headers={"If-Match": col_tag}).status == 204
    changes, _ = changes_since(two, cursor, project=project, types="status,task")
    assert [(c["type"], c["op"]) for c in changes] == [("task", "delete"), ("status", "delete")]
    assert two.get(f"/projects/{project}/statuses").json()["items"] == []


def test_fifty_concurrent_bookings_for_ten_seats_give_exactly_ten(server, people, project):
    owner = people["owner"]
    tokens = server.users([f"guest{i:02d}-{project[-6:]}" for i in range(50)])
    for token in tokens.values():
        user_id = Client(server.url, token).get("/me").json()["id"]
        assert owner.put(f"/projects/{project}/members/{user_id}", {"role": "member"}).status == 201
    event = owner.post(f"/projects/{project}/events", EVENT).json()
    assert owner.post(f"/events/{event['id']}/decision", {"decision": "approved"},
                      headers={"If-Match": owner.get(f"/events/{event['id']}").header("ETag")}).status == 200
    results, barrier = [None] * 50, threading.Barrier(50)

    def book(i, token):
        c = Client(server.url, token)
        c.get("/me")  # connect first, so the barrier releases requests, not handshakes
        barrier.wait()
        results[i] = c.post(f"/events/{event['id']}/bookings")

    threads = [threading.Thread(target=book, args=(i, t)) for i, t in enumerate(tokens.values())]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(r.status for r in results)
    assert statuses == [201] * 10 + [409] * 40, statuses
    assert all(r.json()["type"].endswith("event-full") for r in results if r.status == 409)
    final = owner.get(f"/events/{event['id']}").json()
    bookings = owner.get(f"/events/{event['id']}/bookings").json()["items"]
    assert final["booked"] == 10 and len(bookings) == 10 and len({b["user_id"] for b in bookings}) == 10
    assert "consistent" in server.flask("changes", "verify")
