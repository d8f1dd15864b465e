"""Events: proposal, approval, filters, bookings that never exceed capacity, my booked events."""
import pytest

from ..support import approve, event_body, problem


def event_tag(api, event):
    return api.get(f"/events/{event['id']}").headers["ETag"]


def test_a_proposed_event_is_pending_and_its_creator_sees_the_decision_on_the_next_poll(alice, bob, board):
    pid = board["pid"]
    alice.add_member(pid, bob)
    event = bob.created(f"/projects/{pid}/events", event_body())
    assert event["status"] == "pending" and event["owner_id"] == bob.me()["id"] and event["available"] == 10
    mine = f"/projects/{pid}/events?owner={event['owner_id']}"
    etag = bob.get(mine).headers["ETag"]
    assert bob.get(mine, headers={"If-None-Match": etag}).status_code == 304
    approve(alice, event["id"], "rejected", "Clashes with the board meeting")
    r = bob.get(mine, headers={"If-None-Match": etag})
    assert r.status_code == 200
    (shown,) = r.json["items"]
    assert shown["status"] == "rejected" and shown["decision_reason"] == "Clashes with the board meeting"
    assert shown["decided_by"] == alice.me()["id"] and shown["decided_at"].endswith("Z")


def test_decisions_need_if_match_a_reason_to_reject_and_happen_once(alice, board):
    event = alice.created(f"/projects/{board['pid']}/events", event_body())
    path = f"/events/{event['id']}/decision"
    problem(alice.post(path, {"decision": "approved"}), 428)
    problem(alice.post(path, {"decision": "approved"}, headers={"If-Match": '"v9"'}), 412)
    tag = alice.get(f"/events/{event['id']}").headers["ETag"]
    body = problem(alice.post(path, {"decision": "rejected"}, headers={"If-Match": tag}), 422)
    assert "reason" in body["errors"]
    problem(alice.post(path, {"decision": "maybe"}, headers={"If-Match": tag}), 422)
    approve(alice, event["id"])
    tag = alice.get(f"/events/{event['id']}").headers["ETag"]
    problem(alice.post(path, {"decision": "rejected", "reason": "no"}, headers={"If-Match": tag}), 409)


def test_event_validation(alice, board):
    url = f"/projects/{board['pid']}/events"
    for bad in ({"capacity": 0}, {"capacity": 2.5}, {"capacity": "10"}, {"starts_at": "tomorrow"},
                {"ends_at": "2031-05-01T00:00:00Z"}, {"title": ""}, {"status": "approved"}, {"booked": 3}):
        problem(alice.post(url, event_body(**bad)), 422)
    event = alice.created(url, event_body())
    body = problem(alice.patch(f"/events/{event['id']}", {"ends_at": "2030-01-01T00:00:00Z"},
                               headers={"If-Match": event_tag(alice, event)}), 422)
    assert "ends_at" in body["errors"]


def test_filters_status_owner_and_date_range(alice, bob, board):
    pid = board["pid"]
    alice.add_member(pid, bob)
    june = bob.created(f"/projects/{pid}/events", event_body(title="June"))
    july = alice.created(f"/projects/{pid}/events", event_body(
        title="July", starts_at="2031-07-10T10:00:00Z", ends_at="2031-07-12T10:00:00Z"))
    approve(alice, july["id"])

    def titles(query):
        r = alice.get(f"/projects/{pid}/events?{query}")
        assert r.status_code == 200, r.get_data(as_text=True)
        return sorted(e["title"] for e in r.json["items"])

    assert titles("") == ["July", "June"]
    assert titles("status=approved") == ["July"] and titles("status=pending") == ["June"]
    assert titles(f"owner={june['owner_id']}") == ["June"]
    assert titles("from=2031-07-01T00:00:00Z") == ["July"]
    assert titles("to=2031-06-30T00:00:00Z") == ["June"]
    assert titles("from=2031-07-11T00:00:00Z&to=2031-07-11T12:00:00Z") == ["July"]  # overlap
    assert titles("from=2032-01-01T00:00:00Z") == []
    problem(alice.get(f"/projects/{pid}/events?status=maybe"), 400)
    problem(alice.get(f"/projects/{pid}/events?from=yesterday"), 400)


