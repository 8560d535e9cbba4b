"""Three renderings of one :class:`~ruledsl.diagnostics.model.Diagnostic`.

- :func:`render_short`: ``file:line:col: error: message [E0201]``, one line
  (plus indented ``help:``/``note:`` lines), for logs and editors.
- :func:`render_rich`: an ariadne/miette-style snippet of the source with the
  span underlined, coloured only when asked to.
- :func:`render_json`: a JSON list for ``--format json`` and editor integrations.

Messages come in Chinese (``lang="zh"``, the default) or English (``"en"``).
Columns in ``file:line:col`` count characters (what editors jump to); the
underline of the rich snippet is laid out in terminal cells, where East Asian
wide characters take two (:func:`display_width`).

Example:
    >>> from ruledsl.diagnostics.model import Diagnostic
    >>> from ruledsl.source import SourceFile, Span
    >>> src = SourceFile("a.rules", "当 明细.金额x > 0")
    >>> d = Diagnostic.error("E0202", Span(5, 8, src), zh='未知字段 "金额x"',
    ...                      en='unknown field "金额x"', help_zh='是否应为 "金额"?',
    ...                      help_en='did you mean "金额"?')
    >>> print(render_short(d, "en"))
    a.rules:1:6: error: unknown field "金额x" [E0202]
      help: did you mean "金额"?
    >>> print(render_rich(d, "en"))
    error[E0202]: unknown field "金额x"
       ╭─[a.rules:1:6]
     1 │ 当 明细.金额x > 0
       │         ─────
       │ help: did you mean "金额"?
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Literal, NamedTuple

from ..source import SourceFile, Span
from .codes import CODES
from .model import Diagnostic, Label, Severity, Text

Format = Literal["short", "rich", "json"]
FORMATS: tuple[str, ...] = ("short", "rich", "json")
"""The values accepted by :func:`render_all` (and the CLI's ``--format``)."""

TAB_WIDTH = 4
"""Terminal cells a tab is expanded to in source snippets."""

MAX_LINE_CHARS = 160
"""A longer source line is shown as this many characters around its labels, cut with ``…``."""

_SEVERITY = {
    Severity.ERROR: Text("错误", "error"),
    Severity.WARNING: Text("警告", "warning"),
    Severity.NOTE: Text("提示", "note"),
}
_HELP = Text("帮助", "help")
_NOTE = Text("注", "note")
_MORE = Text("... 另有 {n} 条", "... and {n} more")

# SGR colour codes.
_BOLD, _DIM, _RED, _YELLOW, _BLUE, _CYAN = "1", "2", "31", "33", "34", "36"
_SEVERITY_COLOR = {Severity.ERROR: _RED, Severity.WARNING: _YELLOW, Severity.NOTE: _CYAN}


def char_width(ch: str) -> int:
    """Terminal cells taken by one character.

    Wide and full-width characters (CJK, full-width punctuation) take 2,
    combining marks and other zero-width characters 0, a tab
    :data:`TAB_WIDTH`, everything else 1.

    Example:
        >>> char_width("a"), char_width("金"), char_width("，"), char_width("\\u0301")
        (1, 2, 2, 0)
    """
    if ch == "\t":
        return TAB_WIDTH
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf", "Cc"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def display_width(text: str) -> int:
    """Terminal cells taken by ``text`` (see :func:`char_width`).

    Example:
        >>> display_width("明细.amount")
        11
    """
    return sum(char_width(ch) for ch in text)


def render_short(d: Diagnostic, lang: str = "zh") -> str:
    """Render ``d`` as ``file:line:col: error: message [code]``.

    Help and notes follow on their own indented lines. A diagnostic without a
    located span has no ``file:line:col:`` prefix.

    Args:
        d: The diagnostic.
        lang: ``zh`` or ``en``.

    Returns:
        The rendering, without a trailing newline.

    Example:
        >>> from ruledsl.diagnostics.model import Diagnostic
        >>> print(render_short(Diagnostic.error("D0005", None, zh="文件为空", en="empty file")))
        错误: 文件为空 [D0005]
    """
    head = f"{_SEVERITY[d.severity].get(lang)}: {d.message(lang)} [{d.code}]"
    span = _located(d.span)
    if span is not None:
        head = f"{_location(span)}: {head}"
    return "\n".join([head, *(f"  {word}: {text}" for word, text in _footer(d, lang))])


def render_rich(d: Diagnostic, lang: str = "zh", color: bool = False) -> str:
    """Render ``d`` as an ariadne-style source snippet.

    Each located label's first line is shown with a line-number gutter and the
    label's span underlined with ``─``; a label with text gets a ``┬`` and a
    ``╰──`` line carrying its text. A span running over several lines is
    underlined to the end of its first line. Labels in other files get their
    own ``├─[file:line:col]`` section. Help and notes close the snippet.

    Args:
        d: The diagnostic.
        lang: ``zh`` or ``en``.
        color: Emit ANSI colours. Pass ``True`` only for a terminal, and
            never when ``NO_COLOR`` is set.

    Returns:
        The rendering, without a trailing newline.
    """
    paint = _Painter(color)
    sev_color = _SEVERITY_COLOR[d.severity]
    lines = [
        paint(f"{_SEVERITY[d.severity].get(lang)}[{d.code}]", _BOLD, sev_color)
        + paint(f": {d.message(lang)}", _BOLD)
    ]
    groups = _group_labels(d)
    if not groups:
        lines += [f"  {paint(word, _CYAN)}: {text}" for word, text in _footer(d, lang)]
        return "\n".join(lines)

    width = max(len(str(lab.span.line)) for _, labels in groups for lab in labels)
    indent = " " * (width + 2)
    bar = paint(indent + "│", _DIM)
    for i, (source, labels) in enumerate(groups):
        first = next((lab.span for lab in labels if lab.primary), labels[0].span)
        corner = "╭" if i == 0 else "├"
        lines.append(paint(f"{indent}{corner}─[{_location(first)}]", _DIM))
        if not source.text:  # a folder, or a file that could not be read: nothing to show
            continue
        by_line: dict[int, list[Label]] = {}
        for lab in labels:
            by_line.setdefault(lab.span.line, []).append(lab)
        previous = None
        for line_no in sorted(by_line):
            if previous is not None and line_no > previous + 1:
                lines.append(paint(indent + "┆", _DIM))
            previous = line_no
            text, cut = _window(source.line_text(line_no).rstrip("\r"), by_line[line_no])
            shown = text.replace("\t", " " * TAB_WIDTH)
            lines.append(f"{paint(f' {line_no:>{width}} │', _DIM)} {shown}".rstrip())
            marks = _marks(text, cut, line_no, by_line[line_no], lang, sev_color)
            lines += [f"{bar} {row}" for row in _mark_rows(marks, paint)]
    lines += [f"{bar} {paint(word, _CYAN)}: {text}" for word, text in _footer(d, lang)]
    return "\n".join(lines)


def render_json(diags: Iterable[Diagnostic], lang: str = "zh") -> str:
    """Render diagnostics as a JSON list, one object per diagnostic.

    Each object has ``code``, ``name`` (kebab-case, ``null`` if unregistered),
    ``severity``, ``message``, ``file``, ``line``, ``column``, ``end_line``,
    ``end_column`` (exclusive), ``help`` and ``notes``. Positions are 1-based
    character positions, ``null`` when the diagnostic has no located span.

    Example:
        >>> from ruledsl.diagnostics.model import Diagnostic
        >>> from ruledsl.source import SourceFile, Span
        >>> d = Diagnostic.error("E0205", Span(0, 3, SourceFile("a.rules", "foo(1)")),
        ...                      zh="未知函数", en="unknown function")
        >>> json.loads(render_json([d], "en"))[0]["end_column"]
        4
    """
    return json.dumps([_record(d, lang) for d in diags], ensure_ascii=False, indent=2)


def render_all(
    diags: Sequence[Diagnostic],
    fmt: str = "short",
    lang: str = "zh",
    color: bool = False,
    limit: int | None = None,
) -> str:
    """Render several diagnostics in one format, in the order given.

    Args:
        diags: The diagnostics.
        fmt: One of :data:`FORMATS`.
        lang: ``zh`` or ``en``.
        color: Colour the ``rich`` format (see :func:`render_rich`).
        limit: Show at most this many and end with ``... and N more``. JSON is
            never capped.

    Returns:
        The rendering, without a trailing newline.

    Raises:
        ValueError: If ``fmt`` is not one of :data:`FORMATS`.

    Example:
        >>> from ruledsl.diagnostics.model import Diagnostic
        >>> ds = [Diagnostic.error("D0005", None, zh="空", en=f"file {i} is empty") for i in range(3)]
        >>> print(render_all(ds, "short", "en", limit=2))
        error: file 0 is empty [D0005]
        error: file 1 is empty [D0005]
        ... and 1 more
    """
    if fmt == "json":
        return render_json(diags, lang)
    if fmt == "short":
        parts, sep = [render_short(d, lang) for d in diags[:limit]], "\n"
    elif fmt == "rich":
        parts, sep = [render_rich(d, lang, color) for d in diags[:limit]], "\n\n"
    else:
        raise ValueError(f"unknown diagnostics format {fmt!r}; expected one of {FORMATS}")
    if limit is not None and len(diags) > limit:
        parts.append(_MORE.get(lang).format(n=len(diags) - limit))
    return sep.join(parts)


# -- helpers -------------------------------------------------------------------


class _Painter:
    """Wraps text in ANSI SGR codes, or returns it unchanged when colour is off."""

    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, *codes: str) -> str:
        if not self.color or not codes or not text:
            return text
        return f"\x1b[{';'.join(codes)}m{text}\x1b[0m"


