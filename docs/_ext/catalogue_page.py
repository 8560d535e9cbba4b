"""Sphinx extension: the rule catalogue, generated from the Ningxia rulebook.

At ``builder-inited`` it loads ``rulebooks/ningxia`` with
:func:`ruledsl.rulebook.load_rulebook` and writes ``_generated/catalogue.rst``:
one section per category, and for each rule its id, Chinese name, result type,
level, stages, severity, effective dates, the policy sentence (``依据``), the
description (``说明``), its parameters (name, type, default, meaning) and how
many examples it carries.  ``catalogue.rst`` includes that file.

While the rulebook does not load (it is being written), the page says so and
lists the first problems, without a Sphinx warning, so the build stays green.
The file is rewritten only when its text changes.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

RULEBOOK = Path("rulebooks") / "ningxia"
"""The rulebook documented, relative to the repository root."""

MAX_PROBLEMS = 10


def _heading(text: str, char: str) -> list[str]:
    # East Asian characters are two columns wide; an over-long underline is valid reST.
    return [text, char * (2 * len(text) + 2), ""]


def _literal(text: str) -> str:
    """Inline literal for a table cell or paragraph (backquotes cannot nest)."""
    text = text.replace("`", "'")
    return f"``{text}``" if text.strip() else ""


def _value(value: Any) -> str:
    if value is None:
        return "空"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return f"{value:.1f}"
    return str(value)


def _type(dtype: Any) -> str:
    item = getattr(dtype, "item", None)
    if item is not None:
        return f"集合<{getattr(item, 'label', item)}>"
    return str(getattr(dtype, "label", dtype))


def _cell(text: str) -> str:
    """Text for one cell of a ``list-table`` (a single line)."""
    return " ".join(text.split()).replace("|", "\\|")


def _rule(rule: Any, book: Any) -> list[str]:
    from ruledsl.syntax.vocab import spell_value

    disabled = not rule.enabled or rule.id in book.disabled
    lines = [f".. _rule-{rule.id}:", "", *_heading(f"{rule.id} {rule.name}", "~")]
    facts = [
        ("结果类型 result", f"{spell_value('result', rule.result_type, 'zh')} "
                           f"({rule.result_type})"),
        ("层级 level", f"{spell_value('level', rule.level, 'zh')} ({rule.level})"),
        ("环节 stages", "、".join(spell_value("stage", s, "zh") for s in rule.stages)
         + f" ({', '.join(rule.stages)})"),
    ]
    if rule.severity:
        facts.append(("严重程度 severity", spell_value("severity", rule.severity, "zh")))
    start, end = rule.effective
    if start or end:
        facts.append(("生效 effective", f"{start or '…'} 至 {end or '…'}"))
    if disabled:
        facts.append(("启用 enabled", "否 (disabled)"))
    facts.append(("示例 examples", str(len(rule.examples))))
    for label, value in facts:
        lines += [f":{label}: {value}"]
    lines.append("")
    if rule.source_text:
        lines += [f"**依据** {rule.source_text}", ""]
    if rule.description:
        lines += [f"**说明** {rule.description}", ""]
    if rule.params:
        lines += [".. list-table:: 参数 parameters", "   :header-rows: 1",
                  "   :widths: 3 2 3 6", "",
                  "   * - name", "     - type", "     - default", "     - meaning"]
        for param in rule.params:
            default = book.params[param.name].default if param.name in book.params \
                else param.default
            lines += [f"   * - {_literal(param.local)}",
                      f"     - {_cell(_type(param.dtype))}",
                      f"     - {_literal(_value(default))}",
                      f"     - {_cell(param.doc or '')}"]
        lines.append("")
    return lines


def catalogue_rst(root: Path) -> str:
    """The catalogue body for the rulebook under ``root`` as reStructuredText."""
    from ruledsl.errors import DiagnosticError
    from ruledsl.rulebook import load_rulebook
    from ruledsl.syntax.vocab import CATEGORIES

    folder = root / RULEBOOK
    try:
        book = load_rulebook(folder)
    except DiagnosticError as exc:
        return _not_loading(exc.diagnostics)
    except Exception as exc:  # noqa: BLE001 - never fail the docs build on the rulebook
        return _not_loading([], f"{type(exc).__name__}: {exc}")
    lines = [f"The rulebook ``{RULEBOOK.as_posix()}`` "
             + (f"(“{book.title}”) " if book.title else "")
             + f"holds {len(book.rules)} rules, {len(book.enabled_rules)} of them enabled.", ""]
    counts = [(c, sum(r.category == c for r in book.rules)) for c in CATEGORIES]
    lines += [".. list-table::", "   :header-rows: 1", "", "   * - 类别 category", "     - rules"]
    for category, count in counts:
        lines += [f"   * - {category}", f"     - {count}"]
    lines.append("")
    lines += _index(book)
    others = sorted({r.category for r in book.rules} - set(CATEGORIES))
    for category in (*CATEGORIES, *others):
        rules = sorted((r for r in book.rules if r.category == category), key=lambda r: r.id)
        if not rules:
            continue
        lines += _heading(category, "-")
        for rule in rules:
            lines += _rule(rule, book)
    lines += _overlays(root, book)
    shared = {name: info for name, info in book.params.items() if "." not in name}
    if shared:
        lines += _heading("规则库参数 · Rulebook parameters", "-")
        lines += [".. list-table::", "   :header-rows: 1", "", "   * - name", "     - type",
                  "     - default", "     - meaning"]
        for name, info in shared.items():
            lines += [f"   * - {_literal(name)}", f"     - {_cell(_type(info.dtype))}",
                      f"     - {_literal(_value(info.default))}", f"     - {_cell(info.doc or '')}"]
        lines.append("")
    return "\n".join(lines)


def _overlays(root: Path, base: Any) -> list[str]:
    """Other rulebooks next to this one: what each overrides and disables."""
    from ruledsl.errors import DiagnosticError
    from ruledsl.rulebook import ENTRY_FILE, load_rulebook

    folder = root / RULEBOOK
    lines: list[str] = []
    for other in sorted(p for p in folder.parent.iterdir() if p.is_dir() and p != folder):
        if not (other / ENTRY_FILE).is_file():
            continue
        try:
            book = load_rulebook(other)
        except (DiagnosticError, OSError):
            continue
        if {r.id for r in base.rules} - {r.id for r in book.rules}:
            continue  # not an overlay of this rulebook
        changed = [(name, info) for name, info in book.params.items()
                   if name in base.params and base.params[name].default != info.default]
        added = [r for r in book.rules if r.id not in {b.id for b in base.rules}]
        replaced = [r for r in book.rules
                    if r.id in {b.id for b in base.rules} and r != base.rule(r.id)]
        title = f"{other.name}" + (f" · {book.title}" if book.title else "")
        lines += _heading(title, "~")
        lines += [f"``rulebooks/{other.name}`` extends this rulebook (``继承``).", ""]
        if changed:
            lines += [".. list-table:: 覆盖参数 overridden parameters", "   :header-rows: 1", "",
                      "   * - parameter", "     - 全区 default", "     - here"]
            for name, info in changed:
                lines += [f"   * - {_literal(name)}",
                          f"     - {_literal(_value(base.params[name].default))}",
                          f"     - {_literal(_value(info.default))}"]
            lines.append("")
        if book.disabled:
            shown = "、".join(f":ref:`{rid} <rule-{rid}>`" for rid in sorted(book.disabled))
            lines += [f"停用规则 disabled: {shown}", ""]
        if added or replaced:
            ids = ", ".join(r.id for r in (*added, *replaced))
            lines += [f"Own or replaced rules: {ids}", ""]
    if lines:
        lines = _heading("地方规则库 · Regional rulebooks", "-") + lines
    return lines


def _index(book: Any) -> list[str]:
    """A table of every rule, linking to its section."""
    from ruledsl.syntax.vocab import CATEGORIES, spell_value

    def order(rule: Any) -> tuple[int, str]:
        known = rule.category in CATEGORIES
        return (CATEGORIES.index(rule.category) if known else len(CATEGORIES), rule.id)

    lines = [".. list-table:: All rules", "   :header-rows: 1", "   :widths: 2 6 2 2 3", "",
             "   * - id", "     - 名称 name", "     - 层级", "     - 结果类型", "     - 环节"]
    for rule in sorted(book.rules, key=order):
        lines += [f"   * - :ref:`{rule.id} <rule-{rule.id}>`", f"     - {_cell(rule.name)}",
                  f"     - {spell_value('level', rule.level, 'zh')}",
                  f"     - {spell_value('result', rule.result_type, 'zh')}",
                  f"     - {'、'.join(spell_value('stage', s, 'zh') for s in rule.stages)}"]
    return lines + [""]


def _not_loading(diagnostics: list[Any], error: str | None = None) -> str:
    from ruledsl.diagnostics.render import render_short

    lines = [f".. note:: The rulebook ``{RULEBOOK.as_posix()}`` does not load yet (it is being "
             "written), so its rules cannot be listed. ``ruledsl check "
             f"{RULEBOOK.as_posix()}`` reports:", ""]
    shown = [render_short(d, "en").split("\n")[0] for d in diagnostics[:MAX_PROBLEMS]]
    if error:
        shown.append(error)
    if len(diagnostics) > MAX_PROBLEMS:
        shown.append(f"... and {len(diagnostics) - MAX_PROBLEMS} more")
    lines += ["   .. code-block:: text", ""] + [f"      {line}" for line in shown] + [""]
    return "\n".join(lines)


def _write(app: Sphinx) -> None:
    target = Path(app.srcdir) / "_generated" / "catalogue.rst"
    text = catalogue_rst(Path(app.srcdir).parent)
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the generator with Sphinx."""
    app.connect("builder-inited", _write)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
