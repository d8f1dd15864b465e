"""Retention, compaction, 410 and re-list, `flask changes verify`, snapshot-consistent lists."""
import random
import threading
from datetime import timedelta

from sqlalchemy import event, func, select, update

from app.boards.models import Task
from app.extensions import db
from pollfeed.changelog import Change, FeedState, Watermark

from ..support import problem


def age_all_changes(app, days=30):
    with app.app_context():
        db.session.execute(update(Change).values(at=Change.at - timedelta(days=days)))
        db.session.commit()


def logged(app):
    """How many changes the log holds, bookkeeping types included."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Change))


def test_compact_drops_old_changes_and_old_cursors_get_410(app, runner, alice, board):
    old_cursor = alice.feed(None)["changes"][0]["cursor"]
    made = logged(app)
    age_all_changes(app)
    fresh = alice.created(f"/projects/{board['pid']}/tasks", {"title": "fresh", "status_id": board["todo"]["id"]})
    r = runner.invoke(args=["changes", "compact"])
    assert r.exit_code == 0 and f"dropped {made} change(s)" in r.stdout, r.output
    body = problem(alice.get(f"/changes?since={old_cursor}"), 410)
    assert body["type"] == "cursor-expired"
    # the remedy: re-list, follow the list's cursor
    listing = alice.get(f"/projects/{board['pid']}/tasks").json
    assert {t["id"] for t in listing["items"]} == {board["task"]["id"], fresh["id"]}
    assert alice.feed(listing["cursor"])["changes"] == []
    later = alice.created(f"/projects/{board['pid']}/tasks", {"title": "later", "status_id": board["todo"]["id"]})
    assert [c["id"] for c in alice.feed(listing["cursor"])["changes"]] == [later["id"]]
    # omitting since starts at the oldest retained change
    assert [c["id"] for c in alice.feed(None)["changes"]] == [fresh["id"], later["id"]]
    assert runner.invoke(args=["changes", "verify"]).exit_code == 0


def test_an_idle_lists_cursor_is_never_expired(app, runner, alice, bob, board):
    """A project idle for longer than the retention gets a cursor at the horizon, not below it."""
    age_all_changes(app)
    bob.make_board("busy elsewhere")
    assert runner.invoke(args=["changes", "compact", "--retention", "7d"]).exit_code == 0
    cursor = alice.get(f"/projects/{board['pid']}/tasks").json["cursor"]
    assert alice.get(f"/changes?since={cursor}").status_code == 200


def test_compact_keeps_changes_inside_the_window(runner, alice, board):
    r = runner.invoke(args=["changes", "compact", "--retention", "1h"])
    assert r.exit_code == 0 and "dropped 0" in r.stdout
    assert len(alice.follow(None)[0]) == 5


def test_compaction_in_small_batches_reports_progress(app, runner, alice, board):
    made = logged(app)
    age_all_changes(app)
    r = runner.invoke(args=["changes", "compact", "--batch", "2"])
    assert r.exit_code == 0 and f"dropped {made}" in r.stdout
    assert "compacting" in r.stderr


def test_verify_is_clean_after_random_work(runner, alice, bob, board):
    rng = random.Random(7)
    alice.add_member(board["pid"], bob)
    tasks = [board["task"]["id"]]
    for _ in range(40):
        who = rng.choice([alice, bob])
        action = rng.random()
        if action < 0.4 or not tasks:
            tasks.append(who.created(f"/projects/{board['pid']}/tasks",
                                     {"title": "r", "status_id": board["todo"]["id"]})["id"])
        elif action < 0.8:
            who.edit(f"/tasks/{rng.choice(tasks)}", {"status_id": rng.choice([board["todo"], board["done"]])["id"],
                                                   "position": rng.randint(0, 5)})
        else:
            who.remove(f"/tasks/{tasks.pop(rng.randrange(len(tasks)))}")
    r = runner.invoke(args=["changes", "verify"])
    assert r.exit_code == 0, r.output
    assert "consistent" in r.stdout


def test_verify_reports_drift(app, runner, alice, board):
    with app.app_context():
        # a version bumped behind the log's back (raw SQL, as a careless script would)
        db.session.execute(Task.__table__.update().values(version=9))
        # a row deleted with no tombstone
        db.session.execute(Task.__table__.delete().where(Task.__table__.c.id == board["task"]["id"]))
        # a gap in the positions
        db.session.execute(Change.__table__.delete().where(Change.__table__.c.position == 2))
        db.session.commit()
    r = runner.invoke(args=["changes", "verify"])
    assert r.exit_code != 0
    assert "gone without a tombstone" in r.stdout
    assert "gap" in r.stdout


def test_verify_reports_a_version_mismatch(app, runner, alice, board):
    with app.app_context():
        db.session.execute(Task.__table__.update().values(version=9))
        db.session.commit()
    r = runner.invoke(args=["changes", "verify"])
    assert r.exit_code != 0 and "has version 9 but its newest change says 1" in r.stdout


def test_verify_reports_versions_that_do_not_count_up_and_a_life_after_a_tombstone_not_begun_by_a_create(
        app, runner, alice, board):
    task = board["task"]["id"]
    alice.edit(f"/tasks/{task}", {"title": "v2"})
    alice.edit(f"/tasks/{task}", {"title": "v3"})
    with app.app_context():
        rows = db.session.execute(select(Change.position, Change.version).where(
            Change.type == "task", Change.resource_id == task).order_by(Change.position)).all()
        assert [v for _, v in rows] == [1, 2, 3]
        db.session.execute(update(Change).where(Change.position == rows[1].position).values(op="delete"))
        db.session.execute(update(Change).where(Change.position == rows[2].position).values(version=7))
        db.session.commit()
    r = runner.invoke(args=["changes", "verify"])
    assert r.exit_code != 0
    assert f"task {task}: version 2 (delete) is followed by 7 (update)" in r.stdout
    assert "version 1 (create) is followed by 2 (delete)" not in r.stdout  # a tombstone counts on


def test_verify_reports_stamps_that_disagree_with_the_log(app, runner, alice, board):
    with app.app_context():
        db.session.execute(update(Watermark).where(Watermark.scope_key == board["pid"]).values(stamp=1))
        db.session.execute(update(FeedState).values(stamp=2))
        db.session.commit()
    r = runner.invoke(args=["changes", "verify"])
    assert r.exit_code != 0
    assert f"scope {board['pid']}: watermark stamp 1 but its change's is" in r.stdout
    assert "the head's stamp 2 is not its change's" in r.stdout


def test_list_and_cursor_come_from_one_snapshot(app, alice, board):
    """A write that commits between the list's watermark read and its item read is in neither."""
    written = {}

    def write_concurrently():
        with app.app_context():
            db.session.info["actor_id"] = None
            t = Task(project_id=board["pid"], status_id=board["todo"]["id"], title="sneaky")
            db.session.add(t)
            db.session.commit()
            written["id"] = t.id

    def before(conn, cursor, statement, params, context, executemany):
        if "FROM tasks" in statement and "ORDER BY tasks.id" in statement and not written:
            th = threading.Thread(target=write_concurrently)
            th.start()
            th.join()

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", before)
    try:
        listing = alice.get(f"/projects/{board['pid']}/tasks").json
    finally:
        with app.app_context():
            event.remove(db.engine, "before_cursor_execute", before)
    assert written["id"] not in [t["id"] for t in listing["items"]]
    changes, _ = alice.follow(listing["cursor"])
    assert [c["id"] for c in changes] == [written["id"]]


def test_forged_cursors_are_400_if_malformed_and_410_if_this_database_cannot_continue_them(alice, board):
    head = alice.feed("now")["next"]
    epoch = head.split(".")[0]
    for forged in (f"{epoch}.", f"{epoch}.-1", "NOW.1", head + "~", "a" * 17 + ".1"):
        assert problem(alice.get(f"/changes?since={forged}"), 400)["type"].endswith("bad-cursor")
    for well_formed in (f"{epoch}.zzzzzz", "x" + head, "now.1"):  # beyond the head; other epochs
        assert problem(alice.get(f"/changes?since={well_formed}"), 410)["type"].endswith("cursor-unknown")


def test_horizon_only_moves_forward(app, runner, alice, board):
    age_all_changes(app)
    runner.invoke(args=["changes", "compact"])
    with app.app_context():
        first = db.session.scalar(select(FeedState.horizon))
    runner.invoke(args=["changes", "compact", "--retention", "10000d"])
    with app.app_context():
        assert db.session.scalar(select(FeedState.horizon)) == first > 0
