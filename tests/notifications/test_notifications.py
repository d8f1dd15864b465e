"""Notifications made by the server; the unread count as a versioned resource."""
import re

from ..support import approve, event_body, problem


def test_notifications_for_decisions_assignments_and_messages(alice, bob, make_user, board):
    pid = board["pid"]
    alice.add_member(pid, bob)
    bob_id = bob.me()["id"]
    event = bob.created(f"/projects/{pid}/events", event_body())
    approve(alice, event["id"], "rejected", "Too loud")
    alice.created(f"/projects/{pid}/tasks", {"title": "Print flyers", "status_id": board["todo"]["id"],
                                             "assignee_id": bob_id})
    thread = bob.created(f"/projects/{pid}/threads", {"subject": "Flyers"})
    alice.created(f"/threads/{thread['id']}/messages", {"body": "Which paper?"})
    items = bob.get(f"/projects/{pid}/notifications").json["items"]
    assert sorted((n["kind"], n["subject_id"]) for n in items) == sorted([
        ("event_rejected", event["id"]), ("task_assigned", items[1]["subject_id"]),
        ("message_posted", thread["id"])])
    assert "Too loud" in next(n["text"] for n in items if n["kind"] == "event_rejected")
    assert all(n["user_id"] == bob_id and n["read"] is False for n in items)
    # nobody is told of their own doing: alice assigned herself, bob posted in his own thread
    alice.created(f"/projects/{pid}/tasks", {"title": "mine", "status_id": board["todo"]["id"],
                                             "assignee_id": alice.me()["id"]})
    bob.created(f"/threads/{thread['id']}/messages", {"body": "A4"})
    kinds = [n["kind"] for n in alice.get(f"/projects/{pid}/notifications").json["items"]]
    assert kinds == ["message_posted"]  # bob's reply in a thread alice wrote in
    # reassigning notifies the new assignee; an edit that leaves the assignee alone does not
    carol = make_user("carol")
    alice.add_member(pid, carol)
    task = alice.get(f"/projects/{pid}/tasks?q=flyers").json["items"][0]
    alice.edit(f"/tasks/{task['id']}", {"assignee_id": carol.me()["id"]})
    alice.edit(f"/tasks/{task['id']}", {"title": "Print more flyers"})
    assert [n["kind"] for n in carol.get(f"/projects/{pid}/notifications").json["items"]] == ["task_assigned"]


def test_the_unread_count_is_polled_with_if_none_match_and_moves_with_its_notifications(alice, bob, board):
    pid = board["pid"]
    alice.add_member(pid, bob)
    url = f"/projects/{pid}/notifications/unread-count"
    first = bob.get(url)
    assert first.json["unread"] == 0
    assert re.fullmatch(f'"v{first.json["version"]}-[0-9a-z]+.{first.json["user_id"]}"', first.headers["ETag"])
    etag = first.headers["ETag"]
    assert bob.get(url, headers={"If-None-Match": etag}).status_code == 304
    alice.created(f"/projects/{pid}/tasks", {"title": "not for bob", "status_id": board["todo"]["id"]})
    assert bob.get(url, headers={"If-None-Match": etag}).status_code == 304
    since = bob.feed("now")["next"]
    alice.created(f"/projects/{pid}/tasks", {"title": "for bob", "status_id": board["todo"]["id"],
                                             "assignee_id": bob.me()["id"]})
    r = bob.get(url, headers={"If-None-Match": etag})
    assert r.status_code == 200 and r.json["unread"] == 1
    changes, _ = bob.follow(since, types="task,notification,unread_count")
    by_type = {c["type"]: c for c in changes}
    assert {"task", "notification", "unread_count"} <= set(by_type)
    # bookkeeping comes only when named: the default feed has the notification, not the count
    assert {c["type"] for c in bob.follow(since)[0]} == {"task", "notification"}
    assert by_type["notification"]["at"] == by_type["task"]["at"] == by_type["unread_count"]["at"]  # one commit
    # marking read moves the count in the same commit
    (note,) = bob.get(f"/projects/{pid}/notifications?unread=true").json["items"]
    etag = r.headers["ETag"]
    bob.edit(f"/notifications/{note['id']}", {"read": True})
    r = bob.get(url, headers={"If-None-Match": etag})
    assert r.status_code == 200 and r.json["unread"] == 0
    assert bob.get(f"/projects/{pid}/notifications?unread=true").json["items"] == []
    assert bob.get(f"/projects/{pid}/notifications?unread=false").json["items"][0]["read_at"]
    bob.edit(f"/notifications/{note['id']}", {"read": False})
    assert bob.get(url).json["unread"] == 1
    problem(bob.patch(f"/notifications/{note['id']}", {"read": "yes please"}, headers={"If-Match": "*"}), 422)


