"""Idempotency-Key on POST: a retry returns the first response and creates nothing new."""
import pytest

from ..support import problem


def tasks_titled(api, pid, title):
    return [t for t in api.get(f"/projects/{pid}/tasks?limit=1000").json["items"] if t["title"] == title]


def test_a_retried_create_returns_the_first_response_and_creates_nothing(alice, board):
    pid, todo = board["pid"], board["todo"]["id"]
    body = {"title": "Once only", "status_id": todo}
    first = alice.post(f"/projects/{pid}/tasks", body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    since = alice.feed("now")["next"]
    again = alice.post(f"/projects/{pid}/tasks", body, headers={"Idempotency-Key": "k-1"})
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_data() == first.get_data()
    for name in ("ETag", "Location", "Content-Type", "Poll-Interval", "Cache-Control"):
        assert again.headers[name] == first.headers[name], name
    assert len(tasks_titled(alice, pid, "Once only")) == 1
    assert alice.feed(since)["changes"] == []  # the replay wrote nothing


def test_the_same_key_with_another_body_is_422_and_other_keys_or_users_are_independent(alice, bob, board):
    pid, todo = board["pid"], board["todo"]["id"]
    alice.add_member(pid, bob)
    assert alice.post(f"/projects/{pid}/tasks", {"title": "A", "status_id": todo},
                      headers={"Idempotency-Key": "k"}).status_code == 201
    reused = problem(alice.post(f"/projects/{pid}/tasks", {"title": "B", "status_id": todo},
                                headers={"Idempotency-Key": "k"}), 422)
    assert reused["type"].endswith("idempotency-key-reused")
    # another user's same key is another key
    assert bob.post(f"/projects/{pid}/tasks", {"title": "A", "status_id": todo},
                    headers={"Idempotency-Key": "k"}).status_code == 201
    assert len(tasks_titled(alice, pid, "A")) == 2 and not tasks_titled(alice, pid, "B")


@pytest.mark.parametrize("key", ["", "x" * 256, "with space", "tab\tkey", "é"])
def test_a_malformed_key_is_400(alice, board, key):
    r = alice.post(f"/projects/{board['pid']}/tasks", {"title": "x", "status_id": board["todo"]["id"]},
                   headers={"Idempotency-Key": key})
    assert problem(r, 400)["type"].endswith("bad-idempotency-key")
    assert not tasks_titled(alice, board["pid"], "x")


def test_an_error_is_not_stored_so_a_corrected_retry_runs(alice, board):
    pid = board["pid"]
    problem(alice.post(f"/projects/{pid}/tasks", {"title": "late", "status_id": "nope"},
                       headers={"Idempotency-Key": "k-err"}), 422)
    ok = alice.post(f"/projects/{pid}/tasks", {"title": "late", "status_id": "nope"},
                    headers={"Idempotency-Key": "k-err"})
    assert ok.status_code == 422 and "Idempotent-Replayed" not in ok.headers  # ran again, not replayed


def test_an_expired_key_runs_again(app, alice, board, runner):
    pid, todo = board["pid"], board["todo"]["id"]
    body = {"title": "Daily", "status_id": todo}
    assert alice.post(f"/projects/{pid}/tasks", body, headers={"Idempotency-Key": "day"}).status_code == 201
    app.config["POLLFEED_IDEMPOTENCY_TTL"] = app.config["POLLFEED_IDEMPOTENCY_TTL"] * 0
    again = alice.post(f"/projects/{pid}/tasks", body, headers={"Idempotency-Key": "day"})
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert len(tasks_titled(alice, pid, "Daily")) == 2
    out = runner.invoke(args=["changes", "compact"])
    assert "dropped 1 idempotency key(s)" in out.output


def test_every_post_route_takes_a_key(alice, bob, board, world):
    """Not only creates: a booking, a decision, a mark-all-read, each replayed on retry."""
    from ..support import event_body

    pid = board["pid"]
    event = bob.created(f"/projects/{pid}/events", event_body(title="Keyed"))
    etag = alice.get(f"/events/{event['id']}").headers["ETag"]
    for _ in range(2):
        r = alice.post(f"/events/{event['id']}/decision", {"decision": "approved"},
                       headers={"If-Match": etag, "Idempotency-Key": "decide"})
        assert r.status_code == 200, r.get_data(as_text=True)  # the retry's stale If-Match is not re-checked
    for _ in range(2):
        assert bob.post(f"/events/{event['id']}/bookings", None, headers={"Idempotency-Key": "seat"}).status_code == 201
    assert alice.get(f"/events/{event['id']}").json["booked"] == 1


def test_a_retried_patch_gets_its_first_answer_not_a_412(alice, bob, board):
    """An update that committed but lost its answer: its retry (same key, same If-Match) is told what
    happened, its new tag included. Without the key the retry is 412 against the caller's own write."""
    pid, todo = board["pid"], board["todo"]["id"]
    alice.add_member(pid, bob)
    task = alice.created(f"/projects/{pid}/tasks", {"title": "draft", "status_id": todo})
    path, tag = f"/tasks/{task['id']}", alice.get(f"/tasks/{task['id']}").headers["ETag"]
    first = alice.patch(path, {"title": "final"}, headers={"If-Match": tag, "Idempotency-Key": "edit-1"})
    assert first.status_code == 200 and "Idempotent-Replayed" not in first.headers
    since = alice.feed("now")["next"]
    again = alice.patch(path, {"title": "final"}, headers={"If-Match": tag, "Idempotency-Key": "edit-1"})
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["ETag"] == first.headers["ETag"] and again.get_data() == first.get_data()
    assert alice.feed(since)["changes"] == []  # the replay wrote nothing
    # the control: the same retry without its key is refused, the write being newer than its tag
    assert problem(alice.patch(path, {"title": "final"}, headers={"If-Match": tag}), 412)
    # a key replays only its own write: someone else's newer edit is never overwritten by a new one
    current = alice.get(path).headers["ETag"]
    assert bob.patch(path, {"title": "bob's"}, headers={"If-Match": current}).status_code == 200
    late = alice.patch(path, {"title": "alice's"}, headers={"If-Match": current, "Idempotency-Key": "edit-2"})
    assert problem(late, 412)
    assert alice.get(path).json["title"] == "bob's"
    # the same key for another body is a reuse, not a replay
    reused = alice.patch(path, {"title": "other"}, headers={"If-Match": tag, "Idempotency-Key": "edit-1"})
    assert problem(reused, 422)["type"].endswith("idempotency-key-reused")


def test_a_retried_delete_gets_its_first_answer(alice, board):
    pid, todo = board["pid"], board["todo"]["id"]
    task = alice.created(f"/projects/{pid}/tasks", {"title": "doomed", "status_id": todo})
    path, tag = f"/tasks/{task['id']}", alice.get(f"/tasks/{task['id']}").headers["ETag"]
    first = alice.delete(path, headers={"If-Match": tag, "Idempotency-Key": "rm-1"})
    assert first.status_code == 204
    again = alice.delete(path, headers={"If-Match": tag, "Idempotency-Key": "rm-1"})
    assert again.status_code == 204 and again.headers["Idempotent-Replayed"] == "true"
    assert alice.delete(path, headers={"If-Match": tag}).status_code == 404  # without the key: it is gone


def test_a_retried_put_gets_its_first_answer(alice, bob, board):
    """PUT creates a membership or changes it: a retry of either, with its key, is its first answer."""
    pid = board["pid"]
    path = f"/projects/{pid}/members/{bob.me()['id']}"
    first = alice.put(path, {"role": "member"}, headers={"Idempotency-Key": "join-1"})
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    since = alice.feed("now")["next"]
    again = alice.put(path, {"role": "member"}, headers={"Idempotency-Key": "join-1"})
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_data() == first.get_data() and again.headers["ETag"] == first.headers["ETag"]
    tag = first.headers["ETag"]
    changed = alice.put(path, {"role": "owner"}, headers={"If-Match": tag, "Idempotency-Key": "promote-1"})
    assert changed.status_code == 200
    replayed = alice.put(path, {"role": "owner"}, headers={"If-Match": tag, "Idempotency-Key": "promote-1"})
    assert replayed.status_code == 200 and replayed.headers["Idempotent-Replayed"] == "true"
    assert [c["op"] for c in alice.feed(since)["changes"] if c["type"] == "member"] == ["update"]  # one write
    # without its key, the same retry is refused: the membership is newer than its tag
    assert problem(alice.put(path, {"role": "owner"}, headers={"If-Match": tag}), 412)
