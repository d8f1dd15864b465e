"""The change feed, docs/http-api.md section 3."""
import urllib.parse

import pytest

from app.extensions import db
from pollfeed import cursor as cursors
from pollfeed.changelog import FeedState

from ..support import problem


def new_task(api, board, title="t"):
    return api.created(f"/projects/{board['pid']}/tasks", {"title": title, "status_id": board["todo"]["id"]})


def test_create_update_delete_with_fields_and_tombstone(alice, board):
    since = alice.feed("now")["next"]
    t = new_task(alice, board)
    alice.edit(f"/tasks/{t['id']}", {"status_id": board["done"]["id"], "position": 3})
    alice.remove(f"/tasks/{t['id']}")
    changes, _ = alice.follow(since)
    assert [(c["op"], c["version"]) for c in changes] == [("create", 1), ("update", 2), ("delete", 3)]
    assert sorted(changes[1]["fields"]) == ["position", "status_id"]
    for c in changes:
        assert c["type"] == "task" and c["id"] == t["id"] and c["project_id"] == board["pid"]
        assert c["at"].endswith("Z") and c["cursor"]


def test_since_omitted_starts_at_the_oldest_retained_change(alice, board):
    changes, _ = alice.follow(None)
    assert [c["type"] for c in changes[:2]] == ["project", "member"]
    assert {c["type"] for c in changes} == {"project", "member", "status", "task"}


def test_since_now_returns_the_head(alice, board):
    page = alice.feed("now")
    assert page["changes"] == [] and page["has_more"] is False
    new_task(alice, board)
    assert len(alice.feed(page["next"])["changes"]) == 1


def test_each_change_cursor_resumes_after_it(alice, board):
    since = alice.feed("now")["next"]
    made = [new_task(alice, board, f"t{i}")["id"] for i in range(3)]
    changes, _ = alice.follow(since)
    rest, _ = alice.follow(changes[0]["cursor"])
    assert [c["id"] for c in rest] == made[1:]


def test_paging_and_has_more(alice, board):
    since = alice.feed("now")["next"]
    made = [new_task(alice, board, f"t{i}")["id"] for i in range(5)]
    first = alice.feed(since, limit=2)
    assert first["has_more"] is True and len(first["changes"]) == 2
    changes, _ = alice.follow(since, limit=2)
    assert [c["id"] for c in changes] == made


@pytest.mark.parametrize("query", ["limit=0", "limit=1001", "limit=abc", "limit=-5", "limit=1.5",
                                   "since=", "since=now&limit=0", "since=garbage", "since=%00",
                                   "types=nope", "include=everything"])
def test_bad_parameters_are_400(alice, query):
    problem(alice.get("/changes?" + query), 400)


def test_a_cursor_beyond_the_head_from_another_epoch_or_with_another_stamp_is_410_cursor_unknown(alice, board):
    head = cursors.parse(alice.feed("now")["next"])
    ahead = problem(alice.get("/changes?since=" + cursors.encode(head.epoch, head.position + 5, head.stamp)), 410)
    assert ahead["type"].endswith("cursor-unknown") and "Re-list" in ahead["detail"]
    foreign = problem(alice.get("/changes?since=" + cursors.encode("deadbeef", 1, head.stamp)), 410)
    assert foreign["type"].endswith("cursor-unknown")
    # the position exists, but its transaction drew another stamp: what a cursor from before a restore is
    for position in (head.position, head.position - 1):
        made_up = cursors.encode(head.epoch, position, head.stamp ^ 1)
        assert problem(alice.get("/changes?since=" + made_up), 410)["type"].endswith("cursor-unknown")
    # the form from before stamps existed: foreign, so its client re-lists once
    old_form = f"{head.epoch}.{cursors.base36(head.position)}"
    assert problem(alice.get("/changes?since=" + old_form), 410)["type"].endswith("cursor-unknown")
    assert alice.get("/changes?since=" + cursors.encode(head.epoch, head.position, head.stamp)).status_code == 200
    assert problem(alice.get("/changes?since=deadbeef"), 400)["type"].endswith("bad-cursor")  # malformed stays 400


