"""How many polling dashboards one core holds with p99 < 100 ms, for a realistic mix.

Usage: .venv/bin/python bench/capacity.py [--seconds 15] [--database-url URL] [--worker-class sync gthread]

The model (issue 10): 25% of dashboards are visible and poll every 5 s, 75% are hidden and poll every
60 s; there is 1 write per second per 100 dashboards. A dashboard follows its project's feed
(`/changes?since=...&project=...`, If-None-Match), and a project has 10 dashboards open; writes fall on
projects at random. So a poll finds something new (a 200 with the change) when a write hit its
project since its last poll: with probability 1 - exp(-w * interval), w being the project's write rate.
Per dashboard-second that is, from the model's numbers (printed at the start):
  polls answered 304, polls answered 200, and writes (a PATCH with If-Match).

How it is measured: Pollfeed under gunicorn with ONE worker pinned to core 0, wrk with one thread pinned
to core 1, replaying that mix (bench/capacity.lua) at 1, 2, 4, ... connections, 15 s each. wrk is
closed-loop, so each step gives a throughput and its latency percentiles; the capacity is the highest
throughput whose p99 stays under 100 ms, divided by the requests one dashboard makes per second.
The 304 polls name projects that take no writes (they stay 304), the 200 polls ask for one change of a
quiet project with a stale tag (a page of one change, as a real catch-up is), and the writes go to
other projects' tasks: the mix stays the same for the whole run.
"""
import argparse
import math
import os
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.server import Client, Server  # noqa: E402

VISIBLE, HIDDEN = (0.25, 5.0), (0.75, 60.0)  # (share of dashboards, poll interval in seconds)
WRITES_PER_DASHBOARD = 1 / 100
DASHBOARDS_PER_PROJECT = 10
P99_LIMIT_MS = 100.0
WORKER_ARGS = {"sync": ["-k", "sync"], "gthread": ["-k", "gthread", "--threads", "4"]}


def model():
    """(304 polls, 200 polls, writes) per dashboard-second."""
    per_project = WRITES_PER_DASHBOARD * DASHBOARDS_PER_PROJECT  # writes/s landing on one project
    fresh = stale = 0.0
    for share, interval in (VISIBLE, HIDDEN):
        rate = share / interval
        p_new = 1 - math.exp(-per_project * interval)
        fresh += rate * p_new
        stale += rate * (1 - p_new)
    return stale, fresh, WRITES_PER_DASHBOARD


def seed(c, projects=12, tasks=20):
    ids = []
    for i in range(projects):
        pid = c.post("/projects", {"name": f"capacity {i}"}).json()["id"]
        status = c.post(f"/projects/{pid}/statuses", {"name": "Todo"}).json()["id"]
        before = c.get(f"/changes?since=now&project={pid}").json()["next"]
        task_ids = [c.post(f"/projects/{pid}/tasks", {"title": f"task {n}", "status_id": status}).json()["id"]
                    for n in range(tasks)]
        ids.append((pid, task_ids, before))
    return ids


