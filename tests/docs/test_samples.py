"""Every pycon and console sample of the docs runs against a real gunicorn (tests/docs/samples.py)."""
import os

import pytest

from ..server import Server
from ..support import server_database
from .samples import blocks, pages, run_console, run_pycon

PAGES = [p for p in pages() if blocks(p)]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The server as scripts/serve runs it (default settings), on its own database."""
    with Server(server_database(tmp_path_factory), workers=2) as s:
        yield s


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_the_samples_print_what_they_say(page, served, monkeypatch):
    env = {"POLLFEED_URL": served.url, "POLLFEED_TOKEN": served.user(f"reader-{page.stem}")}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    found = blocks(page)
    failures = run_pycon(page, [b for b in found if b.language == "pycon"], {**os.environ, **env})
    failures += "".join(run_console(b, {**os.environ, **env}) for b in found if b.language == "console")
    assert not failures, failures


def test_a_sample_that_prints_something_else_fails(tmp_path, served):
    """The runner can fail: a wrong expected output in either kind of block is reported."""
    page = tmp_path / "wrong.md"
    page.write_text("```pycon\n>>> 1 + 1\n3\n```\n\n```console\n$ echo two\nthree\n```\n")
    found = blocks(page)
    assert [b.language for b in found] == ["pycon", "console"]
    assert "Expected:\n    3\nGot:\n    2" in run_pycon(page, found[:1])
    assert "expected:\nthree\ngot (exit 0):\ntwo" in run_console(found[1], dict(os.environ))
