"""The migrations describe the models exactly, the domains' migration can be undone and redone, and a
database made before the engine had its own migrations upgrades in place."""
import json
import os
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app import create_app
from app.extensions import db

from .pg import database_from_dump


def test_models_and_migrations_agree(runner):
    r = runner.invoke(args=["db", "check"])  # exits non-zero when models hold what no migration made
    assert r.exit_code == 0, r.output


def test_domains_migration_downgrades_and_upgrades_again(app, runner, alice, board):
    assert runner.invoke(args=["db", "downgrade", "0001"]).exit_code == 0
    with app.app_context():
        assert db.session.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0001"
        db.session.remove()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert alice.get(f"/tasks/{board['task']['id']}").json["title"] == board["task"]["title"]  # data kept
    assert alice.get(f"/projects/{board['pid']}/customers").status_code == 200
    r = runner.invoke(args=["db", "check"])
    assert r.exit_code == 0, r.output


BEFORE = Path(__file__).parent / "fixtures" / "before-engine-migrations"


def _database_made_before(tmp_path):
    """A database made at 68947e5, before the engine had its own migrations, with data (see its README)."""
    base = os.environ.get("TEST_DATABASE_URL", "")
    if base.startswith("postgresql"):
        return database_from_dump(base, BEFORE / "postgresql.sql"), json.loads((BEFORE / "postgresql.json").read_text())
    path = tmp_path / "before.db"
    with sqlite3.connect(path) as conn:
        conn.executescript((BEFORE / "sqlite.sql").read_text())
    conn.close()
    return f"sqlite:///{path}", json.loads((BEFORE / "sqlite.json").read_text())


def test_a_database_made_before_the_engine_had_its_migrations_upgrades_in_place(tmp_path):
    url, made = _database_made_before(tmp_path)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    runner = app.test_cli_runner()
    r = runner.invoke(args=["db", "upgrade"])
    assert r.exit_code == 0, r.output
    with app.app_context():
        versions = db.session.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        db.session.remove()
    assert versions == ["0007"]  # one head: the engine's first revision counts as applied (0001 follows it)
    for args in (["db", "check"], ["pollfeed", "verify"]):  # the shape of today's models; the log, guards
        r = runner.invoke(args=args)
        assert r.exit_code == 0, r.output
    client = app.test_client()
    auth = {"Authorization": f"Bearer {made['token']}"}
    pid, (_written, reviewed, shipped) = made["project"], made["tasks"]
    titles = [t["title"] for t in client.get(f"/projects/{pid}/tasks", headers=auth).get_json()["items"]]
    assert titles == ["Write it", "Review"]
    log = client.get(f"/changes?project={pid}", headers=auth).get_json()
    assert len(log["changes"]) == made["changes"]
    assert [c["op"] for c in log["changes"] if c["id"] == shipped] == ["create", "delete"]  # the tombstone
    # The cursor issued before the upgrade still follows the feed: the epoch and the log are the same.
    quiet = client.get(f"/changes?project={pid}&since={made['cursor']}", headers=auth)
    assert quiet.status_code == 200 and quiet.get_json()["changes"] == []
    task = client.get(f"/tasks/{reviewed}", headers=auth)
    assert client.patch(f"/tasks/{reviewed}", json={"title": "Reviewed"},
                        headers={**auth, "If-Match": task.headers["ETag"]}).status_code == 200
    after = client.get(f"/changes?project={pid}&since={made['cursor']}", headers=auth).get_json()["changes"]
    assert [(c["id"], c["op"]) for c in after] == [(reviewed, "update")]
    with app.app_context(), pytest.raises(IntegrityError, match="must raise its version"):
        db.session.execute(text("UPDATE tasks SET title = 'raw'"))  # the guards came with 0006
    with app.app_context():
        db.session.rollback()
        db.engine.dispose()
