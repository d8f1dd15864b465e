"""What from-scratch derivation costs a write: a task move in a big project against one in a small project.

Usage: .venv/bin/python bench/derive_cost.py [--tasks 5000] [--moves 200]
In-process (Flask test client, SQLite), both projects in one database, one run:
prints the mean time of a move and the ratio big/small. Progress and summary
are recomputed from the project's tasks on every move (app/progress/derive.py),
so the ratio grows with the project's size; this says by how much.
"""
import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from app import create_app  # noqa: E402
from app.boards.models import Task  # noqa: E402
from app.extensions import db  # noqa: E402
from pollfeed.ids import new_id  # noqa: E402
from pollfeed.versioned import utcnow  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", type=int, default=5000)
    ap.add_argument("--moves", type=int, default=200)
    opts = ap.parse_args()
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tempfile.mkdtemp()}/bench.db"})
    with app.app_context():
        upgrade()
    token = app.test_cli_runner().invoke(args=["users", "create", "bench"]).stdout.strip().splitlines()[-1]
    client, auth = app.test_client(), {"Authorization": f"Bearer {token}"}
    me = client.get("/me", headers=auth).json["id"]

    def project(n):
        pid = client.post("/projects", json={"name": f"{n} tasks"}, headers=auth).json["id"]
        todo = client.post(f"/projects/{pid}/statuses", json={"name": "Todo"}, headers=auth).json["id"]
        done = client.post(f"/projects/{pid}/statuses", json={"name": "Done", "done": True}, headers=auth).json["id"]
        with app.app_context():
            # Filler rows straight into the table (a bulk insert: no log, no derivation); only the
            # moves below are measured, and each of them derives from all of these.
            now = utcnow()
            db.session.execute(insert(Task), [
                {"id": new_id(), "version": 1, "created_at": now, "updated_at": now, "project_id": pid,
                 "status_id": (todo, done)[i % 2], "title": f"t{i}", "position": 0, "assignee_id": me,
                 "points": 1} for i in range(n - 1)])
            db.session.commit()
        task = client.post(f"/projects/{pid}/tasks", json={"title": "mover", "status_id": todo, "points": 3,
                                                           "assignee_id": me}, headers=auth).json
        return f"/tasks/{task['id']}", (todo, done)

    def mean_move(path, statuses):
        etag = client.get(path, headers=auth).headers["ETag"]
        start = time.perf_counter()
        for i in range(opts.moves):
            r = client.patch(path, json={"status_id": statuses[(i + 1) % 2]}, headers={**auth, "If-Match": etag})
            assert r.status_code == 200, r.get_data(as_text=True)
            etag = r.headers["ETag"]
        return (time.perf_counter() - start) / opts.moves

    small, big = project(10), project(opts.tasks)
    t_small, t_big = mean_move(*small), mean_move(*big)
    print(f"{'move, 10-task project':<34}{t_small * 1e3:>8.2f} ms   1.00x")
    print(f"{f'move, {opts.tasks}-task project':<34}{t_big * 1e3:>8.2f} ms   {t_big / t_small:.2f}x")


if __name__ == "__main__":
    main()
