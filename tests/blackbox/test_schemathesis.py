"""Schemathesis (4.x) over every operation of /openapi.json, against real gunicorn, on the test run's database.

Checks: all of them but `positive_data_acceptance`, which expects every
schema-valid body to be accepted; the server also checks what a schema cannot
say (a task's status must be a status of the same project, a booking needs an
approved event), and answers those with a documented 422 or 409. Phases:
examples, coverage, fuzzing, and stateful sequences that follow the document's
links from each create to the item it made. Bounded by examples per operation,
seeded, so that a failure reproduces and the run fits CI.
"""
import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.blackbox

ROOT = Path(__file__).resolve().parents[2]


def test_schemathesis_finds_nothing(server, tmp_path):
    token = server.user("fuzzer")
    cmd = [
        str(Path(sys.executable).with_name("schemathesis")), "run", f"{server.url}/openapi.json",
        "-H", f"Authorization: Bearer {token}",
        "--checks", "all", "--exclude-checks", "positive_data_acceptance",
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
