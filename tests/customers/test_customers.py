"""Customers and their search: the search's ETag moves only when its result does."""
from ..support import problem


def add(api, pid, first, last, email=None, phone=None):
    return api.created(f"/projects/{pid}/customers",
                       {"first_name": first, "last_name": last, "email": email, "phone": phone})


def test_search_matches_names_full_name_email_and_phone(alice, board):
    pid = board["pid"]
    ada = add(alice, pid, "Ada", "Lovelace", "ada@engine.org", "+44 20 7946 0018")
    grace = add(alice, pid, "Grace", "Hopper", "grace@navy.mil", "555-0100")
    add(alice, pid, "Alan", "Turing", "alan@bletchley.uk")

    def found(q):
        r = alice.get(f"/projects/{pid}/customers?q={q}")
        assert r.status_code == 200, r.get_data(as_text=True)
        return [c["id"] for c in r.json["items"]]

    assert found("lovelace") == [ada["id"]]
    assert found("ADA%20LOVE") == [ada["id"]]  # full name, any case
    assert found("navy") == [grace["id"]]
    assert found("0100") == [grace["id"]]
    assert sorted(found("a")) == sorted(c["id"] for c in alice.get(f"/projects/{pid}/customers").json["items"])
    assert found("%25") == [] and found("_") == []  # LIKE wildcards are literal
    problem(alice.get(f"/projects/{pid}/customers?q="), 400)


def test_search_etag_moves_only_for_customers_that_match_or_used_to(alice, bob, board):
    pid = board["pid"]
    alice.add_member(pid, bob)
    ada = add(alice, pid, "Ada", "Lovelace", "ada@engine.org")
    other = add(alice, pid, "Alan", "Turing")
    url = f"/projects/{pid}/customers?q=lovelace"
    r = bob.get(url)
    etag = r.headers["ETag"]
    assert [c["id"] for c in r.json["items"]] == [ada["id"]]
    # a non-matching customer changes, a task moves: the search is 304
    alice.edit(f"/customers/{other['id']}", {"notes": "codebreaker"})
    alice.created(f"/projects/{pid}/tasks", {"title": "x", "status_id": board["todo"]["id"]})
    assert bob.get(url, headers={"If-None-Match": etag}).status_code == 304
    # the unfiltered list does move (it is tagged by the project's watermark)
    # a matching customer changes: 200 with the change
    alice.edit(f"/customers/{ada['id']}", {"phone": "+44 1234"})
    r = bob.get(url, headers={"If-None-Match": etag})
    assert r.status_code == 200 and r.json["items"][0]["phone"] == "+44 1234"
    etag = r.headers["ETag"]
    # a customer starts matching: 200
    alice.edit(f"/customers/{other['id']}", {"last_name": "Lovelace-Turing"})
    r = bob.get(url, headers={"If-None-Match": etag})
    assert r.status_code == 200 and len(r.json["items"]) == 2
    etag = r.headers["ETag"]
    # a customer that used to match stops matching: 200
    alice.edit(f"/customers/{other['id']}", {"last_name": "Turing"})
    r = bob.get(url, headers={"If-None-Match": etag})
    assert r.status_code == 200 and [c["id"] for c in r.json["items"]] == [ada["id"]]
    etag = r.headers["ETag"]
    # a matching customer is deleted: 200, empty
    alice.remove(f"/customers/{ada['id']}")
    r = bob.get(url, headers={"If-None-Match": etag})
    assert r.status_code == 200 and r.json["items"] == []


def test_customer_validation_and_feed(alice, board):
    pid = board["pid"]
    url = f"/projects/{pid}/customers"
    for bad in ({"first_name": "", "last_name": "x"}, {"first_name": "x"}, {"first_name": "x", "last_name": "y",
                "email": "not-an-email"}, {"first_name": "x", "last_name": "y", "phone": "call me"},
                {"first_name": "x", "last_name": "y", "id": "mine"}):
        problem(alice.post(url, bad), 422)
    since = alice.feed("now")["next"]
    c = add(alice, pid, "Ada", "Lovelace")
    alice.edit(f"/customers/{c['id']}", {"email": "ada@engine.org"})
    problem(alice.patch(f"/customers/{c['id']}", {"email": "x@example.com"}), 428)
    problem(alice.patch(f"/customers/{c['id']}", {"email": "x@example.com"}, headers={"If-Match": '"v1"'}), 412)
    changes, _ = alice.follow(since)
    assert [(ch["type"], ch["op"], ch["fields"]) for ch in changes] == [
        ("customer", "create", changes[0]["fields"]), ("customer", "update", ["email"])]