def mix_file(c, ids, token, n=3000, writes_only=False):
    stale, fresh, writes = (0.0, 0.0, 1.0) if writes_only else model()
    total = stale + fresh + writes
    quiet, written = ids[: len(ids) // 2], ids[len(ids) // 2:]
    auth = f"Authorization: Bearer {token}"
    lines = []
    rng = random.Random(7)
    polls = {}
    for pid, _tasks, _ in quiet:  # a cursor one change before the head: a one-change page
        last = c.get(f"/changes?project={pid}&limit=1000").json()["changes"]
        one_back = last[-2]["cursor"]
        head = c.get(f"/changes?since=now&project={pid}").json()["next"]
        at_head = f"/changes?since={head}&project={pid}"
        polls[pid] = (f"/changes?since={one_back}&project={pid}", at_head, c.get(at_head).header("ETag"))
    for i in range(n):
        u = rng.random() * total
        if u < stale:
            pid = rng.choice(quiet)[0]
            _, path, etag = polls[pid]
            lines.append(("GET", path, [auth, f"If-None-Match: {etag}"], ""))
        elif u < stale + fresh:
            pid = rng.choice(quiet)[0]
            path, _, _ = polls[pid]
            lines.append(("GET", path, [auth, 'If-None-Match: "stale"'], ""))
        else:
            _, task_ids, _ = rng.choice(written)
            lines.append(("PATCH", f"/tasks/{rng.choice(task_ids)}",
                          [auth, "If-Match: *", "Content-Type: application/json"], f'{{"title": "edit {i}"}}'))
    path = Path(tempfile.mkdtemp()) / "mix.tsv"
    path.write_text("".join(f"{m}\t{p}\t{chr(31).join(h)}\t{b}\n" for m, p, h, b in lines))
    return path


def pin(server_pid, cpu):
    """The gunicorn master and its workers on one core."""
    pids = [server_pid]
    children = Path(f"/proc/{server_pid}/task/{server_pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for pid in pids:
        os.sched_setaffinity(pid, {cpu})


def wrk(url, script, mix, connections, seconds, cpu):
    args = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url, "--", str(mix)]
    if os.cpu_count() and os.cpu_count() > 1:
        args = ["taskset", "-c", str(cpu), *args]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    p99_ms = float(p99.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    ok, not_modified, other = map(int, re.search(r"statuses: 2xx=(\d+) 304=(\d+) other=(\d+)", out).groups())
    return rps, p99_ms, (int(bad.group(1)) if bad else 0) + other, errors.group(1) if errors else "", \
        not_modified / max(1, ok + not_modified)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--worker-class", nargs="+", default=["sync"], choices=sorted(WORKER_ARGS))
    ap.add_argument("--connections", type=int, nargs="+", default=[1, 2, 4, 8, 16, 32])
    ap.add_argument("--writes-only", action="store_true",
                    help="only the mix's writes (conditional PATCHes): how each worker class holds writes")
    opts = ap.parse_args()
    subprocess.run([str(ROOT / "scripts/ensure-debs"), "wrk"], check=True)
    stale, fresh, writes = model()
    per_dashboard = stale + fresh + writes
    print(f"model: per dashboard-second {stale:.4f} polls answered 304, {fresh:.4f} answered 200, "
          f"{writes:.4f} writes ({per_dashboard:.4f} requests); "
          f"{fresh / (stale + fresh):.0%} of polls find a change; {stale / per_dashboard:.0%} of responses are 304")
    for worker_class in opts.worker_class:
        if opts.database_url:  # a fresh database per worker class: neither inherits the other's rows
            from tests.pg import fresh_database

            url = fresh_database(opts.database_url)
        else:
            url = f"sqlite:///{tempfile.mkdtemp()}/capacity.db"
        db = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
        with Server(url, workers=1, access_log=False, extra_args=WORKER_ARGS[worker_class]) as server:
            token = server.user("capacity")
            c = Client(server.url, token)
            mix = mix_file(c, seed(c), token, writes_only=opts.writes_only)
            pin(server.proc.pid, 0)
            print(f"\n{db}, gunicorn -w 1 {' '.join(WORKER_ARGS[worker_class])} on core 0, wrk -t1 on core 1, "
                  f"{opts.seconds} s per step")
            print(f"  {'connections':>11} {'req/s':>8} {'p99 ms':>8} {'304s':>10} {'non-2xx/3xx':>12}"
                  "  socket errors")
            best = 0.0
            for n in opts.connections:
                rps, p99, bad, errors, share = wrk(server.url, ROOT / "bench/capacity.lua", mix, n, opts.seconds, 1)
                print(f"  {n:>11} {rps:>8.0f} {p99:>8.1f} {share:>10.0%} {bad:>12}  {errors or '-'}")
                if p99 < P99_LIMIT_MS and bad == 0 and not errors:
                    best = max(best, rps)
            print(f"  capacity: {best:.0f} req/s with p99 < {P99_LIMIT_MS:.0f} ms = "
                  f"{best / per_dashboard:,.0f} dashboards on one core")


if __name__ == "__main__":
    main()
