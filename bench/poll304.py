"""The 304 budget: Pollfeed's conditional polls side by side with a bare Flask 304, same gunicorn settings.

Usage: .venv/bin/python bench/poll304.py [--seconds 10] [--repeat 3] [--database-url URL] [--worker-class ...]
For each worker class: a bare Flask endpoint answering 304 with no work, then Pollfeed's item, 300-item
list, feed, unread badge and customer search (100 of 300 match) 304s, all with `wrk -t2 -c32`. Both servers run
under the same gunicorn.conf.py and worker class, with no access log (or both with one: --access-log).
Prints requests/second and the ratio to the bare endpoint of the same worker class.
Goal (issue 10): item, list, feed and badge >= 1.2x; search >= 0.8x. wrk shares the 2 cores: ratios only.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.server import Client, Server, free_port  # noqa: E402

WORKER_ARGS = {"sync": ["-k", "sync"], "gthread": ["-k", "gthread", "--threads", "4"]}


def wrk(url, token, etag, seconds):
    args = ["wrk", "-t2", "-c32", f"-d{seconds}s", "-H", f"If-None-Match: {etag}", url]
    if token:
        args[1:1] = ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    assert re.search(r"Non-2xx or 3xx responses: (\d+)", out) is None, out
    return rps


def seed(c):
    p = c.post("/projects", {"name": "bench"}).json()
    s = c.post(f"/projects/{p['id']}/statuses", {"name": "Todo"}).json()
    task = None
    for i in range(300):
        task = c.post(f"/projects/{p['id']}/tasks", {"title": f"task {i}", "status_id": s["id"]}).json()
    for i in range(300):
        c.post(f"/projects/{p['id']}/customers", {"first_name": f"Customer {i}",
                                                  "last_name": "Smith" if i % 3 == 0 else "Jones"})
    return {"item": f"/tasks/{task['id']}",
            "list (300 items)": f"/projects/{p['id']}/tasks?limit=1000",
            "feed": "/changes?since=" + c.get("/changes?since=now").json()["next"],
            "unread-count badge": f"/projects/{p['id']}/notifications/unread-count",
            "search (100 of 300)": f"/projects/{p['id']}/customers?q=smith&limit=1000"}


def measure(url, worker_class, seconds, access_log, repeat):
    rows = []
    log_args = ["--access-logfile", "/dev/null"] if access_log else []
    with Server(url, workers=2, access_log=access_log, extra_args=WORKER_ARGS[worker_class]) as server:
        token = server.user("bench")
        c = Client(server.url, token)
        targets = {name: (server.url + path, c.get(path).header("ETag")) for name, path in seed(c).items()}
        port = free_port()
        # the same gunicorn.conf.py, worker class and access-log setting as Pollfeed's server
        bare = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "bare:app",
                                 "-w", "2", *WORKER_ARGS[worker_class], "--bind", f"127.0.0.1:{port}", *log_args],
                                cwd=ROOT / "bench", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env={**os.environ, "PYTHONPATH": str(ROOT),
                                     **({"FLOOR_DATABASE_URL": url} if url.startswith("postgresql") else {}),
                                     **({} if access_log else {"ACCESS_LOG": ""})})
        try:
            time.sleep(3)
            # Rounds: bare, then each endpoint, `repeat` times; the median of each. Runs on this machine
            # vary (with keep-alive, gunicorn's workers can split the connections unevenly), and
            # interleaving keeps one slow stretch from landing on one endpoint only.
            runs = {"bare Flask": []}
            database = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
            floors = {"floor: plain WSGI callable": "/floor", f"floor: callable + one {database} query": "/floor-query"}
            for _ in range(repeat):
                # the same request as a poll's: a bearer token and If-None-Match (gunicorn parses both)
                runs["bare Flask"].append(wrk(f"http://127.0.0.1:{port}/bare", token, '"v1"', seconds))
                for name, path in floors.items():
                    runs.setdefault(name, []).append(wrk(f"http://127.0.0.1:{port}{path}", "token", '"v1"', seconds))
                for name, (target, etag) in targets.items():
                    runs.setdefault(name, []).append(wrk(target, token, etag, seconds))
            base = statistics.median(runs["bare Flask"])
            rows = [(name + " 304", statistics.median(r), statistics.median(r) / base) for name, r in runs.items()]
        finally:
            bare.terminate()
            bare.wait()
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--worker-class", nargs="+", default=["sync", "gthread"], choices=sorted(WORKER_ARGS))
    ap.add_argument("--repeat", type=int, default=3, help="rounds; each figure is the median")
    ap.add_argument("--access-log", action="store_true",
                    help="both servers write gunicorn's access log (to /dev/null); default: neither does")
    opts = ap.parse_args()
    subprocess.run([str(ROOT / "scripts/ensure-debs"), "wrk"], check=True)
    for worker_class in opts.worker_class:
        if opts.database_url:  # a fresh database per worker class: neither inherits the other's rows
            from tests.pg import fresh_database

            url = fresh_database(opts.database_url)
        else:
            url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
        db = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
        logs = "access logs on both" if opts.access_log else "no access logs"
        print(f"\n{db}, gunicorn -w 2 {' '.join(WORKER_ARGS[worker_class])}, wrk -t2 -c32 -d{opts.seconds}s, {logs}")
        for name, rps, ratio in measure(url, worker_class, opts.seconds, opts.access_log, opts.repeat):
            print(f"  {name:<26}{rps:>10.0f} req/s   {ratio:.2f}x")


if __name__ == "__main__":
    main()