def test_rotate_epoch_makes_every_older_cursor_unknown_and_lists_issue_new_ones(app, runner, alice, board):
    pid = board["pid"]
    old = alice.feed("now")["next"]
    listed = alice.get(f"/projects/{pid}/tasks").json["cursor"]
    out = runner.invoke(args=["changes", "rotate-epoch"])
    assert out.exit_code == 0, out.output
    for cursor in (old, listed):
        assert problem(alice.get("/changes?since=" + cursor), 410)["type"].endswith("cursor-unknown")
    relisted = alice.get(f"/projects/{pid}/tasks").json["cursor"]
    assert relisted.split(".")[0] != listed.split(".")[0]
    alice.edit(f"/tasks/{board['task']['id']}", {"title": "after the rotation"})
    changes, _ = alice.follow(relisted, project=pid)
    assert [c["id"] for c in changes] == [board["task"]["id"]]


def test_cursor_is_url_safe_and_opaque(alice, board):
    c = alice.feed("now")["next"]
    assert urllib.parse.quote(c, safe="") == c.replace("~", "%7E") or all(ch.isalnum() or ch in "-_.~" for ch in c)
    assert all(ch.isalnum() or ch in "-_.~" for ch in c)


def test_expired_cursor_is_410_cursor_expired(app, alice, board):
    since = alice.feed(None)["changes"][0]["cursor"]
    with app.app_context():
        state = db.session.get(FeedState, 1)
        state.horizon = state.head  # as if compacted
        db.session.commit()
    body = problem(alice.get("/changes?since=" + since), 410)
    assert body["type"] == "cursor-expired" and "re-list" in body["detail"].lower()


def test_repeated_poll_is_304_until_something_visible_changes(alice, bob, board):
    url = "/changes?since=" + alice.feed("now")["next"]
    first = alice.get(url)
    etag = first.headers["ETag"]
    assert first.headers["Poll-Interval"]
    nm = alice.get(url, headers={"If-None-Match": etag})
    assert nm.status_code == 304 and nm.headers["ETag"] == etag and nm.headers["Poll-Interval"]
    # a change alice cannot see does not wake her
    bob.make_board("bob's")
    assert alice.get(url, headers={"If-None-Match": etag}).status_code == 304
    new_task(alice, board)
    woken = alice.get(url, headers={"If-None-Match": etag})
    assert woken.status_code == 200 and len(woken.json["changes"]) == 1


def test_filters_project_and_types(alice, board):
    other = alice.make_board("other")
    since = alice.feed("now")["next"]
    new_task(alice, board)
    new_task(alice, other)
    alice.created(f"/projects/{board['pid']}/statuses", {"name": "Later"})
    mine, _ = alice.follow(since, project=board["pid"])
    assert {c["project_id"] for c in mine} == {board["pid"]} and len(mine) == 2
    tasks, _ = alice.follow(since, types="task")
    assert [c["type"] for c in tasks] == ["task", "task"]
    both, _ = alice.follow(since, types="task,status", project=board["pid"])
    assert [c["type"] for c in both] == ["task", "status"]


def test_project_filter_on_unreadable_project_is_404(alice, bob, board):
    problem(bob.get(f"/changes?since=now&project={board['pid']}"), 404)
    problem(bob.get("/changes?since=now&project=nope"), 404)


def test_include_resource_embeds_current_or_null(alice, board):
    since = alice.feed("now")["next"]
    t = new_task(alice, board)
    alice.edit(f"/tasks/{t['id']}", {"title": "renamed"})
    gone = new_task(alice, board, "gone")
    alice.remove(f"/tasks/{gone['id']}")
    changes = alice.feed(since, include="resource")["changes"]
    assert changes[0]["resource"]["title"] == "renamed"  # current, not historical
    assert changes[0]["resource"]["version"] == 2
    assert changes[-1]["op"] == "delete" and changes[-1]["resource"] is None
    assert "resource" not in alice.feed(since)["changes"][0]


