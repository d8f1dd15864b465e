"""Sphinx configuration: the docs site, built strictly (`-W -n`) by the test suite (tests/docs)."""
import os
import subprocess
import sys
from pathlib import Path

# The repository: this file's parent's parent, unless the build is of a copy of docs/ (tests/docs).
ROOT = Path(os.environ.get("POLLFEED_REPO") or Path(__file__).resolve().parents[1])

project = "Pollfeed"
author = "The Pollfeed authors"
copyright = "2026, the Pollfeed authors"

extensions = ["myst_parser", "sphinxcontrib.mermaid", "sphinx.ext.autodoc"]

# The Python API page (python-api.md) is generated from the engine's docstrings. Type hints stay out of
# the signatures: they name Flask's and SQLAlchemy's classes, whose inventories would need the network.
sys.path.insert(0, str(ROOT))
autodoc_typehints = "none"
autodoc_member_order = "bysource"
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_generated"]

# Markdown: fenced mermaid blocks are diagrams; headings up to ### get anchors that links can name
# (`[text](operations.md#under-overload)`), and a link to a missing page or anchor is a warning.
myst_fence_as_directive = ["mermaid"]
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]
suppress_warnings = []

html_theme = "furo"
html_title = "Pollfeed"
html_static_path = []


def client_reference(app):
    """The browser client's API page (client-api.md) includes a reference generated from the npm
    package's types by its own script, with the package's TypeScript (clients/js: `npm ci` first)."""
    out = Path(app.srcdir) / "_generated" / "client-api.md"
    out.parent.mkdir(exist_ok=True)
    subprocess.run(["node", str(ROOT / "clients/js/scripts/reference.mjs"), str(out)], check=True)


def setup(app):
    app.connect("builder-inited", client_reference)
