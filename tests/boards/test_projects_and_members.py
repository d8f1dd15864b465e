"""Projects and members: CRUD, roles, the last owner, list ETags."""
from ..support import problem


def test_create_project_makes_the_creator_owner(alice):
    r = alice.post("/projects", {"name": "Launch", "description": "Q3"})
    assert r.status_code == 201
    project = r.json
    assert r.headers["Location"] == f"/projects/{project['id']}"
    assert r.headers["ETag"].startswith('"v1-') and project["version"] == 1
    members = alice.get(f"/projects/{project['id']}/members").json["items"]
    assert [(m["user_id"], m["role"]) for m in members] == [(alice.me()["id"], "owner")]


def test_project_validation(alice):
    for body, field in [({"name": ""}, "name"), ({"name": "x" * 201}, "name"), ({}, "name"),
                        ({"name": 5}, "name"), ({"name": "ok", "bogus": 1}, "bogus"),
                        ({"name": "ok", "version": 7}, "version"), ({"name": "ok", "id": "mine"}, "id")]:
        assert field in problem(alice.post("/projects", body), 422)["errors"], body


def test_only_owner_or_admin_may_patch_or_delete(alice, bob, admin, board):
    alice.add_member(board["pid"], bob)
    path = f"/projects/{board['pid']}"
    etag = bob.get(path).headers["ETag"]
    problem(bob.patch(path, {"name": "mine"}, headers={"If-Match": etag}), 403)
    problem(bob.delete(path, headers={"If-Match": etag}), 403)
    assert admin.edit(path, {"name": "by admin"}).json["name"] == "by admin"
    alice.remove(path)
    problem(alice.get(path), 404)


def test_project_list_shows_only_readable_projects(alice, bob, admin, board):
    bobs = bob.make_board("bob's")
    assert [p["id"] for p in alice.get("/projects").json["items"]] == [board["pid"]]
    assert {p["id"] for p in admin.get("/projects").json["items"]} == {board["pid"], bobs["pid"]}


def test_project_list_etag_moves_with_membership_not_with_strangers(alice, bob, board):
    r = alice.get("/projects")
    etag = r.headers["ETag"]
    assert alice.get("/projects", headers={"If-None-Match": etag}).status_code == 304
    bobs = bob.make_board("bob's")
    assert alice.get("/projects", headers={"If-None-Match": etag}).status_code == 304
    bob.add_member(bobs["pid"], alice)
    r2 = alice.get("/projects", headers={"If-None-Match": etag})
    assert r2.status_code == 200 and len(r2.json["items"]) == 2


def test_members_put_creates_then_updates(alice, bob, board):
    path = f"/projects/{board['pid']}/members/{bob.me()['id']}"
    r = alice.put(path, {"role": "member"})
    assert r.status_code == 201 and r.headers["Location"] == path and r.json["role"] == "member"
    problem(alice.put(path, {"role": "owner"}), 428)  # updating needs If-Match
    problem(alice.put(path, {"role": "owner"}, headers={"If-None-Match": "*"}), 412)  # create-only
    r = alice.put(path, {"role": "owner"}, headers={"If-Match": r.headers["ETag"]})
    assert r.status_code == 200 and r.json["role"] == "owner" and r.json["version"] == 2
    problem(alice.put(path, {"role": "king"}, headers={"If-Match": "*"}), 422)


def test_put_that_creates_with_if_match_is_412(alice, bob, board):
    problem(alice.put(f"/projects/{board['pid']}/members/{bob.me()['id']}", {"role": "member"},
                      headers={"If-Match": '"v1"'}), 412)


def test_member_changes_need_owner_and_known_user(alice, bob, make_user, board):
    carol = make_user("carol")
    alice.add_member(board["pid"], bob)
    problem(bob.put(f"/projects/{board['pid']}/members/{carol.me()['id']}", {"role": "member"}), 403)
    problem(alice.put(f"/projects/{board['pid']}/members/nobody", {"role": "member"}), 404)
    problem(carol.put(f"/projects/{board['pid']}/members/{carol.me()['id']}", {"role": "owner"}), 404)


def test_last_owner_cannot_leave_or_be_demoted(alice, bob, board):
    mine = f"/projects/{board['pid']}/members/{alice.me()['id']}"
    problem(alice.delete(mine, headers={"If-Match": "*"}), 409)
    problem(alice.put(mine, {"role": "member"}, headers={"If-Match": "*"}), 409)
    alice.add_member(board["pid"], bob, role="owner")
    assert alice.put(mine, {"role": "member"}, headers={"If-Match": "*"}).status_code == 200
    problem(bob.delete(f"/projects/{board['pid']}/members/{bob.me()['id']}", headers={"If-Match": "*"}), 409)


def test_removed_member_loses_access(alice, bob, board):
    alice.add_member(board["pid"], bob)
    assert bob.get(f"/tasks/{board['task']['id']}").status_code == 200
    alice.remove(f"/projects/{board['pid']}/members/{bob.me()['id']}")
    problem(bob.get(f"/tasks/{board['task']['id']}"), 404)
    assert bob.get("/projects").json["items"] == []