def test_other_tenants_changes_never_appear(alice, bob, board):
    since = bob.feed("now")["next"]
    new_task(alice, board, "secret")
    changes, _ = bob.follow(since)
    assert changes == []


def test_admin_sees_every_project(alice, admin, board):
    since = admin.feed("now")["next"]
    new_task(alice, board)
    changes, _ = admin.follow(since)
    assert [c["type"] for c in changes] == ["task"]


def test_visibility_follows_membership_over_time(alice, bob, board):
    start = bob.feed("now")["next"]
    new_task(alice, board, "before bob")  # not visible: bob was no member then
    alice.add_member(board["pid"], bob)
    new_task(alice, board, "while member")
    member_path = f"/projects/{board['pid']}/members/{bob.me()['id']}"
    alice.remove(member_path)
    new_task(alice, board, "after removal")
    changes, _ = bob.follow(start)
    assert [(c["type"], c["op"]) for c in changes] == [("member", "create"), ("task", "create"), ("member", "delete")]
    # nor can he follow the project's feed any longer
    problem(bob.get(f"/changes?since={changes[-1]['cursor']}&project={board['pid']}"), 404)


def test_a_deleted_projects_tombstones_reach_its_members(alice, bob, board):
    alice.add_member(board["pid"], bob)
    since = bob.feed("now")["next"]
    alice.remove(f"/projects/{board['pid']}")
    changes, _ = bob.follow(since)
    kinds = [(c["type"], c["op"]) for c in changes]
    assert ("task", "delete") in kinds and ("project", "delete") in kinds
    assert kinds.count(("status", "delete")) == 2 and kinds.count(("member", "delete")) == 2
    assert kinds.index(("task", "delete")) < kinds.index(("status", "delete")) < kinds.index(("project", "delete"))
    # the project-filtered feed also delivers them, from a cursor before the deletion
    filtered, _ = bob.follow(since, project=board["pid"])
    assert len(filtered) == len(changes)


def test_list_then_follow_misses_nothing_and_repeats_nothing(alice, board):
    listing = alice.get(f"/projects/{board['pid']}/tasks").json
    t = new_task(alice, board, "after list")
    changes, _ = alice.follow(listing["cursor"], project=board["pid"])
    assert [c["id"] for c in changes] == [t["id"]]
    changes, _ = alice.follow(listing["cursor"])
    assert [c["id"] for c in changes] == [t["id"]]


def test_next_skips_invisible_changes_without_losing_visible_ones(alice, bob, board):
    since = alice.feed("now")["next"]
    bob.make_board("noise")
    page = alice.feed(since)
    assert page["changes"] == []
    t = new_task(alice, board)
    assert [c["id"] for c in alice.feed(page["next"])["changes"]] == [t["id"]]


@pytest.mark.parametrize("who", ["member", "admin"])
def test_project_feed_for_a_member_and_an_admin(alice, bob, admin, board, who):
    """The project-filtered feed, its 304 and its wake-up, as a member and as an admin (both databases)."""
    caller = alice if who == "member" else admin
    other = bob.make_board("elsewhere")
    since = caller.feed("now", project=board["pid"])["next"]
    url = f"/changes?since={since}&project={board['pid']}"
    first = caller.get(url)
    assert first.status_code == 200 and first.json["changes"] == []
    assert caller.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    new_task(bob, other)  # elsewhere: the filtered feed stays 304
    assert caller.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    t = new_task(alice, board)
    woken = caller.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert woken.status_code == 200 and [c["id"] for c in woken.json["changes"]] == [t["id"]]
    changes, _ = caller.follow(None, project=board["pid"])
    assert {c["project_id"] for c in changes} == {board["pid"]} and changes[0]["type"] == "project"


