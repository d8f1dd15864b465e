"""Sphinx configuration: the docs site, built strictly (`-W -n`) by the test suite (tests/docs)."""
import sys
from pathlib import Path

project = "Pollfeed"
author = "The Pollfeed authors"
copyright = "2026, the Pollfeed authors"

extensions = ["myst_parser", "sphinxcontrib.mermaid", "sphinx.ext.autodoc"]

# The Python API page (python-api.md) is generated from the engine's docstrings. Type hints stay out of
# the signatures: they name Flask's and SQLAlchemy's classes, whose inventories would need the network.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
autodoc_typehints = "none"
autodoc_member_order = "bysource"
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]

# Markdown: fenced mermaid blocks are diagrams; headings up to ### get anchors that links can name
# (`[text](operations.md#under-overload)`), and a link to a missing page or anchor is a warning.
myst_fence_as_directive = ["mermaid"]
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]
suppress_warnings = []

html_theme = "furo"
html_title = "Pollfeed"
html_static_path = []
