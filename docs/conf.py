"""Sphinx configuration for the ruledsl documentation."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))  # build without installing the package
sys.path.insert(0, str(HERE / "_ext"))

project = "ruledsl"
author = "ruledsl contributors"
copyright = "ruledsl contributors"
release = "0.1.0"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.doctest",
    "codes_page",
    "ruledsl_example",
    "catalogue_page",
]
# No intersphinx: builds run without network access.

autodoc_member_order = "bysource"
napoleon_google_docstring = True
napoleon_numpy_docstring = False
nitpicky = False

exclude_patterns = ["_build", "_generated"]
html_theme = "alabaster"
html_static_path: list[str] = []
