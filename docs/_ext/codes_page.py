"""Sphinx extension: generate the diagnostic-code catalogue from the registry.

At ``builder-inited`` it writes ``_generated/codes.rst`` from
:data:`ruledsl.diagnostics.codes.CODES`, grouped by category; ``diagnostics.rst``
includes that file. The file is rewritten only when its text changes, so
incremental builds stay incremental.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

from ruledsl.diagnostics.codes import CATEGORIES, CODES, ErrorCode


def _heading(text: str, char: str) -> list[str]:
    # East Asian characters are wider than one column; over-long underlines are valid reST.
    return [text, char * (2 * len(text)), ""]


def _entry(code: ErrorCode) -> list[str]:
    return [
        f".. _code-{code.code}:",
        "",
        *_heading(f"{code.code} ``{code.name}``", "~"),
        f"**{code.summary_en}** — {code.summary_zh}",
        "",
        code.description_en,
        "",
        code.description_zh,
        "",
    ]


def codes_rst() -> str:
    """The catalogue page body as reStructuredText."""
    lines: list[str] = []
    for category, (title_zh, title_en) in CATEGORIES.items():
        codes = [c for c in CODES.values() if c.category == category]
        if codes:
            lines += _heading(f"{title_en} · {title_zh}", "-")
            for code in codes:
                lines += _entry(code)
    return "\n".join(lines)


def _write(app: Sphinx) -> None:
    target = Path(app.srcdir) / "_generated" / "codes.rst"
    text = codes_rst()
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the generator with Sphinx."""
    app.connect("builder-inited", _write)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
