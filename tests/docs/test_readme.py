"""The README is a two-minute read, and its Flask quickstart is the tested example app's own code."""
import re

from .samples import ROOT

README = ROOT / "README.md"
HELPDESK = ROOT / "examples" / "helpdesk" / "helpdesk"


def test_the_readme_is_short():
    assert len(README.read_bytes()) <= 12 * 1024


def quickstart_lines(text):
    """The code lines of the README's ```python blocks: not blank, not `...` (a part left out)."""
    blocks = re.findall(r"^```python\n(.*?)^```", text, re.S | re.M)
    assert blocks, "the README has a Python quickstart"
    lines = [line.split("  #")[0].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line and not line.startswith("...")]


def missing_from_the_example(text):
    source = {line.split("  #")[0].strip() for path in HELPDESK.glob("*.py") for line in path.read_text().splitlines()}
    return [line for line in quickstart_lines(text) if line not in source]


def test_the_flask_quickstart_is_taken_from_the_example_app():
    """examples/helpdesk runs in CI on both databases (tests/examples): every line the quickstart shows is
    one of its lines, so the quickstart cannot drift from code that works."""
    assert missing_from_the_example(README.read_text()) == []


def test_a_quickstart_line_the_example_does_not_have_is_found():
    text = README.read_text().replace("pf.init_app(app, api=api)", "pf.init_app(app, api=api, scope_param='team')")
    assert missing_from_the_example(text) == ["pf.init_app(app, api=api, scope_param='team')"]
