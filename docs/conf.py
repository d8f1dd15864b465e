"""Sphinx configuration: the docs site, built strictly (`-W -n`) by the test suite (tests/docs)."""
project = "Pollfeed"
author = "The Pollfeed authors"
copyright = "2026, the Pollfeed authors"

extensions = ["myst_parser", "sphinxcontrib.mermaid"]
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