def _located(span: Span | None) -> Span | None:
    """``span`` if it points into a source file, else ``None``."""
    return span if span is not None and span.source is not None else None


def _location(span: Span) -> str:
    return f"{span.name}:{span.line}:{span.column}"


def _footer(d: Diagnostic, lang: str) -> list[tuple[str, str]]:
    """The (word, text) lines after a diagnostic: notes, then help."""
    rows = [(_NOTE.get(lang), note.get(lang)) for note in d.notes]
    if d.help is not None:
        rows.append((_HELP.get(lang), d.help.get(lang)))
    return rows


def _group_labels(d: Diagnostic) -> list[tuple[SourceFile, list[Label]]]:
    """Located labels grouped by file, the primary span's file first."""
    groups: dict[str, tuple[SourceFile, list[Label]]] = {}
    labels = sorted(
        (lab for lab in d.labels if _located(lab.span) is not None),
        key=lambda lab: not lab.primary,
    )
    for lab in labels:
        source = lab.span.source
        assert source is not None
        groups.setdefault(source.name, (source, []))[1].append(lab)
    return list(groups.values())


class _Mark(NamedTuple):
    """One label laid out on its line, in terminal cells."""

    start: int
    width: int
    text: str | None
    color: str

    @property
    def anchor(self) -> int:
        """Where the ``┬`` and ``╰──`` of a label with text go."""
        return self.start + self.width // 2


