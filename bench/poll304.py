"""The 304 budget: Pollfeed's conditional polls side by side with a bare Flask 304, same gunicorn settings.

Usage: .venv/bin/python bench/poll304.py [--seconds 10] [--database-url URL]
Prints requests/second for each and the ratio to the bare endpoint (aim: 0.8x).
Needs wrk (scripts/ensure-debs wrk). Ratios, not absolute numbers: wrk shares the 2 cores.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.server import Client, Server, free_port  # noqa: E402


def wrk(url, token, etag, seconds):
    args = ["wrk", "-t2", "-c32", f"-d{seconds}s", "-H", f"If-None-Match: {etag}", url]
    if token:
        args[1:1] = ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    assert non2xx is None, out
    return rps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--database-url", default=None)
    opts = ap.parse_args()
    subprocess.run([str(ROOT / "scripts/ensure-debs"), "wrk"], check=True)
    tmp = tempfile.mkdtemp()
    url = opts.database_url or f"sqlite:///{tmp}/bench.db"
    env = {"ACCESS_LOG": "/dev/null"}
    with Server(url, workers=2, env=env) as server:
        token = server.user("bench")
        c = Client(server.url, token)
        p = c.post("/projects", {"name": "bench"}).json()
        s = c.post(f"/projects/{p['id']}/statuses", {"name": "Todo"}).json()
        task = None
        for i in range(300):
            task = c.post(f"/projects/{p['id']}/tasks", {"title": f"task {i}", "status_id": s["id"]}).json()
        for i in range(300):
            c.post(f"/projects/{p['id']}/customers", {"first_name": f"Customer {i}",
                                                      "last_name": "Smith" if i % 3 == 0 else "Jones"})
        targets = {}
        for name, path in [("item", f"/tasks/{task['id']}"),
                           ("list (300 items)", f"/projects/{p['id']}/tasks?limit=1000"),
                           ("feed", "/changes?since=" + c.get("/changes?since=now").json()["next"]),
                           ("search (100 of 300)", f"/projects/{p['id']}/customers?q=smith&limit=1000"),
                           ("unread-count badge", f"/projects/{p['id']}/notifications/unread-count")]:
            targets[name] = (server.url + path, c.get(path).header("ETag"))
        port = free_port()
        bare = subprocess.Popen([sys.executable, "-m", "gunicorn", "bare:app", "-w", "2", "-k", "sync",
                                 "--bind", f"127.0.0.1:{port}"], cwd=ROOT / "bench",
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ})
        try:
            import time

            time.sleep(1.5)
            base = wrk(f"http://127.0.0.1:{port}/bare", None, '"v1"', opts.seconds)
            print(f"{'bare Flask 304':<22}{base:>10.0f} req/s   1.00x")
            for name, (target, etag) in targets.items():
                rps = wrk(target, token, etag, opts.seconds)
                print(f"{name + ' 304':<22}{rps:>10.0f} req/s   {rps / base:.2f}x")
        finally:
            bare.terminate()
            bare.wait()


if __name__ == "__main__":
    main()
