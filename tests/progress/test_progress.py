"""Derived progress and summaries: exact, versioned, in the feed in the same commit as their inputs."""
import random
from datetime import date, datetime, timedelta

from sqlalchemy import select

from app.boards.models import Task
from app.extensions import db
from app.progress.derive import streak
from app.progress.models import Summary
from pollfeed.changelog import Change

from ..support import problem


def done_board(alice, bob, board):
    """board with `done` marked as a done status and bob a member."""
    alice.add_member(board["pid"], bob)
    alice.edit(f"/statuses/{board['done']['id']}", {"done": True})
    return board


def test_completing_a_task_awards_points_and_moving_it_out_takes_them_back(alice, bob, board):
    pid = done_board(alice, bob, board)["pid"]
    bob_id = bob.me()["id"]
    task = alice.created(f"/projects/{pid}/tasks", {"title": "Ship", "status_id": board["todo"]["id"],
                                                    "assignee_id": bob_id, "points": 30})
    progress_url, summary_url = f"/projects/{pid}/progress/{bob_id}", f"/projects/{pid}/summary"
    before = bob.get(progress_url)
    assert before.json["points"] == 0 and before.json["completed_tasks"] == 0
    summary_before = bob.get(summary_url)
    since = bob.feed("now")["next"]
    bob.edit(f"/tasks/{task['id']}", {"status_id": board["done"]["id"]})
    for url, old in ((progress_url, before), (summary_url, summary_before)):
        assert bob.get(url, headers={"If-None-Match": old.headers["ETag"]}).status_code == 200
    now = bob.get(progress_url).json
    assert now["points"] == 30 and now["completed_tasks"] == 1 and now["streak_days"] == 1
    assert now["last_completed_on"] == datetime.utcnow().date().isoformat()
    summary = bob.get(summary_url).json
    assert summary["tasks_total"] == 2 and summary["tasks_done"] == 1 and summary["completion"] == 50.0
    assert summary["by_status"] == {board["todo"]["id"]: 1, board["done"]["id"]: 1}
    # all three changes in the feed, from one commit (one `at`)
    changes, _ = bob.follow(since, types="task,progress,summary")
    by_type = {c["type"]: c for c in changes}
    assert set(by_type) == {"task", "progress", "summary"}
    assert [c["type"] for c in bob.follow(since)[0]] == ["task"]  # bookkeeping only when named
    assert len({c["at"] for c in changes}) == 1
    assert by_type["progress"]["fields"] and "points" in by_type["progress"]["fields"]
    # moving it out takes the points back
    bob.edit(f"/tasks/{task['id']}", {"status_id": board["todo"]["id"]})
    assert bob.get(progress_url).json["points"] == 0
    assert bob.get(f"/tasks/{task['id']}").json["completed_at"] is None
    assert bob.get(summary_url).json["completion"] == 0.0


def test_an_edit_that_changes_no_input_leaves_derived_versions_alone(alice, bob, board):
    pid = done_board(alice, bob, board)["pid"]
    summary = alice.get(f"/projects/{pid}/summary")
    progress = alice.get(f"/projects/{pid}/progress")
    alice.edit(f"/tasks/{board['task']['id']}", {"title": "renamed", "position": 4})
    assert alice.get(f"/projects/{pid}/summary", headers={"If-None-Match": summary.headers["ETag"]}).status_code == 304
    assert alice.get(f"/projects/{pid}/progress").json["items"] == progress.json["items"]


def test_marking_a_status_done_completes_its_tasks(alice, bob, board):
    pid = board["pid"]
    alice.add_member(pid, bob)
    alice.created(f"/projects/{pid}/tasks", {"title": "a", "status_id": board["done"]["id"],
                                             "assignee_id": bob.me()["id"], "points": 5})
    assert alice.get(f"/projects/{pid}/progress/{bob.me()['id']}").json["points"] == 0
    alice.edit(f"/statuses/{board['done']['id']}", {"done": True})
    assert alice.get(f"/projects/{pid}/progress/{bob.me()['id']}").json["points"] == 5
    assert all(t["completed_at"] for t in alice.get(f"/projects/{pid}/tasks?status_id={board['done']['id']}")
               .json["items"])
    alice.edit(f"/statuses/{board['done']['id']}", {"done": False})
    assert alice.get(f"/projects/{pid}/progress/{bob.me()['id']}").json["points"] == 0


def test_derived_resources_are_read_only(alice, board):
    pid = board["pid"]
    problem(alice.patch(f"/projects/{pid}/summary", {"tasks_total": 9}, headers={"If-Match": "*"}), 405)
    problem(alice.delete(f"/projects/{pid}/progress/{alice.me()['id']}", headers={"If-Match": "*"}), 405)


def test_streak_counts_consecutive_days_ending_at_the_last_completion():
    d = date(2026, 11, 21)
    assert streak(set()) == 0
    assert streak({d}) == 1
    assert streak({d, d - timedelta(days=1), d - timedelta(days=2)}) == 3
    assert streak({d, d - timedelta(days=2), d - timedelta(days=3)}) == 1
    assert streak({d - timedelta(days=5), d - timedelta(days=6)}) == 2


def test_streak_from_completion_days(app, alice, bob, board):
    pid = done_board(alice, bob, board)["pid"]
    bob_id = bob.me()["id"]
    ids = [alice.created(f"/projects/{pid}/tasks", {"title": f"t{i}", "status_id": board["done"]["id"],
                                                    "assignee_id": bob_id, "points": 1})["id"] for i in range(4)]
    today = datetime.utcnow().replace(hour=12)
    with app.app_context():
        # as if completed on four days with one gap: three in a row up to today, one before the gap
        for task_id, days_ago in zip(ids, (0, 1, 2, 4), strict=True):
            db.session.get(Task, task_id).completed_at = today - timedelta(days=days_ago)
        db.session.commit()
    p = bob.get(f"/projects/{pid}/progress/{bob_id}").json
    assert p["streak_days"] == 3 and p["completed_tasks"] == 4 and p["points"] == 4