@pytest.mark.parametrize("who", ["alice", "admin"])
def test_a_private_scope_key_is_no_project(alice, bob, admin, board, who):
    """`project=` takes project ids only: a private watermark key is 404 to everyone, an admin included."""
    alice.add_member(board["pid"], bob)
    alice.edit(f"/tasks/{board['task']['id']}", {"assignee_id": bob.me()["id"]})  # bob gets a notification
    caller = {"alice": alice, "admin": admin}[who]
    for key in (f"{board['pid']}/{bob.me()['id']}", f"{board['pid']}/{caller.me()['id']}", f"{board['pid']}/"):
        for since in ("now", None):
            query = urllib.parse.urlencode({"project": key, **({"since": since} if since else {})})
            problem(caller.get("/changes?" + query), 404)
    # bob's own notification reaches him through the project's id
    mine, _ = bob.follow(None, project=board["pid"])
    assert "notification" in {c["type"] for c in mine}


def test_a_change_is_serialised_once_and_never_for_a_different_row(alice, board, monkeypatch):
    from pollfeed import feed

    since = alice.feed("now")["next"]
    made = [new_task(alice, board, f"t{i}")["id"] for i in range(3)]
    built = []
    change = feed._change
    monkeypatch.setattr(feed, "_change",
                        lambda epoch, row, field: built.append(row.position) or change(epoch, row, field))
    first = alice.feed(since)
    assert [c["id"] for c in first["changes"]] == made and len(built) == 3
    again = alice.feed(since)
    assert again == first and len(built) == 3  # the second poll serialised nothing
    # with include=resource the page is built per request (each change joins a current row)
    assert [c["resource"]["id"] for c in alice.feed(since, include="resource")["changes"]] == made
    # the key is the whole row: the same position with any other column is another entry
    process = lambda raw: raw  # noqa: E731 (raw rows already in Python types here)
    memo = {}  # an app's (AppState.serialised)
    row = feed.ChangeRow(position=7, type="task", resource_id="r1", scope_id="p1", op="update", version=2,
                         fields=["title"], at=__import__("datetime").datetime(2026, 1, 1), stamp=5)
    one = feed._serialised(memo, "e1", tuple(row), process, "project_id")
    other = feed._serialised(memo, "e1", tuple(row._replace(version=3)), process, "project_id")
    assert '"version":2' in one and '"version":3' in other
    # and the scope's wire name is part of the key: another app's `team_id` is another entry
    assert '"team_id":"p1"' in feed._serialised(memo, "e1", tuple(row), process, "team_id")
    changed = {"position": 8, "type": "status", "resource_id": "r2", "scope_id": "p2", "op": "delete",
               "version": 4, "fields": ["notes"], "at": row.at.replace(year=2027), "stamp": 6}
    assert set(changed) == set(feed.PAGE_COLUMNS)  # every column a page shows is part of the key
    for name, value in changed.items():
        assert feed._serialised(memo, "e1", tuple(row._replace(**{name: value})), process, "project_id") != one, name
    assert feed._serialised(memo, "e2", tuple(row), process, "project_id") != one  # another epoch: another cursor


@pytest.mark.parametrize("project", [False, True])
def test_a_members_page_reads_the_log_state_and_the_page_in_two_statements(alice, bob, board, project, statements):
    """Bounds, watermark, access periods and the project check are one statement; the page is the other
    (on PostgreSQL each statement is a round trip). The answer is the one the separate reads gave."""
    alice.add_member(board["pid"], bob)
    since = bob.feed("now")["next"]
    t = new_task(alice, board)
    path = f"/changes?since={since}" + (f"&project={board['pid']}" if project else "")
    statements.clear()
    r = bob.get(path, environ_overrides={"pollfeed.poll_path": False})
    assert r.status_code == 200 and [c["id"] for c in r.json["changes"]] == [t["id"]]
    feed_reads = [s for s in statements if "feed_state" in s or "feed_access" in s or "FROM changes" in s]
    assert len(feed_reads) == 2, feed_reads
    assert "feed_access AS period" in feed_reads[0] and "FROM changes" in feed_reads[1]
