"""The npm package's own checks, in the suite: its types (tsc over the JSDoc sources, then a typed usage
file whose @ts-expect-error lines must each meet an error, compiled under moduleResolution NodeNext, bundler
and node) and its unit tests (node's test runner; among them the core's size budget, measured by
bench/client_size.mjs)."""
import subprocess
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "clients" / "js"


def run(*args):
    if not (PACKAGE / "node_modules").exists():
        pytest.fail("clients/js/node_modules is missing: scripts/test runs `npm ci` there")
    return subprocess.run(args, cwd=PACKAGE, capture_output=True, text=True, timeout=300)


def test_the_types_check_and_a_typed_usage_compiles():
    out = run("npm", "run", "check")
    assert out.returncode == 0, out.stdout + out.stderr


def test_the_unit_tests_pass():
    out = run("node", "--test", "test/")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "# fail 0" in out.stdout and "# pass 0" not in out.stdout
