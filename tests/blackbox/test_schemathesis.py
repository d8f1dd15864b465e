"""Schemathesis (4.x) over every operation of /openapi.json, against real gunicorn, on the test run's database.

Checks: all of them, `positive_data_acceptance` and `missing_required_header` named among them. The document
is exact (pollfeed/openapi.py); where the contract rightly answers a status a check does not expect (412 for
a generated If-Match, 428 for a missing one, 410 for a cursor of another database, 422 for a rule a schema
cannot state), `schemathesis.toml` at the project root says so, each with its reason. Phases: examples,
coverage, fuzzing, and stateful sequences that follow the document's links from each create to the item it
made. Bounded by examples per operation, seeded, so that a failure reproduces and the run fits CI.
"""
import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from ..server import Client

pytestmark = pytest.mark.blackbox

ROOT = Path(__file__).resolve().parents[2]

#: Every check, and by name the two the document's exactness is for: schema-valid requests are accepted
#: (or answered as schemathesis.toml explains), and a write without its required If-Match is refused.
CHECKS = "all,positive_data_acceptance,missing_required_header"


def pinned_operations(url, token):
    """[[operations]] that pin real resources of the fuzzer's for some conditional writes.

    `missing_required_header` judges the coverage phase's requests that leave a required header out; with a
    generated id they are 404 before any header is read, and the check lets them pass. Pinned to rows that
    exist, a write without If-Match must be refused (428), so the check bites. Only writes that keep their
    row are pinned, so that a pinned row outlives the run.
    """
    c = Client(url, token)
    project = c.post("/projects", {"name": "Pinned"}).json()["id"]
    status = c.post(f"/projects/{project}/statuses", {"name": "Todo"}).json()["id"]
    task = c.post(f"/projects/{project}/tasks", {"title": "Pinned", "status_id": status}).json()["id"]
    event = c.post(f"/projects/{project}/events", {"title": "Pinned", "starts_at": "2030-01-01T09:00:00Z",
                                                   "ends_at": "2030-01-01T10:00:00Z", "capacity": 5}).json()["id"]
    pins = [("PATCH", "/projects/{project_id}", "project_id", project),
            ("POST", "/projects/{project_id}/notifications/mark-all-read", "project_id", project),
            ("PATCH", "/tasks/{task_id}", "task_id", task),
            ("POST", "/events/{event_id}/decision", "event_id", event)]
    return "".join(f'\n[[operations]]\ninclude-name = "{method} {path}"\nparameters = {{ {name} = "{value}" }}\n'
                   for method, path, name, value in pins)


def test_schemathesis_finds_nothing(server, tmp_path):
    token = server.user("fuzzer")
    config = tmp_path / "schemathesis.toml"
    config.write_text((ROOT / "schemathesis.toml").read_text() + pinned_operations(server.url, token))
    cmd = [
        str(Path(sys.executable).with_name("schemathesis")), "--config-file", str(config),
        "run", f"{server.url}/openapi.json",
        "-H", f"Authorization: Bearer {token}",
        "--checks", CHECKS,
        "--max-examples", os.environ.get("SCHEMATHESIS_EXAMPLES", "30"), "--seed", "1",
        "--generation-database", "none", "--workers", "1", "--request-timeout", "30",
        "--report", "junit", "--report-dir", str(tmp_path),
    ]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900,
                         env={**os.environ, "NO_COLOR": "1"})
    tail = out.stdout[-6000:] + out.stderr[-2000:]
    assert out.returncode == 0, tail
    summary = out.stdout.rsplit("SUMMARY", 1)[-1]
    spec = json.loads(urllib.request.urlopen(f"{server.url}/openapi.json").read())
    operations = sum(1 for ops in spec["paths"].values() for m in ops if m in ("get", "post", "put", "patch", "delete"))
    assert f"Selected: {operations}/{operations}" in summary and f"Tested: {operations}" in summary, tail
    for phase in ("Coverage", "Fuzzing", "Stateful"):
        assert f"✅ {phase}" in summary, (phase, tail)