def test_bookings_only_for_approved_events_never_twice_never_past_capacity(alice, bob, make_user, board):
    pid = board["pid"]
    event = alice.created(f"/projects/{pid}/events", event_body(capacity=2))
    url = f"/events/{event['id']}/bookings"
    assert problem(alice.post(url), 409)["type"].endswith("event-not-approved")
    approve(alice, event["id"])
    alice.add_member(pid, bob)
    carol = make_user("carol")
    alice.add_member(pid, carol)
    first = alice.created(url, None)
    assert first["user_id"] == alice.me()["id"] and first["event_id"] == event["id"]
    assert problem(alice.post(url), 409)["type"].endswith("already-booked")
    bob.created(url, None)
    assert problem(carol.post(url), 409)["type"].endswith("event-full")
    shown = alice.get(f"/events/{event['id']}").json
    assert shown["booked"] == 2 and shown["available"] == 0 and shown["version"] == 4  # created, approved, 2 seats
    # capacity cannot drop below the seats booked; cancelling frees one
    problem(alice.patch(f"/events/{event['id']}", {"capacity": 1}, headers={"If-Match": event_tag(alice, event)}), 409)
    alice.remove(f"/bookings/{first['id']}")
    carol.created(url, None)
    assert len(alice.get(url).json["items"]) == 2


def test_past_events_take_no_bookings(alice, board):
    event = alice.created(f"/projects/{board['pid']}/events", event_body(
        starts_at="2020-01-01T10:00:00Z", ends_at="2020-01-01T12:00:00Z"))
    approve(alice, event["id"])
    assert problem(alice.post(f"/events/{event['id']}/bookings"), 409)["type"].endswith("event-over")


def test_my_booked_events_has_its_own_etag(alice, bob, board):
    pid = board["pid"]
    alice.add_member(pid, bob)
    a = alice.created(f"/projects/{pid}/events", event_body(title="A"))
    b = alice.created(f"/projects/{pid}/events", event_body(title="B"))
    for e in (a, b):
        approve(alice, e["id"])
    url = f"/projects/{pid}/booked-events"
    empty = bob.get(url)
    assert empty.json["items"] == []
    booking = bob.created(f"/events/{a['id']}/bookings", None)
    r = bob.get(url, headers={"If-None-Match": empty.headers["ETag"]})
    assert r.status_code == 200 and [e["title"] for e in r.json["items"]] == ["A"]
    etag = r.headers["ETag"]
    # unrelated activity in the project, and someone else's booking of another event: still 304
    alice.created(f"/projects/{pid}/tasks", {"title": "noise", "status_id": board["todo"]["id"]})
    alice.created(f"/events/{b['id']}/bookings", None)
    alice.edit(f"/events/{b['id']}", {"venue": "elsewhere"})
    assert bob.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert alice.get(f"/projects/{pid}/events", headers={"If-None-Match": etag}).status_code == 200
    # the booked event changes: 200 with the new venue
    alice.edit(f"/events/{a['id']}", {"venue": "Hall Z"})
    r = bob.get(url, headers={"If-None-Match": etag})
    assert r.status_code == 200 and r.json["items"][0]["venue"] == "Hall Z"
    # cancelling empties it
    etag = r.headers["ETag"]
    bob.remove(f"/bookings/{booking['id']}")
    r = bob.get(url, headers={"If-None-Match": etag})
    assert r.status_code == 200 and r.json["items"] == []
    # alice's own list holds only hers
    assert [e["title"] for e in alice.get(url).json["items"]] == ["B"]


def test_deleting_an_event_removes_its_bookings_with_tombstones(alice, bob, board):
    pid = board["pid"]
    alice.add_member(pid, bob)
    event = alice.created(f"/projects/{pid}/events", event_body())
    approve(alice, event["id"])
    booking = bob.created(f"/events/{event['id']}/bookings", None)
    since = bob.feed("now")["next"]
    alice.remove(f"/events/{event['id']}")
    changes, _ = bob.follow(since)
    assert [(c["type"], c["id"], c["op"]) for c in changes] == [
        ("booking", booking["id"], "delete"), ("event", event["id"], "delete")]
    problem(bob.get(f"/bookings/{booking['id']}"), 404)