def expected(tasks, statuses, members):
    """The derivation, written again independently: what summary and progress must say."""
    done = {s["id"] for s in statuses if s["done"]}
    by_status = {s["id"]: 0 for s in statuses}
    for t in tasks:
        by_status[t["status_id"]] += 1
    total, finished = len(tasks), sum(1 for t in tasks if t["status_id"] in done)
    summary = {"tasks_total": total, "tasks_done": finished, "by_status": by_status,
               "completion": round(100.0 * finished / total, 1) if total else 0.0}
    progress = {m: {"points": 0, "completed_tasks": 0} for m in members}
    for t in tasks:
        if t["status_id"] in done and t["assignee_id"]:
            p = progress.setdefault(t["assignee_id"], {"points": 0, "completed_tasks": 0})
            p["points"] += t["points"] or 0
            p["completed_tasks"] += 1
    return summary, progress


def test_derived_resources_never_drift_after_random_moves(alice, bob, make_user, board, runner):
    rng = random.Random(20261121)
    pid = board["pid"]
    carol = make_user("carol")
    for u in (bob, carol):
        alice.add_member(pid, u)
    people = [alice, bob, carol]
    ids = [u.me()["id"] for u in people]
    statuses = [board["todo"]["id"], board["done"]["id"]]
    alice.edit(f"/statuses/{board['done']['id']}", {"done": True})
    tasks = [board["task"]["id"]]
    for _ in range(120):
        who, roll = rng.choice(people), rng.random()
        if roll < 0.25 or not tasks:
            tasks.append(who.created(f"/projects/{pid}/tasks", {
                "title": "r", "status_id": rng.choice(statuses), "points": rng.choice([None, 1, 3, 8]),
                "assignee_id": rng.choice([None, *ids])})["id"])
        elif roll < 0.6:
            who.edit(f"/tasks/{rng.choice(tasks)}", {"status_id": rng.choice(statuses)})
        elif roll < 0.7:
            who.edit(f"/tasks/{rng.choice(tasks)}", {"assignee_id": rng.choice([None, *ids]),
                                                     "points": rng.choice([None, 2, 5])})
        elif roll < 0.8:
            who.remove(f"/tasks/{tasks.pop(rng.randrange(len(tasks)))}")
        elif roll < 0.87:
            statuses.append(who.created(f"/projects/{pid}/statuses", {"name": "s", "done": rng.random() < 0.5})["id"])
        elif roll < 0.94:
            who.edit(f"/statuses/{rng.choice(statuses)}", {"done": rng.random() < 0.5})
        else:
            in_use = {t["status_id"] for t in alice.get(f"/projects/{pid}/tasks?limit=1000").json["items"]}
            empty = [s for s in statuses if s not in in_use]
            if empty:
                gone = rng.choice(empty)
                who.remove(f"/statuses/{gone}")
                statuses.remove(gone)
    all_tasks = alice.get(f"/projects/{pid}/tasks?limit=1000").json["items"]
    all_statuses = alice.get(f"/projects/{pid}/statuses").json["items"]
    want_summary, want_progress = expected(all_tasks, all_statuses, ids)
    got = alice.get(f"/projects/{pid}/summary").json
    assert {k: got[k] for k in want_summary} == want_summary
    got_progress = {p["user_id"]: {"points": p["points"], "completed_tasks": p["completed_tasks"]}
                    for p in alice.get(f"/projects/{pid}/progress").json["items"]}
    assert got_progress == want_progress
    assert sum(p["points"] for p in want_progress.values()) > 0  # the walk did complete work
    # the log agrees with the rows (every derived version step has its change)
    r = runner.invoke(args=["changes", "verify"])
    assert r.exit_code == 0, r.output


def test_derived_rows_are_created_with_their_values_in_one_change(app, runner, make_user):
    """A transaction that creates a derived row logs one `create`, not a create and an update.

    `flask demo` makes a project with tasks, one done, in one transaction: the
    summary and progress are born with non-zero values there.
    """
    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        rows = db.session.execute(select(Change.type, Change.resource_id, Change.op, Change.version, Change.at)
                                  .where(Change.type.in_(["summary", "progress", "unread_count"]))).all()
        demo_at = max(r.at for r in rows)
        born = [(r.type, r.op, r.version) for r in rows if r.at == demo_at]
        assert sorted(born) == [("progress", "create", 1), ("summary", "create", 1), ("unread_count", "create", 1)]
        summary = db.session.scalars(select(Summary).order_by(Summary.created_at.desc())).first()
        assert (summary.tasks_total, summary.tasks_done, summary.version) == (4, 1, 1)
    # a counter made on joining, then moved by a notification: one change each
    alice, bob = make_user("alice"), make_user("bob")
    board = alice.make_board()
    alice.add_member(board["pid"], bob)
    since = bob.feed("now")["next"]
    alice.created(f"/projects/{board['pid']}/tasks", {"title": "for bob", "status_id": board["todo"]["id"],
                                                     "assignee_id": bob.me()["id"]})
    bobs, _ = bob.follow(since, types="unread_count")
    assert [(c["op"], c["version"]) for c in bobs] == [("update", 2)]
    assert bob.get(f"/projects/{board['pid']}/notifications/unread-count").json["unread"] == 1