def _window(text: str, labels: list[Label]) -> tuple[str, int]:
    """The part of a source line shown, and ``cut``: character ``i`` of the line is at ``i - cut``.

    A line of at most :data:`MAX_LINE_CHARS` characters is shown whole; a longer one (a
    generated file, a runaway string) from a little before its primary label (else its first),
    ``…`` marking each end that is cut off; labels outside the part are drawn at its ends.
    """
    if len(text) <= MAX_LINE_CHARS:
        return text, 0
    key = next((lab for lab in labels if lab.primary), min(labels, key=lambda lab: lab.span.start))
    begin = max(0, min(key.span.column - 11, len(text) - MAX_LINE_CHARS))
    end = begin + MAX_LINE_CHARS
    head = "…" if begin else ""
    return head + text[begin:end] + ("…" if end < len(text) else ""), begin - len(head)


def _marks(
    text: str, cut: int, line_no: int, labels: list[Label], lang: str, color: str
) -> list[_Mark]:
    """Lay out the labels of line ``line_no``, shown as ``text`` (``cut``: see :func:`_window`);
    secondary labels are blue."""
    marks = []
    for lab in labels:
        source = lab.span.source
        assert source is not None
        begin = min(max(0, source.line_col(lab.span.start)[1] - 1 - cut), len(text))
        end_line, end_col = source.line_col(lab.span.end)
        end = min(end_col - 1 - cut, len(text)) if end_line == line_no else len(text)
        marks.append(
            _Mark(
                display_width(text[:begin]),
                max(1, display_width(text[begin:end])),
                lab.text.get(lang) if lab.text else None,
                color if lab.primary else _BLUE,
            )
        )
    return marks


def _mark_rows(marks: list[_Mark], paint: _Painter) -> list[str]:
    """The underline row and the ``╰──`` rows (rightmost label first) for one line."""
    cells: list[tuple[str, str | None]] = [(" ", None)] * max(m.start + m.width for m in marks)
    for m in marks:
        cells[m.start : m.start + m.width] = [("─", m.color)] * m.width
        if m.text is not None:
            cells[m.anchor] = ("┬", m.color)
    rows = [_join_cells(cells, paint)]
    pending = sorted((m for m in marks if m.text is not None), key=lambda m: -m.anchor)
    for k, m in enumerate(pending):
        row: list[tuple[str, str | None]] = [(" ", None)] * m.anchor
        for left in pending[k + 1 :]:
            if left.anchor < m.anchor:  # labels drawn at one place share the rightmost's line
                row[left.anchor] = ("│", left.color)
        rows.append(_join_cells(row, paint) + paint("╰──", m.color) + f" {m.text}")
    return rows


def _join_cells(cells: list[tuple[str, str | None]], paint: _Painter) -> str:
    """Join styled cells, painting runs of one colour together."""
    out, run, run_color = [], "", None
    for ch, color in cells:
        if color != run_color:
            out.append(paint(run, run_color) if run_color else run)
            run, run_color = "", color
        run += ch
    out.append(paint(run, run_color) if run_color else run)
    return "".join(out)


def _record(d: Diagnostic, lang: str) -> dict[str, object]:
    """The JSON object for one diagnostic."""
    span = _located(d.span)
    start: tuple[int | None, int | None] = (None, None)
    end = start
    if span is not None and span.source is not None:
        start, end = span.source.line_col(span.start), span.source.line_col(span.end)
    code = CODES.get(d.code)
    return {
        "code": d.code,
        "name": code.name if code is not None else None,
        "severity": d.severity.value,
        "message": d.message(lang),
        "file": span.name if span is not None else None,
        "line": start[0],
        "column": start[1],
        "end_line": end[0],
        "end_column": end[1],
        "help": d.help.get(lang) if d.help is not None else None,
        "notes": [note.get(lang) for note in d.notes],
    }