def test_event_changes_are_in_the_feed_with_fields(alice, bob, board):
    pid = board["pid"]
    alice.add_member(pid, bob)
    since = alice.feed("now")["next"]
    event = bob.created(f"/projects/{pid}/events", event_body())
    approve(alice, event["id"])
    changes, _ = alice.follow(since, types="event")
    assert [(c["op"], c["version"]) for c in changes] == [("create", 1), ("update", 2)]
    assert sorted(changes[1]["fields"]) == ["decided_at", "decided_by", "status"]  # no reason given: unchanged


def test_deleting_a_project_deletes_every_domains_rows_with_tombstones(world, alice, bob, runner):
    since = bob.feed("now")["next"]
    alice.remove(f"/projects/{world['pid']}")
    changes, _ = bob.follow(since, types="event,booking,thread,message,notification,unread_count,customer,"
                                         "progress,summary,task,status,member,project")
    deleted = {(c["type"], c["id"]) for c in changes if c["op"] == "delete"}
    for kind in ("event", "booking", "thread", "message", "customer", "notification"):
        assert (kind, world[kind]["id"]) in deleted, kind
    assert {c["type"] for c in changes} >= {"progress", "summary", "unread_count", "project"}
    assert changes[-1]["type"] == "project" and all(c["op"] == "delete" for c in changes)
    problem(bob.get(f"/events/{world['event']['id']}"), 404)
    r = runner.invoke(args=["changes", "verify"])
    assert r.exit_code == 0, r.output


def _kinds(api, pid):
    return sorted(n["kind"] for n in api.get(f"/projects/{pid}/notifications").json["items"])


@pytest.fixture
def booked(alice, bob, make_user, board):
    """bob's event, approved by alice (the owner), booked by carol (a member)."""
    pid = board["pid"]
    carol = make_user("carol")
    alice.add_member(pid, bob)
    alice.add_member(pid, carol)
    event = bob.created(f"/projects/{pid}/events", event_body())
    approved = approve(alice, event["id"])
    carol.created(f"/events/{event['id']}/bookings", None)
    return pid, carol, event, approved


def test_changing_what_was_approved_sends_the_event_back_for_a_decision(alice, bob, make_user, booked):
    pid, carol, event, _ = booked
    path = f"/events/{event['id']}"
    before = {"alice": _kinds(alice, pid), "carol": _kinds(carol, pid), "bob": _kinds(bob, pid)}
    since = alice.feed("now")["next"]
    for field, value in (("venue", "Hall B"), ("capacity", 20), ("starts_at", "2031-06-01T17:00:00Z"),
                         ("ends_at", "2031-06-01T23:00:00Z")):
        edited = bob.edit(path, {field: value}).json
        assert edited["status"] == "pending", field
        assert edited["decided_by"] is None and edited["decided_at"] is None
        approve(alice, event["id"])
    assert _kinds(alice, pid).count("event_needs_decision") - before["alice"].count("event_needs_decision") == 4
    assert _kinds(carol, pid).count("event_changed") - before["carol"].count("event_changed") == 4
    # bob made the changes: he is told of the approvals, not of his own edits
    assert "event_needs_decision" not in _kinds(bob, pid) and "event_changed" not in _kinds(bob, pid)
    notes = carol.get(f"/projects/{pid}/notifications").json["items"]
    texts = [n["text"] for n in notes if n["kind"] == "event_changed"]
    assert any("venue" in t for t in texts) and any("capacity" in t for t in texts)
    changes, _ = alice.follow(since, types="event")
    assert any({"status", "venue"} <= set(c["fields"]) for c in changes)
    # pending again: no bookings until re-approved
    bob.edit(path, {"venue": "Hall C"})
    dave = make_user("dave")
    alice.add_member(pid, dave)
    assert problem(dave.post(f"/events/{event['id']}/bookings"), 409)["type"] == "event-not-approved"


def test_a_wording_change_keeps_the_approval(alice, bob, booked):
    pid, carol, event, approved = booked
    before = {"alice": _kinds(alice, pid), "carol": _kinds(carol, pid)}
    path = f"/events/{event['id']}"
    edited = bob.edit(path, {"title": "Launch party!", "description": "cake and tea"}).json
    assert edited["status"] == "approved" and edited["decided_by"] == approved["decided_by"]
    assert _kinds(alice, pid) == before["alice"] and _kinds(carol, pid) == before["carol"]
    # an unchanged value is no change either
    assert bob.edit(path, {"venue": "Hall A"}).json["status"] == "approved"
