"""Statuses and tasks: validation, moves, filters, list ETags and paging."""
import pytest

from ..support import problem


def tasks_path(board):
    return f"/projects/{board['pid']}/tasks"


def test_task_fields_and_defaults(alice, board):
    t = board["task"]
    assert {"id", "version", "created_at", "updated_at", "project_id", "title", "status_id", "description",
            "position", "assignee_id", "points"} <= set(t)
    assert t["project_id"] == board["pid"] and t["position"] == 0


@pytest.mark.parametrize("body,field", [
    ({"title": "", "status_id": "S"}, "title"),
    ({"title": "x" * 201, "status_id": "S"}, "title"),
    ({"status_id": "S"}, "title"),
    ({"title": "t"}, "status_id"),
    ({"title": "t", "status_id": "S", "points": 1000001}, "points"),
    ({"title": "t", "status_id": "S", "points": -1}, "points"),
    ({"title": "t", "status_id": "S", "points": 2.6e-42}, "points"),
    ({"title": "t", "status_id": "S", "points": 1.0}, "points"),
    ({"title": "t", "status_id": "S", "points": "3"}, "points"),
    ({"title": "t", "status_id": "S", "points": True}, "points"),
    ({"title": "t", "status_id": "S", "position": -1}, "position"),
    ({"title": "t", "status_id": "S", "colour": "red"}, "colour"),
    ({"title": ["t"], "status_id": "S"}, "title"),
])
def test_task_validation_is_422_per_field(alice, board, body, field):
    body = {k: (board["todo"]["id"] if v == "S" else v) for k, v in body.items()}
    assert field in problem(alice.post(tasks_path(board), body), 422)["errors"]


def test_status_must_belong_to_the_project_and_assignee_be_a_member(alice, bob, board):
    other = alice.make_board("other")
    errors = problem(alice.post(tasks_path(board), {"title": "t", "status_id": other["todo"]["id"]}), 422)["errors"]
    assert "status_id" in errors
    body = {"title": "t", "status_id": board["todo"]["id"], "assignee_id": bob.me()["id"]}
    assert "assignee_id" in problem(alice.post(tasks_path(board), body), 422)["errors"]
    alice.add_member(board["pid"], bob)
    assert alice.post(tasks_path(board), body).status_code == 201
    path = f"/tasks/{board['task']['id']}"
    assert "status_id" in problem(alice.patch(path, {"status_id": other["done"]["id"]},
                                              headers={"If-Match": "*"}), 422)["errors"]


def test_move_is_a_patch_of_status_and_position(alice, board):
    path = f"/tasks/{board['task']['id']}"
    moved = alice.edit(path, {"status_id": board["done"]["id"], "position": 4}).json
    assert moved["status_id"] == board["done"]["id"] and moved["position"] == 4 and moved["version"] == 2


def test_filters_status_and_text_search(alice, board):
    alice.created(tasks_path(board), {"title": "Write docs", "status_id": board["done"]["id"]})
    alice.created(tasks_path(board), {"title": "Other", "description": "about the DOCS 100%",
                                      "status_id": board["todo"]["id"]})
    done = alice.get(f"{tasks_path(board)}?status_id={board['done']['id']}").json["items"]
    assert [t["title"] for t in done] == ["Write docs"]
    found = alice.get(f"{tasks_path(board)}?q=docs").json["items"]
    assert sorted(t["title"] for t in found) == ["Other", "Write docs"]
    assert [t["title"] for t in alice.get(f"{tasks_path(board)}?q=100%25").json["items"]] == ["Other"]
    assert alice.get(f"{tasks_path(board)}?q=1_0").json["items"] == []


def test_list_paging_with_after_and_next(alice, board):
    for i in range(4):
        alice.created(tasks_path(board), {"title": f"t{i}", "status_id": board["todo"]["id"]})
    seen, url = [], f"{tasks_path(board)}?limit=2"
    while url:
        page = alice.get(url).json
        assert len(page["items"]) <= 2 and page["cursor"]
        seen += [t["id"] for t in page["items"]]
        url = page["next"]
    assert len(seen) == 5 and len(set(seen)) == 5
    for bad in ("0", "1001", "x"):
        problem(alice.get(f"{tasks_path(board)}?limit={bad}"), 400)


def test_list_etag_changes_on_member_changes_and_not_elsewhere(alice, board):
    path = tasks_path(board)
    r = alice.get(path)
    etag = r.headers["ETag"]
    assert not etag.startswith("W/")
    assert alice.get(path, headers={"If-None-Match": etag}).status_code == 304
    other = alice.make_board("elsewhere")
    alice.created(f"/projects/{other['pid']}/tasks", {"title": "x", "status_id": other["todo"]["id"]})
    assert alice.get(path, headers={"If-None-Match": etag}).status_code == 304
    alice.edit(f"/tasks/{board['task']['id']}", {"position": 2})
    r2 = alice.get(path, headers={"If-None-Match": etag})
    assert r2.status_code == 200 and r2.headers["ETag"] != etag and r2.json["cursor"] != r.json["cursor"]
    # the strong tag names one body: same tag, same cursor
    assert alice.get(path).json == r2.json


def test_statuses_crud_and_409_while_holding_tasks(alice, board):
    statuses = alice.get(f"/projects/{board['pid']}/statuses").json["items"]
    assert [s["name"] for s in statuses] == ["Todo", "Done"]
    problem(alice.post(f"/projects/{board['pid']}/statuses", {"name": "x", "position": -1}), 422)
    s = alice.created(f"/projects/{board['pid']}/statuses", {"name": "Review", "position": 2})
    assert alice.edit(f"/statuses/{s['id']}", {"name": "In review"}).json["version"] == 2
    problem(alice.delete(f"/statuses/{board['todo']['id']}", headers={"If-Match": "*"}), 409)
    alice.remove(f"/statuses/{s['id']}")
    problem(alice.get(f"/statuses/{s['id']}"), 404)


def test_members_may_edit_tasks_non_members_may_not(alice, bob, make_user, board):
    carol = make_user("carol")
    alice.add_member(board["pid"], bob)
    assert bob.edit(f"/tasks/{board['task']['id']}", {"title": "by bob"}).status_code == 200
    problem(carol.post(tasks_path(board), {"title": "t", "status_id": board["todo"]["id"]}), 404)
    problem(carol.post(f"/projects/{board['pid']}/statuses", {"name": "x"}), 404)
    problem(carol.get(f"/projects/{board['pid']}/statuses"), 404)
    problem(carol.get(f"/statuses/{board['todo']['id']}"), 404)


def test_empty_patch_is_a_no_op(alice, board):
    r = alice.edit(f"/tasks/{board['task']['id']}", {})
    assert r.json["version"] == 1
