"""Threads and messages: posting a message is a change and moves the thread."""
from ..support import problem


def test_posting_a_message_is_a_change_and_moves_the_thread(alice, bob, board):
    pid = board["pid"]
    alice.add_member(pid, bob)
    thread = alice.created(f"/projects/{pid}/threads", {"subject": "Launch"})
    since = bob.feed("now")["next"]
    message = bob.created(f"/threads/{thread['id']}/messages", {"body": "Ready when you are"})
    changes, _ = bob.follow(since)
    kinds = [(c["type"], c["op"]) for c in changes]
    assert ("message", "create") in kinds and ("thread", "update") in kinds
    assert all(c["type"] != "notification" for c in changes)  # alice's notification is hers alone
    shown = bob.get(f"/threads/{thread['id']}").json
    assert shown["message_count"] == 1 and shown["last_message_at"] and shown["version"] == 2
    assert [m["id"] for m in alice.get(f"/threads/{thread['id']}/messages").json["items"]] == [message["id"]]
    # editing is the author's alone; deleting also the owner's
    problem(alice.patch(f"/messages/{message['id']}", {"body": "x"}, headers={"If-Match": '"v1"'}), 403)
    bob.edit(f"/messages/{message['id']}", {"body": "Ready!"})
    alice.remove(f"/messages/{message['id']}")
    assert bob.get(f"/threads/{thread['id']}").json["message_count"] == 0
    problem(bob.post(f"/threads/{thread['id']}/messages", {"body": ""}), 422)
    problem(bob.post(f"/threads/{thread['id']}/messages", {"body": "hi", "author_id": "me"}), 422)
