"""The docs site builds in Sphinx's strict mode: any warning (a broken link or anchor, a page left out
of the table of contents, a missing image or include) fails the build, and with it the suite."""
import os
import re
import shutil
import subprocess
import sys

from .samples import ROOT


def build(source, out):
    return subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-n", "-q", "-b", "html",
                           str(source), str(out)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "POLLFEED_REPO": str(ROOT)})  # a copy of docs/ finds the code


def test_the_docs_build_with_no_warning(tmp_path):
    result = build(ROOT / "docs", tmp_path / "html")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "html" / "http-api.html").exists()


def test_a_broken_link_fails_the_build(tmp_path):
    """Strict mode is on: the same docs with one link to a page that does not exist do not build."""
    shutil.copytree(ROOT / "docs", tmp_path / "docs", ignore=shutil.ignore_patterns("_build"))
    shutil.copy(ROOT / "CHANGELOG.md", tmp_path / "CHANGELOG.md")  # the changelog page includes it
    page = tmp_path / "docs" / "getting-started.md"
    page.write_text(page.read_text() + "\nSee [the missing page](no-such-page.md).\n")
    result = build(tmp_path / "docs", tmp_path / "html")
    assert result.returncode != 0
    assert "no-such-page" in result.stderr


def test_every_relative_link_of_the_readmes_names_a_file():
    """The README is read on the forge, outside the site: its links are checked here, the site's by Sphinx."""
    for readme in (ROOT / "README.md", ROOT / "clients" / "python" / "README.md"):
        targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", readme.read_text())
        local = [t for t in targets if "://" not in t]
        assert local, readme
        missing = [t for t in local if not (readme.parent / t).exists()]
        assert not missing, f"{readme.relative_to(ROOT)}: {missing}"


def test_the_python_api_page_names_every_public_name():
    """docs/python-api.md documents each name of pollfeed.__all__ (a name added to the API and not to its page
    fails here)."""
    import pollfeed

    page = (ROOT / "docs" / "python-api.md").read_text()
    documented = set(re.findall(r"pollfeed\.(\w+)", page))
    missing = sorted(set(pollfeed.__all__) - documented - {"__version__"})
    assert missing == [], missing
