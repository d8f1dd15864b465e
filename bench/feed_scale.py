"""Does a feed read cost what the caller's own changes cost, however much history other tenants have?

Usage: .venv/bin/python bench/feed_scale.py [--sizes 1000 1000000] [--own N] [--database-url postgresql+psycopg://...]
In-process (Flask's test client, the real app and database). For each log size a synthetic log is
built with one bulk INSERT: the caller's project holds 1 change in 1,000 and 100 other projects,
which the caller cannot read, hold the rest. Four cases, median of 90 requests each (9 rounds of 10,
interleaving the logs); the ratio of the largest log to the smallest is the figure.
Goal (issue 10): every case <= 1.5x.
With --own N the caller's project holds N changes in every log (spread evenly), so the pages compared
carry the same changes and only other tenants' history differs.
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
from sqlalchemy import text  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from pollfeed import cursor as cursors  # noqa: E402

OWN_EVERY = 1000
SERIES = {
    "sqlite": "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < :n) SELECT n FROM s",
    "postgresql": "SELECT generate_series(1, :n) AS n",
}


def build(url, size, own_every=OWN_EVERY):
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
    runner = app.test_cli_runner()
    token = runner.invoke(args=["users", "create", f"reader{size}"]).stdout.strip().splitlines()[-1]
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    pid = client.post("/projects", json={"name": "mine"}, headers=auth).json["id"]
    with app.app_context():
        conn = db.session.connection()
        base = conn.execute(text("SELECT head FROM feed_state WHERE id = 1")).scalar()
        dialect = conn.dialect.name
        conn.execute(text(
            f"INSERT INTO changes (position, type, resource_id, scope_id, op, version, fields, at) "
            f"SELECT :base + n, 'task', 'r' || n, CASE WHEN n % {own_every} = 0 THEN :pid "
            f"ELSE 'other' || (n % 100) END, 'update', 2, '[\"title\"]', CURRENT_TIMESTAMP "
            f"FROM ({SERIES[dialect]}) AS series"), {"base": base, "n": size, "pid": pid})
        head = base + size
        own_last = base + (size // own_every) * own_every
        # The bulk rows take the column's default stamp (0): the head and the watermark carry theirs.
        conn.execute(text("UPDATE feed_state SET head = :h, stamp = 0 WHERE id = 1"), {"h": head})
        conn.execute(text("UPDATE feed_watermarks SET position = :p, stamp = 0 WHERE scope_key = :k"),
                     {"p": own_last, "k": pid})
        epoch = conn.execute(text("SELECT epoch FROM feed_state WHERE id = 1")).scalar()
        ten_back = max(base, own_last - 10 * own_every)  # a 1k log holds one own change: from its start
        stamps = {p: conn.execute(text("SELECT coalesce((SELECT stamp FROM changes WHERE position = :p), "
                                       "(SELECT horizon_stamp FROM feed_state WHERE id = 1))"), {"p": p}).scalar()
                  for p in (head, ten_back)}
        if dialect == "postgresql":
            conn.execute(text("ANALYZE changes"))
        db.session.commit()
        if dialect == "sqlite":
            db.session.execute(text("ANALYZE"))
            db.session.commit()
    return app, client, auth, pid, {
        "304 at the head": (f"/changes?since={cursors.encode(epoch, head, stamps[head])}", True),
        "a page 10 own changes back": (f"/changes?since={cursors.encode(epoch, ten_back, stamps[ten_back])}", False),
        "an unfiltered catch-up page (limit 100)": ("/changes?limit=100", False),
        "a project= catch-up page": (f"/changes?limit=100&project={pid}", False),
    }


def check(client, auth, path, conditional):
    """The request answers as the case says; returns the headers each timed request sends."""
    r = client.get(path, headers=auth)
    assert r.status_code == 200, r.get_data(as_text=True)
    assert conditional or r.json["changes"], path
    return {**auth, "If-None-Match": r.headers["ETag"]} if conditional else auth


def timed(client, headers, path, conditional, repeat):
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        r = client.get(path, headers=headers)
        samples.append(time.perf_counter() - t)
        assert r.status_code == (304 if conditional else 200)
    return samples


def fresh_url(base, size):
    if base and base.startswith("postgresql"):
        from tests.pg import fresh_database

        return fresh_database(base, alongside=True)  # every log is measured at once: keep them all
    return f"sqlite:///{tempfile.mkdtemp()}/feed{size}.db"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 1_000_000])
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--own", type=int, default=None, help="own changes in every log (default: 1 in 1,000)")
    ap.add_argument("--rounds", type=int, default=9, help="interleaved rounds of 10 requests per case and log")
    opts = ap.parse_args()
    built = {}
    for size in opts.sizes:
        t = time.perf_counter()
        own_every = size // opts.own if opts.own else OWN_EVERY
        built[size] = build(fresh_url(opts.database_url, size), size, own_every)
        print(f"built a {size:,}-change log in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    # Rounds interleave the logs (this machine's speed drifts; a slow stretch must not land on one log
    # only): each round times every case on every log, 10 requests each; the figure is the median of all.
    samples = {size: {} for size in opts.sizes}
    headers = {size: {name: check(b[1], b[2], path, cond) for name, (path, cond) in b[4].items()}
               for size, b in built.items()}
    for _ in range(opts.rounds):
        for size, (_app, client, _auth, _pid, cases) in built.items():
            for name, (path, cond) in cases.items():
                samples[size].setdefault(name, []).extend(timed(client, headers[size][name], path, cond, 10))
    results = {size: {name: statistics.median(v) for name, v in by_case.items()} for size, by_case in samples.items()}
    for app, *_ in built.values():
        with app.app_context():
            db.engine.dispose()
    small, large = min(opts.sizes), max(opts.sizes)
    db_name = "PostgreSQL" if (opts.database_url or "").startswith("postgresql") else "SQLite"
    print(f"\n{db_name}: median of {opts.rounds * 10} requests per case, interleaved, in-process")
    print(f"  {'case':<42}{small:>12,}{large:>14,}   ratio")
    for name in results[small]:
        a, b = results[small][name], results[large][name]
        print(f"  {name:<42}{a * 1e6:>10.0f}µs{b * 1e6:>12.0f}µs   {b / a:.2f}x")


if __name__ == "__main__":
    main()
