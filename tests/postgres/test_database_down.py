"""A database that goes away: 503 with Retry-After, nothing half-applied, service resumes by itself."""
import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from app.boards.models import Task
from app.extensions import db
from pollfeed.changelog import FeedState

from ..support import problem


def head(app):
    with app.app_context():
        return db.session.scalar(select(FeedState.head))


def test_requests_get_503_while_down_and_service_resumes(app, runner, alice, board, cluster):
    path = f"/tasks/{board['task']['id']}"
    etag = alice.get(path).headers["ETag"]
    cluster.stop()
    try:
        r = alice.get(path)
        body = problem(r, 503)
        assert int(r.headers["Retry-After"]) > 0 and "Traceback" not in r.get_data(as_text=True)
        assert body["detail"]
        problem(alice.patch(path, {"title": "lost?"}, headers={"If-Match": etag}), 503)
        problem(alice.get("/changes?since=now"), 503)
        ready = alice.get("/readyz")
        assert ready.status_code == 503 and ready.headers["Retry-After"]
        assert alice.get("/healthz").status_code == 200  # the process itself is fine
    finally:
        cluster.start()
    # The same app and pool recover without a restart (a stale pooled connection may cost one 503).
    statuses = [alice.get(path).status_code for _ in range(3)]
    assert statuses[-1] == 200 and set(statuses) <= {200, 503}, statuses
    assert alice.get("/readyz").status_code == 200
    assert alice.get(path).json["version"] == 1  # the write during the outage did not happen
    assert runner.invoke(args=["changes", "verify"]).exit_code == 0


def test_a_write_cut_off_before_commit_leaves_nothing_behind(app, runner, alice, board, cluster):
    before = head(app)
    with app.app_context():
        db.session.info["actor_id"] = None
        task = db.session.get(Task, board["task"]["id"])
        task.title = "half"
        db.session.add(Task(project_id=board["pid"], status_id=board["todo"]["id"], title="also half"))
        db.session.flush()
        cluster.stop()
        try:
            with pytest.raises(OperationalError):
                db.session.commit()
        finally:
            cluster.start()
        db.session.rollback()
    assert head(app) == before
    assert alice.get(f"/tasks/{board['task']['id']}").json["title"] == "Fix homepage"
    assert [t["title"] for t in alice.get(f"/projects/{board['pid']}/tasks").json["items"]] == ["Fix homepage"]
    assert runner.invoke(args=["changes", "verify"]).exit_code == 0