def test_mark_all_read_needs_the_counts_etag(alice, bob, board):
    pid = board["pid"]
    alice.add_member(pid, bob)
    for i in range(3):
        alice.created(f"/projects/{pid}/tasks", {"title": f"t{i}", "status_id": board["todo"]["id"],
                                                 "assignee_id": bob.me()["id"]})
    seen = bob.get(f"/projects/{pid}/notifications/unread-count")
    alice.created(f"/projects/{pid}/tasks", {"title": "unseen", "status_id": board["todo"]["id"],
                                             "assignee_id": bob.me()["id"]})
    url = f"/projects/{pid}/notifications/mark-all-read"
    problem(bob.post(url, headers={"If-Match": seen.headers["ETag"]}), 412)  # one arrived since
    problem(bob.post(url), 428)
    now = bob.get(f"/projects/{pid}/notifications/unread-count")
    assert now.json["unread"] == 4
    r = bob.post(url, headers={"If-Match": now.headers["ETag"]})
    assert r.status_code == 200 and r.json["unread"] == 0
    assert re.fullmatch(f'"v{r.json["version"]}-[0-9a-z]+.{r.json["user_id"]}"', r.headers["ETag"])


def test_notifications_are_private(alice, bob, admin, board):
    pid = board["pid"]
    alice.add_member(pid, bob)
    task = alice.created(f"/projects/{pid}/tasks", {"title": "x", "status_id": board["todo"]["id"]})
    url = "/changes?since=" + alice.feed("now")["next"]
    etag = alice.get(url).headers["ETag"]
    bob_since = bob.feed("now")["next"]
    alice.edit(f"/tasks/{task['id']}", {"assignee_id": bob.me()["id"]})
    note = bob.get(f"/projects/{pid}/notifications").json["items"][0]
    for other in (alice, admin):
        problem(other.get(f"/notifications/{note['id']}"), 404)
        assert other.get(f"/projects/{pid}/notifications").json["items"] == []
        changes, _ = other.follow(None)
        assert not any(c["type"] in ("notification", "unread_count") and c["id"] in (note["id"],) for c in changes)
        embedded = other.feed(None, include="resource", types="notification")["changes"]
        assert all(c["resource"] is None or c["resource"]["user_id"] == other.me()["id"] for c in embedded)
    bob_changes, _ = bob.follow(bob_since, include="resource")
    mine = [c for c in bob_changes if c["type"] == "notification"]
    assert mine and mine[0]["resource"]["id"] == note["id"]
    # alice's feed wakes for the task change, and only for it
    r = alice.get(url, headers={"If-None-Match": etag})
    assert r.status_code == 200 and {c["type"] for c in r.json["changes"]} == {"task"}
    # bob reading his notification changes only private rows: alice's feed stays 304
    nxt = "/changes?since=" + r.json["next"]
    etag = alice.get(nxt).headers["ETag"]
    tasks_etag = alice.get(f"/projects/{pid}/tasks").headers["ETag"]
    bob.edit(f"/notifications/{note['id']}", {"read": True})
    assert alice.get(nxt, headers={"If-None-Match": etag}).status_code == 304
    assert alice.get(f"/projects/{pid}/tasks", headers={"If-None-Match": tasks_etag}).status_code == 304


def test_mark_all_read_with_an_idempotency_key_answers_what_its_derivers_made(alice, bob, board):
    """With a key the write's COMMIT waits for its stored answer (pollfeed.idempotency): the derivers must
    still run before the answer is made, or the answer (and its replay) shows the count before them."""
    pid = board["pid"]
    alice.add_member(pid, bob)
    alice.created(f"/projects/{pid}/tasks", {"title": "t", "status_id": board["todo"]["id"],
                                             "assignee_id": bob.me()["id"]})
    now = bob.get(f"/projects/{pid}/notifications/unread-count")
    assert now.json["unread"] == 1
    url = f"/projects/{pid}/notifications/mark-all-read"
    headers = {"If-Match": now.headers["ETag"], "Idempotency-Key": "read-all-1"}
    r = bob.post(url, headers=headers)
    assert r.status_code == 200 and r.json["unread"] == 0, r.json
    current = bob.get(f"/projects/{pid}/notifications/unread-count")
    assert r.headers["ETag"] == current.headers["ETag"] and r.json == current.json
    again = bob.post(url, headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true" and again.json == current.json
