"""Two commits side by side: the same polls answered 200, against gunicorn from each checkout, in one run.

Usage: .venv/bin/python bench/ab.py --base REV [--database-url URL] [--seconds 6] [--rounds 3]
       [--worker-class sync]
The base commit is checked out in a temporary git worktree (removed afterwards) and served from there; this
checkout is served as it is. Each server is one gunicorn worker pinned to core 0, with a fresh database, the
same seed and no access log; wrk (one thread, 4 connections) runs on core 1, as in bench/capacity.py. Rounds
interleave the two servers, each round in the other order; each figure is the median. Cases: a project feed
poll whose tag moved (a page of one change, as the realistic mix's 200s are), an item poll whose tag moved,
and feed, item and list polls whose tag is current (304s: the poll path).
Prints requests/second for each and the ratio of this checkout to the base.
"""
import argparse
import contextlib
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.server import Server  # noqa: E402

WORKER_ARGS = {"sync": ["-k", "sync"], "gthread": ["-k", "gthread", "--threads", "4"]}


@contextlib.contextmanager
def worktree(rev):
    where = Path(tempfile.mkdtemp(prefix="pollfeed-ab-")) / "tree"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(where), rev], check=True)
    try:
        yield where
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(where)], check=True)


@contextlib.contextmanager
def serve(root, url, worker_class):
    """gunicorn from checkout `root` (tests.server runs the code of the tree it names)."""
    server = Server(url, workers=1, access_log=False, extra_args=WORKER_ARGS[worker_class], cwd=root).start()
    try:
        # gunicorn and its CLI import the code of the tree they run in: make sure it is `root`'s (a default
        # that named this checkout once made both sides of a comparison this checkout)
        assert Path(f"/proc/{server.proc.pid}/cwd").resolve() == Path(root).resolve(), "serving the wrong tree"
        for pid in [server.proc.pid, *map(int, Path(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children")
                                          .read_text().split())]:
            os.sched_setaffinity(pid, {0})
        yield server
    finally:
        server.stop()


def seed(server):
    """{case: (path, If-None-Match)}: polls whose tag moved (200s) and polls whose tag is current (304s)."""
    token, c, pid, todo = server.board("ab")
    task = c.post(f"/projects/{pid}/tasks", {"title": "one", "status_id": todo}).json()
    c.post(f"/projects/{pid}/tasks", {"title": "two", "status_id": todo})
    one_back = c.get(f"/changes?project={pid}&limit=1000").json()["changes"][-2]["cursor"]
    feed, item, tasks = f"/changes?since={one_back}&project={pid}", f"/tasks/{task['id']}", f"/projects/{pid}/tasks"
    stale = '"stale"'
    current = {}
    for path in (feed, item, tasks):
        current[path] = c.get(path).header("ETag")
        assert c.get(path, headers={"If-None-Match": current[path]}).status == 304, path
    return token, {"feed poll answered 200 (one change)": (feed, stale),
                   "item poll answered 200": (item, stale),
                   "feed poll answered 304": (feed, current[feed]),
                   "item poll answered 304": (item, current[item]),
                   "list poll answered 304": (tasks, current[tasks])}


def wrk(url, token, etag, seconds):
    args = ["taskset", "-c", "1", "wrk", "-t1", "-c4", f"-d{seconds}s", "-H", f"Authorization: Bearer {token}",
            "-H", f"If-None-Match: {etag}", url]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    if etag == '"stale"':  # wrk counts a 304 as a success: only a 200 case can be checked this way
        assert re.search(r"Non-2xx or 3xx responses", out) is None, (url, out)
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def fresh(url, second):
    """An empty database: each server migrates it with its own checkout's migrations (a template made by
    one checkout would carry revisions the other does not know)."""
    if url and url.startswith("postgresql"):
        import psycopg
        from sqlalchemy.engine import make_url

        u, name = make_url(url), f"ab_{os.getpid()}_{int(second)}"
        with psycopg.connect(host=u.host, port=u.port, user=u.username, dbname="postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return u.set(database=name).render_as_string(hide_password=False)
    return f"sqlite:///{tempfile.mkdtemp()}/ab.db"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True, help="the commit to compare this checkout with")
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--seconds", type=int, default=6)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--worker-class", default="sync", choices=sorted(WORKER_ARGS))
    opts = ap.parse_args()
    subprocess.run([str(ROOT / "scripts/ensure-debs"), "wrk"], check=True)
    with worktree(opts.base) as base_root, contextlib.ExitStack() as stack:
        trees = {opts.base: base_root, "this checkout": ROOT}
        targets = {}
        for i, (name, root) in enumerate(trees.items()):
            server = stack.enter_context(serve(root, fresh(opts.database_url, i > 0), opts.worker_class))
            token, paths = seed(server)
            targets[name] = (server.url, token, paths)
        runs = {}
        for i in range(opts.rounds):
            # each round in the other order: what runs first or second (caches, the database's own
            # background work) falls on both sides alike
            for name, (url, token, paths) in (list if i % 2 == 0 else reversed)(list(targets.items())):
                for case, (path, etag) in paths.items():
                    runs.setdefault((case, name), []).append(wrk(url + path, token, etag, opts.seconds))
    db = "PostgreSQL" if (opts.database_url or "").startswith("postgresql") else "SQLite"
    print(f"\n{db}, gunicorn -w 1 -k {opts.worker_class} on core 0, wrk -t1 -c4 on core 1, median of {opts.rounds}")
    for case in paths:
        base, head = statistics.median(runs[(case, opts.base)]), statistics.median(runs[(case, "this checkout")])
        print(f"  {case:<40}{opts.base[:12]:>14} {base:>7.0f} req/s   this checkout {head:>7.0f} req/s   "
              f"{head / base:.2f}x")


if __name__ == "__main__":
    main()
