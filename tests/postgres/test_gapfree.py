"""The feed's hardest promise on real PostgreSQL: commit order, not sequence order."""
import threading
import time

import psycopg
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.boards.models import Task
from app.extensions import db


def test_a_plain_sequence_really_commits_out_of_order(database_url):
    """The control: the trap exists here, so the next test shows something."""
    u = make_url(database_url)
    connect = dict(host=u.host, port=u.port, user=u.username, dbname=u.database)
    with psycopg.connect(**connect, autocommit=True) as c:
        c.execute("CREATE TABLE naive (id bigserial PRIMARY KEY)")
    first, second = psycopg.connect(**connect), psycopg.connect(**connect)
    first.execute("INSERT INTO naive DEFAULT VALUES")  # takes 1, not committed
    second.execute("INSERT INTO naive DEFAULT VALUES")  # takes 2
    second.commit()
    with psycopg.connect(**connect) as poller:
        seen = [r[0] for r in poller.execute("SELECT id FROM naive ORDER BY id")]
    first.commit()
    assert seen == [2]  # a poller now past 2 would never see 1
    first.close()
    second.close()


def test_out_of_order_commit_cannot_hide_a_change(app, alice, board):
    """First writer takes positions and stalls before COMMIT; a second writer starts
    later; a poller reads; then the first commits. The poller still gets both, in order."""
    since = alice.feed("now")["next"]
    stall, positions_taken, done = threading.Event(), threading.Event(), {}

    def hold(session):
        if session.info.get("stall"):
            positions_taken.set()
            stall.wait(10)

    from sqlalchemy import event

    event.listen(Session, "before_commit", hold)  # after the recorder: positions are taken
    try:
        def writer(name, title, stall_it):
            with app.app_context():
                db.session.info["stall"] = stall_it
                db.session.info["actor_id"] = None
                task = db.session.get(Task, board["task"]["id"]) if name == "first" else None
                if task is not None:
                    task.title = title
                else:
                    db.session.add(Task(project_id=board["pid"], status_id=board["todo"]["id"], title=title))
                db.session.commit()
                done[name] = time.monotonic()

        first = threading.Thread(target=writer, args=("first", "first writer", True))
        first.start()
        assert positions_taken.wait(10)
        second = threading.Thread(target=writer, args=("second", "second writer", False))
        second.start()
        time.sleep(0.5)
        # the second writer cannot take a later position while the first is open
        assert "second" not in done
        during = alice.feed(since)
        assert during["changes"] == []
        stall.set()
        first.join(10)
        second.join(10)
        assert done["first"] <= done["second"]
    finally:
        event.remove(Session, "before_commit", hold)
    changes, _ = alice.follow(during["next"])
    assert [c["op"] for c in changes] == ["update", "create"]
    positions = [int(c["cursor"].split(".")[1], 36) for c in changes]
    assert positions == sorted(positions)
    with app.app_context():
        assert db.session.scalar(select(Task.title).where(Task.id == board["task"]["id"])) == "first writer"
