"""A project with an owner (alice), a member (bob), an outsider (carol), an admin, and one of everything."""
import pytest

FUTURE = {"starts_at": "2031-06-01T18:00:00Z", "ends_at": "2031-06-01T22:00:00Z"}


def event_body(**kw):
    return {"title": "Launch party", "description": "cake", "venue": "Hall A", "capacity": 10, **FUTURE, **kw}


def approve(api, event_id, decision="approved", reason=None):
    etag = api.get(f"/events/{event_id}").headers["ETag"]
    body = {"decision": decision} if reason is None else {"decision": decision, "reason": reason}
    r = api.post(f"/events/{event_id}/decision", body, headers={"If-Match": etag})
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.json


@pytest.fixture
def carol(make_user):
    return make_user("carol")


@pytest.fixture
def world(alice, bob, board):
    """alice owns the board; bob is a member with an approved event, a booking, a thread and a notification."""
    pid = board["pid"]
    alice.add_member(pid, bob)
    event = bob.created(f"/projects/{pid}/events", event_body())
    approve(alice, event["id"])
    booking = bob.created(f"/events/{event['id']}/bookings", None)
    thread = bob.created(f"/projects/{pid}/threads", {"subject": "Catering"})
    message = bob.created(f"/threads/{thread['id']}/messages", {"body": "Pizza?"})
    customer = alice.created(f"/projects/{pid}/customers",
                             {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com",
                              "phone": "+44 20 7946 0018"})
    pending = bob.created(f"/projects/{pid}/events", event_body(title="Pending"))
    open_event = bob.created(f"/projects/{pid}/events", event_body(title="Open"))
    approve(alice, open_event["id"])
    notes = bob.get(f"/projects/{pid}/notifications").json["items"]
    assert notes, "bob's approval notified him"
    return {**board, "event": event, "pending": pending, "open": open_event, "booking": booking,
            "thread": thread, "message": message, "customer": customer, "notification": notes[0],
            "bob_id": bob.me()["id"], "alice_id": alice.me()["id"]}


@pytest.fixture
def callers(alice, bob, carol, anonymous, admin):
    """owner, member, outsider (carol, with a project of her own), anonymous and admin."""
    carol.make_board("carol's own")
    return dict(zip(("owner", "member", "outsider", "anonymous", "admin"), (alice, bob, carol, anonymous, admin),
                    strict=True))
