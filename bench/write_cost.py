"""What the change log costs a write: a conditional PATCH with the recorder, against the same PATCH without.

Usage: .venv/bin/python bench/write_cost.py [--rounds 20] [--per-round 25] [--database-url postgresql+psycopg://...]
In-process (Flask's test client, the real app and database). One task in a project with a few hundred
rows, PATCHed with If-Match (its title: no deriver has work) over and over. The rounds alternate: with the change log
(positions, the change row, the scope watermark, in the same transaction), then with the commit hook's
`write_log` step replaced by a no-op, which is this benchmark's switch and exists nowhere else. Medians per write;
the ratio is the figure. Goal (issue 10): <= 1.25x. A third arm, logged, runs with the tasks table's version
guard dropped (pollfeed/guards.py): the guard's cost is the logged arm over it.
"""
import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from pollfeed import changelog, guards  # noqa: E402

WRITE_LOG = changelog.write_log


def recorder(on):
    """This benchmark's switch: the commit hook's log steps (positions, change rows, watermarks, access
    periods) run or are skipped; flushing and derivers run either way."""
    changelog.write_log = WRITE_LOG if on else (lambda conn, records, actor_id: None)


def guard(app, on):
    """The tasks table's version guard in place, or dropped."""
    with app.app_context():
        conn = db.session.connection()
        guards.install(conn, ["tasks"]) if on else guards.drop(conn, "tasks")
        db.session.commit()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--per-round", type=int, default=25)
    ap.add_argument("--database-url", default=None)
    opts = ap.parse_args()
    if opts.database_url:  # a fresh, migrated database: a rerun does not meet the last run's rows
        from tests.pg import fresh_database

        url = fresh_database(opts.database_url)
    else:
        url = f"sqlite:///{tempfile.mkdtemp()}/write_cost.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
    token = app.test_cli_runner().invoke(args=["users", "create", "writer"]).stdout.strip().splitlines()[-1]
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    pid = client.post("/projects", json={"name": "bench"}, headers=auth).json["id"]
    status = client.post(f"/projects/{pid}/statuses", json={"name": "Todo"}, headers=auth).json["id"]
    for i in range(300):
        task = client.post(f"/projects/{pid}/tasks", json={"title": f"task {i}", "status_id": status}, headers=auth)
    path = f"/tasks/{task.json['id']}"
    etag = task.headers["ETag"]
    arms = {"log": (True, True), "no log": (False, True), "log, no guard": (True, False)}
    times = {arm: [] for arm in arms}
    n = 0
    for _ in range(opts.rounds):
        for arm, (log, guarded) in arms.items():
            recorder(log)
            guard(app, guarded)
            for _ in range(opts.per_round):
                n += 1
                started = time.perf_counter()
                r = client.patch(path, json={"title": f"title {n}"},
                                 headers={**auth, "If-Match": etag})
                times[arm].append(time.perf_counter() - started)
                assert r.status_code == 200, r.get_data(as_text=True)
                etag = r.headers["ETag"]
    recorder(True)
    guard(app, True)
    with app.app_context():  # the switch did what it says: only the logged half is in the log
        logged = db.session.scalar(select(func.count()).select_from(changelog.Change).where(
            changelog.Change.resource_id == task.json["id"], changelog.Change.op == "update"))
    assert logged == 2 * opts.rounds * opts.per_round, logged
    with_log, without = statistics.median(times["log"]), statistics.median(times["no log"])
    unguarded = statistics.median(times["log, no guard"])
    name = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"{name}: conditional PATCH, median of {len(times['log'])} each")
    print(f"  without the change log  {without * 1e6:8.0f} µs")
    print(f"  with the change log     {with_log * 1e6:8.0f} µs   {with_log / without:.2f}x")
    print(f"  the same, no guard      {unguarded * 1e6:8.0f} µs   the guard: {with_log / unguarded:.2f}x")


if __name__ == "__main__":
    main()
