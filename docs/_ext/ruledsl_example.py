"""Sphinx extension: rule examples that are checked when the documentation is built.

Directives
----------

``.. ruledsl-example::``
    The content is rule text (one or more complete rules, or rulebook items).
    At build time it is parsed and checked with :func:`ruledsl.rulebook.load_text`;
    every diagnostic becomes a Sphinx warning, so ``sphinx -W`` fails the build
    when the documentation shows a rule the language rejects.  Options:

    ``:lang: zh|en``
        The keyword language the text is written in (default ``zh``); a keyword
        spelled in the other language is reported.
    ``:fails: E0202``
        The example must be rejected with this diagnostic code (a warning is
        given when it is not).  The diagnostics are shown under the text.
    ``:caption: text``
        A caption above the code block.

``.. ruledsl-pair::``
    Chinese rule text, checked like ``ruledsl-example``, shown side by side with
    the same rule in English keywords as ``ruledsl fmt --lang en`` prints it
    (:func:`ruledsl.ast.printer.to_source`); the English text is checked too.
    Without the printer, only the Chinese text is shown.

``.. ruledsl-rulebook::``
    Several files, each introduced by a ``== path ==`` line, written to a
    temporary folder; the folder named by ``:load:`` is loaded with
    :func:`ruledsl.rulebook.load_rulebook` (``:fails: E0105`` for one that must
    be rejected) and the rules and parameter values it ends up with are shown.

``.. ruledsl-explain::``
    Rule text and the plan ``ruledsl explain`` prints for it (``:rule:`` one
    rule, ``:only: agg`` only the lines of that kind).

``.. ruledsl-load::``
    CSV files (``== name.csv ==`` sections, written in ``:encoding:``) loaded by
    :func:`ruledsl.data.load.load_tables` (``:kind:``, ``:only:``); shows the
    loaded schema or the diagnostics (``:fails: D0003`` when it must fail).

``.. ruledsl-keywords::``, ``.. ruledsl-units::``, ``.. ruledsl-functions::``,
``.. ruledsl-values::``, ``.. ruledsl-derived::``, ``.. ruledsl-schema:: claims|kb|output``
    Tables generated from the language's own tables (``syntax/keywords.py``,
    ``syntax/vocab.py``, ``check/functions.py``, ``schema/derived.py``,
    ``schema/contract.py``), so the reference cannot drift from the code.

With ``:firings:``, ``ruledsl-example`` also shows the firings each ``示例``
produced.  Every problem is a warning (``reporter.warning``), so ``sphinx -W``
fails the build.

A small Pygments lexer (``ruledsl``) highlights keywords of both languages,
builtins, strings, numbers, dates and comments.

The checking function is importable for tests::

    >>> check_example('规则 R-1 "x" { 类别 药品类 结果类型 可疑 环节 事后 层级 明细 '
    ...               '对每条 明细 x 当 x.数量 > 1 }')
    []
"""

from __future__ import annotations

import re
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from pygments.lexer import RegexLexer
from pygments.token import Comment, Keyword, Name, Number, Operator, Punctuation, String, Text
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

# ----------------------------------------------------------------- checking --


def _keyword_language_problems(text: str, lang: str) -> list[str]:
    """Keywords of ``text`` spelled in the language other than ``lang``."""
    from ruledsl.syntax.keywords import KEYWORDS
    from ruledsl.syntax.parser import _lark

    problems = []
    other = "en" if lang == "zh" else "zh"
    seen: set[str] = set()
    try:
        tokens = list(_lark().lex(text))
    except Exception:  # noqa: BLE001 - the parse itself reports lexing problems
        return []
    for tok in tokens:
        if tok.type not in KEYWORDS:
            continue
        zh, en = KEYWORDS[tok.type]
        spellings = {"zh": zh, "en": tuple(w.lower() for w in en)}
        word = " ".join(str(tok.value).lower().split())
        if word in spellings[other] and word not in spellings[lang] and word not in seen:
            seen.add(word)
            want = spellings[lang][0]
            problems.append(f"line {tok.line}: keyword {word!r} is not in the example's "
                            f"language {lang!r} (write {want!r})")
    return problems


def diagnostics_of(text: str, name: str = "example.rules") -> list[Any]:
    """Every diagnostic ``load_text`` reports on ``text`` (empty when it checks)."""
    from ruledsl.errors import DiagnosticError
    from ruledsl.rulebook import load_text

    try:
        load_text(text, name)
    except DiagnosticError as exc:
        return list(exc.diagnostics)
    return []


def example_results(text: str) -> list[Any]:
    """Run the ``示例`` blocks of ``text`` with both engines (``ruledsl test``)."""
    from ruledsl.rulebook import load_text
    from ruledsl.testing.examples import run_examples

    book = load_text(text, "example.rules")
    if not any(rule.examples for rule in book.rules):
        return []
    return list(run_examples(book, engine="both"))


def check_example(text: str, lang: str = "zh", fails: str | None = None,
                  name: str = "example.rules", run: bool = True) -> list[str]:
    """The problems of one documentation example; ``[]`` when it is as documented.

    The text must check (or, with ``fails``, be rejected with that code), use
    the keywords of ``lang`` only, and, when it carries ``示例`` blocks and
    ``run`` is true, every example must pass in both engines.

    Args:
        text: Rule text.
        lang: Keyword language the text must use (``zh`` or ``en``).
        fails: A diagnostic code the text must produce; ``None`` when it must check.
        name: File name used in messages.
        run: Whether to run the rules' examples.

    Returns:
        Messages in English, one per problem.
    """
    from ruledsl.diagnostics.render import render_short

    try:
        diags = diagnostics_of(text, name)
    except Exception as exc:  # noqa: BLE001 - an internal error is a problem to report
        return [f"internal error while checking the example: {type(exc).__name__}: {exc}"]
    problems = _keyword_language_problems(text, lang)
    if fails is None:
        problems += [render_short(d, "en") for d in diags]
    elif not any(d.code == fails for d in diags):
        got = ", ".join(sorted({d.code for d in diags})) or "no diagnostic"
        problems.append(f"the example should be rejected with {fails}, but gives {got}")
    if run and fails is None and not diags:
        try:
            results = example_results(text)
        except Exception as exc:  # noqa: BLE001
            return problems + [f"internal error while running its 示例: "
                               f"{type(exc).__name__}: {exc}"]
        problems += [r.render("en") for r in results if not r.passed]
    return problems


# ---------------------------------------------------------------- rendering --


def _literal(text: str, caption: str | None = None, language: str = "ruledsl") -> nodes.Node:
    block = nodes.literal_block(text, text)
    block["language"] = language
    if not caption:
        return block
    container = nodes.container("", literal_block=True, classes=["literal-block-wrapper"])
    container += nodes.caption(caption, "", nodes.Text(caption))
    container += block
    return container


def _lang_option(argument: str | None) -> str:
    return directives.choice(argument, ("zh", "en"))


def _paragraph(text: str) -> nodes.paragraph:
    para = nodes.paragraph()
    for i, piece in enumerate(re.split(r"``(.*?)``", text)):
        if i % 2:
            para += nodes.literal(piece, piece)
        elif piece:
            para += nodes.Text(piece)
    return para


_FIRING_COLUMNS = ("rule_id", "feedetl_sn", "mdtrt_id", "setl_id", "psn_no", "fixmedins_code",
                   "dr_codg", "item_code", "period_start", "period_end", "vola_amt", "message",
                   "lines")


def _firings(results: list[Any]) -> list[nodes.Node]:
    """The firings each example produced, as tables (what ``ruledsl test`` compares)."""
    out: list[nodes.Node] = []
    for result in results:
        title = " ".join(x for x in (result.example, f"“{result.title}”" if result.title else None)
                         if x) or "示例"
        actual = list(result.actual)
        if not actual:
            out.append(_paragraph(f"示例 {title}: no firing."))
            continue
        columns = [c for c in _FIRING_COLUMNS
                   if c in ("vola_amt", "message", "lines") or any(f.get(c) is not None
                                                                  for f in actual)]
        rows = []
        for firing in actual:
            row = []
            for c in columns:
                value = firing.get(c)
                if c == "vola_amt":
                    row.append(f"{float(value) + 0.0:.2f}" if value is not None else "")
                elif c == "lines":
                    row.append("[" + ", ".join(value or []) + "]")
                else:
                    row.append("" if value is None else str(value))
            rows.append(row)
        out.append(_paragraph(f"示例 {title} — firings:"))
        out.append(_table(columns, rows, classes=("ruledsl-firings",)))
    return out


class _Checked(SphinxDirective):
    has_content = True

    def _warn(self, problems: list[str], what: str = "ruledsl example") -> list[nodes.Node]:
        return [self.state.document.reporter.warning(f"{what}: {problem}", line=self.lineno)
                for problem in problems]


class RuledslExample(_Checked):
    """``.. ruledsl-example::`` — rule text checked at build time, shown as code."""

    option_spec = {"lang": _lang_option, "fails": directives.unchanged_required,
                   "caption": directives.unchanged, "firings": directives.flag}

    def run(self) -> list[nodes.Node]:
        text = "\n".join(self.content)
        lang = self.options.get("lang", "zh")
        fails = self.options.get("fails")
        out: list[nodes.Node] = [_literal(text, self.options.get("caption"))]
        problems = check_example(text, lang, fails)
        out += self._warn(problems)
        if fails:
            from ruledsl.diagnostics.render import render_rich, render_short

            diags = [d for d in diagnostics_of(text) if d.code == fails]
            shown = "\n".join(render_rich(d, "zh") for d in diags)
            shown += "\n\n" + "\n".join(render_short(d, "en") for d in diags)
            out += [_paragraph("``ruledsl check`` reports:"), _literal(shown, language="text")]
        elif "firings" in self.options and not problems:
            out += _firings(example_results(text))
        return out


class RuledslPair(_Checked):
    """``.. ruledsl-pair::`` — Chinese rule text beside its English-keyword form."""

    option_spec = {"caption": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        text = "\n".join(self.content)
        out = self._warn(check_example(text, "zh"))
        english = english_of(text)
        if english is None:
            return [_literal(text, self.options.get("caption")), *out]
        out += self._warn(check_example(english, "en"), "English form of a ruledsl example")
        table = nodes.table(classes=["ruledsl-pair"])
        if self.options.get("caption"):
            table += nodes.title(self.options["caption"], self.options["caption"])
        group = nodes.tgroup(cols=2)
        table += group
        group += nodes.colspec(colwidth=1)
        group += nodes.colspec(colwidth=1)
        head = nodes.thead()
        group += head
        row = nodes.row()
        for title in ("中文关键字 (as written)", "English keywords (``ruledsl fmt --lang en``)"):
            entry = nodes.entry()
            entry += _paragraph(title)
            row += entry
        head += row
        body = nodes.tbody()
        group += body
        row = nodes.row()
        for code in (text, english):
            entry = nodes.entry()
            entry += _literal(code)
            row += entry
        body += row
        return [table, *out]


def english_of(text: str) -> str | None:
    """``text`` in English keywords via the printer, or ``None`` when it is unavailable."""
    try:
        from ruledsl.ast.printer import to_source
    except ImportError:
        return None
    from ruledsl.syntax.parser import parse

    try:
        return to_source(parse(text), "en").rstrip("\n")
    except Exception:  # noqa: BLE001 - the Chinese text's own check reports parse errors
        return None


_FILE_MARK = re.compile(r"^==\s*(\S.*?)\s*==\s*$")


def split_files(text: str) -> dict[str, str]:
    """``== path ==`` sections of a ``ruledsl-rulebook`` directive → file texts."""
    files: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.split("\n"):
        mark = _FILE_MARK.match(line)
        if mark:
            current = files.setdefault(mark.group(1), [])
        elif current is not None:
            current.append(line)
    return {path: "\n".join(lines).strip("\n") + "\n" for path, lines in files.items()}


def load_files(files: dict[str, str], folder: str) -> tuple[Any, list[Any]]:
    """Write ``files`` to a temporary folder and load rulebook ``folder`` of it.

    Returns:
        ``(rulebook or None, diagnostics)``.
    """
    import os
    import tempfile
    from pathlib import Path

    from ruledsl.errors import DiagnosticError
    from ruledsl.rulebook import load_rulebook

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for path, text in files.items():
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        cwd = os.getcwd()
        os.chdir(root)  # diagnostics name files relative to the working directory
        try:
            return load_rulebook(folder), []
        except DiagnosticError as exc:
            return None, list(exc.diagnostics)
        finally:
            os.chdir(cwd)


def rulebook_summary(book: Any) -> str:
    """What ``ruledsl rules`` and the parameter table show of a loaded rulebook."""
    lines = [f"规则库 {book.name}" + (f" “{book.title}”" if book.title else "")]
    for rule in book.rules:
        state = "" if rule.enabled and rule.id not in book.disabled else "   [停用]"
        lines.append(f"  {rule.id:<8}{rule.name}{state}")
    values = book.param_values()
    if values:
        lines.append("参数")
        for name, value in values.items():
            if isinstance(value, tuple):
                value = "[" + ", ".join(f'"{v}"' if isinstance(v, str) else str(v)
                                        for v in value) + "]"
            elif isinstance(value, str):
                value = f'"{value}"'
            lines.append(f"  {name} = {value}")
    return "\n".join(lines)


class RuledslRulebook(_Checked):
    """``.. ruledsl-rulebook::`` — a rulebook of several files, loaded at build time.

    The content holds files, each introduced by a ``== path ==`` line; the
    folder named by ``:load:`` is loaded with :func:`ruledsl.rulebook.load_rulebook`
    and the rules and parameter values it ends up with are shown.
    """

    option_spec = {"load": directives.unchanged_required, "fails": directives.unchanged_required}

    def run(self) -> list[nodes.Node]:
        files = split_files("\n".join(self.content))
        out: list[nodes.Node] = [_literal(text, path) for path, text in files.items()]
        book, diags = load_files(files, self.options["load"])
        fails = self.options.get("fails")
        from ruledsl.diagnostics.render import render_short

        if fails is None:
            out += self._warn([render_short(d, "en") for d in diags], "ruledsl rulebook")
        elif not any(d.code == fails for d in diags):
            out += self._warn([f"should be rejected with {fails}, gives "
                               f"{', '.join(d.code for d in diags) or 'nothing'}"],
                              "ruledsl rulebook")
        if book is not None:
            shown = rulebook_summary(book)
            out += [_paragraph(f"Loading ``{self.options['load']}`` gives:"),
                    _literal(shown, language="text")]
        elif fails:
            shown = "\n".join(render_short(d, "zh") for d in diags if d.code == fails)
            shown += "\n" + "\n".join(render_short(d, "en") for d in diags if d.code == fails)
            out += [_paragraph("``ruledsl check`` reports:"), _literal(shown, language="text")]
        return out


class RuledslExplain(_Checked):
    """``.. ruledsl-explain::`` — the plan ``ruledsl explain`` prints for the rule text."""

    option_spec = {"rule": directives.unchanged, "only": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        text = "\n".join(self.content)
        problems = check_example(text, run=False)
        out: list[nodes.Node] = [_literal(text)]
        if problems:
            return out + self._warn(problems)
        from ruledsl.plan.explain import explain
        from ruledsl.rulebook import load_text

        plan = explain(load_text(text, "example.rules"), self.options.get("rule"))
        only = [w.strip() for w in self.options.get("only", "").split(",") if w.strip()]
        lines = [line for line in plan.splitlines() if line.strip()]
        if only:
            lines = [line for line in lines
                     if line.startswith("rule ") or line.strip().split(" ")[0] in only]
        shown = "\n".join(lines)
        return out + [_paragraph("``ruledsl explain`` prints:"), _literal(shown, language="text")]


def load_example(files: dict[str, bytes], kind: str, only: set[str] | None) -> tuple[Any, list[Any]]:
    """Write data ``files`` to ``<tmp>/<kind>/`` and load them with ``load_tables``.

    Returns:
        ``(tables or None, diagnostics)``; messages name the folder ``claims`` or ``kb``.
    """
    import os
    import tempfile
    from pathlib import Path

    from ruledsl.data.load import load_tables
    from ruledsl.errors import DataError

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / kind
        folder.mkdir()
        for name, data in files.items():
            (folder / name).write_bytes(data)
        cwd = os.getcwd()
        os.chdir(tmp)  # messages then name the folder relatively
        try:
            return load_tables(kind, kind, only=only), []
        except DataError as exc:
            return None, list(exc.diagnostics)
        finally:
            os.chdir(cwd)


class RuledslLoad(_Checked):
    """``.. ruledsl-load::`` — CSV files loaded by the real loader at build time.

    The content holds files introduced by ``== name.csv ==`` lines. Options:
    ``:kind: claims|kb`` (default ``claims``), ``:only: fee, person`` (the tables
    to load), ``:encoding: utf-8|utf-8-sig|gbk`` (how the files are written),
    ``:fails: D0003`` (a diagnostic code the load must report).
    """

    option_spec = {"kind": directives.unchanged, "only": directives.unchanged,
                   "encoding": directives.unchanged, "fails": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        from ruledsl.diagnostics.render import render_short

        encoding = self.options.get("encoding", "utf-8")
        texts = split_files("\n".join(self.content))
        files = {name: ("" if not text.strip() else text).encode(encoding)
                 for name, text in texts.items()}
        kind = self.options.get("kind", "claims")
        only = {t.strip() for t in self.options.get("only", "").split(",") if t.strip()} or None
        out: list[nodes.Node] = []
        for name, text in texts.items():
            caption = f"{kind}/{name}" + (f" ({encoding})" if encoding != "utf-8" else "")
            out.append(_literal(text if text.strip() else "(empty file)", caption, "text"))
        tables, diags = load_example(files, kind, only)
        fails = self.options.get("fails")
        if fails is None and diags:
            out += self._warn([render_short(d, "en") for d in diags], "ruledsl load")
        elif fails is not None and not any(d.code == fails for d in diags):
            out += self._warn([f"should report {fails}, reports "
                               f"{', '.join(d.code for d in diags) or 'nothing'}"], "ruledsl load")
        if tables is not None:
            shown = "\n".join(f"{name}: {t.num_rows} rows; "
                               + ", ".join(f"{f.name} {f.type}" for f in t.schema)
                               for name, t in tables.items())
            out += [_paragraph("Loaded:"), _literal(shown, language="text")]
        else:
            shown = "\n".join(render_short(d, "zh") for d in diags)
            shown += "\n\n" + "\n".join(render_short(d, "en") for d in diags)
            out += [_paragraph("The loader reports:"), _literal(shown, language="text")]
        return out


# ------------------------------------------------------------ generated tables --


def _table(header: list[str], rows: list[list[str]], widths: list[int] | None = None,
           classes: tuple[str, ...] = ()) -> nodes.table:
    """A table whose cells are text with ````literal```` spans."""
    table = nodes.table(classes=list(classes))
    group = nodes.tgroup(cols=len(header))
    table += group
    for width in widths or [1] * len(header):
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    group += head
    body = nodes.tbody()
    group += body
    for part, values in ((head, [header]), (body, rows)):
        for cells in values:
            row = nodes.row()
            for cell in cells:
                entry = nodes.entry()
                entry += _paragraph(cell)
                row += entry
            part += row
    return table


def _code(words: tuple[str, ...] | list[str]) -> str:
    return ", ".join(f"``{w}``" for w in words)


_KEYWORD_NOTES = {
    "FOREACH": "row scope: one firing per row",
    "FOREACHGROUP": "group scope: one firing per group",
    "AND": "``与`` also separates the bounds of ``介于``",
    "TO": "effective range, code range",
    "TRUE": "", "FALSE": "",
    "INCODESET": "one keyword (``在编码集``), not ``在`` + ``编码集``",
    "INCODERANGE": "one keyword, followed by ``\"A\" 至 \"B\"``",
    "NOTEXISTS": "written like a function: ``不存在(诊断 d 满足 …)``",
}


class KeywordTable(SphinxDirective):
    """``.. ruledsl-keywords::`` — every keyword in Chinese and English."""

    def run(self) -> list[nodes.Node]:
        from ruledsl.syntax.keywords import KEYWORDS

        rows = [[f"``{t}``", _code(zh), _code(en), _KEYWORD_NOTES.get(t, "")]
                for t, (zh, en) in KEYWORDS.items()]
        return [_table(["token", "中文", "English", "note"], rows, [2, 3, 3, 4])]


class UnitTable(SphinxDirective):
    """``.. ruledsl-units::`` — duration units."""

    def run(self) -> list[nodes.Node]:
        from ruledsl.syntax.keywords import UNIT_SECONDS, UNITS

        rows = [[unit, _code(zh), _code(en), str(UNIT_SECONDS[unit])]
                for unit, (zh, en) in UNITS.items()]
        return [_table(["unit", "中文", "English", "seconds"], rows)]


_FUNCTION_DOCS = {
    "count": "number of rows (``计数()`` in a group: members)",
    "sum": "Σ of the value; Σ over no rows is 0",
    "min": "smallest non-null value", "max": "largest non-null value",
    "avg": "mean of the non-null values",
    "count_distinct": "number of distinct non-null values",
    "exists": "whether a row matches", "any": "some value is TRUE", "all": "every value is TRUE",
    "first": "the first row by ``排序`` (then natural order)", "last": "the last row",
    "collect": "the values as a list", "mode": "the most frequent value, ties → smallest",
    "longest_run": "longest run of consecutive generated dates where the condition is TRUE",
    "dates": "generator: every date from a to b inclusive",
    "range": "generator: every integer from a to b inclusive",
    "r2": "round half away from zero to 0.01 (rules-46 §0.5)",
    "r4": "round half away from zero to 0.0001",
    "abs": "absolute value (numbers and durations)",
    "least": "smallest argument (null if any is null)",
    "greatest": "largest argument (null if any is null)",
    "coalesce": "first non-null argument",
    "age": "whole-year age at a date (29 Feb birthdays complete on 1 Mar)",
    "age_days": "age in days: date − birth date",
    "date": "the date of a timestamp", "month": "the calendar month of a date or timestamp",
    "month_start": "first day of a month", "month_end": "last day of a month",
    "icd3": "first 3 characters of the normalised code",
    "normalize_code": "upper-case, spaces removed", "left": "the first n characters",
    "length": "number of characters", "upper": "upper-case",
}


class FunctionTable(SphinxDirective):
    """``.. ruledsl-functions::`` — builtins, from ``syntax/vocab.py``."""

    def run(self) -> list[nodes.Node]:
        from ruledsl.check.functions import GENERATORS, SCALAR_FUNCTIONS
        from ruledsl.syntax.vocab import FUNCTIONS

        rows = []
        for name, zh in FUNCTIONS.items():
            if name in SCALAR_FUNCTIONS:
                low, high, _ = SCALAR_FUNCTIONS[name]
                kind = f"scalar, {low} argument{'s' if high > 1 else ''}" if low == high \
                    else f"scalar, {low}–{high} arguments"
            elif name in GENERATORS:
                kind = "generator"
            else:
                kind = "aggregate"
            rows.append([_code(zh), f"``{name}``", kind, _FUNCTION_DOCS.get(name, "")])
        return [_table(["中文", "English", "kind", "meaning"], rows, [2, 2, 2, 5])]


_VALUE_TITLES = {"level": "层级 level", "stage": "环节 stages", "result": "结果类型 result",
                 "severity": "严重程度 severity", "filter": "placeholder filter ``|…``",
                 "type": "参数 types"}


class ValueTable(SphinxDirective):
    """``.. ruledsl-values::`` — metadata words (levels, stages, result types …)."""

    def run(self) -> list[nodes.Node]:
        from ruledsl.syntax.vocab import CATEGORIES, VALUES

        rows = [[_VALUE_TITLES.get(kind, kind), _code(zh), f"``{word}``"]
                for kind, table in VALUES.items() for word, zh in table.items()]
        rows += [["类别 category", f"``{c}``", "(Chinese only)"] for c in CATEGORIES]
        return [_table(["clause", "中文", "English"], rows, [2, 3, 2])]


class DerivedTable(SphinxDirective):
    """``.. ruledsl-derived::`` — derived fields and navigation, from ``schema/derived.py``."""

    def run(self) -> list[nodes.Node]:
        from ruledsl.schema.contract import TABLES
        from ruledsl.schema.derived import DERIVED

        out: list[nodes.Node] = []
        for table, fields in DERIVED.items():
            spec = TABLES[table]
            rows = [[f"``{label}``", f"``{name}``", f"``{expr}``", doc]
                    for name, label, expr, doc in fields]
            title = f"{spec.label} ({table})"
            para = nodes.paragraph()
            para += nodes.strong(title, title)
            out += [para, _table(["label", "name", "definition", "meaning"], rows, [2, 2, 6, 4])]
        return out


class SchemaTables(SphinxDirective):
    """``.. ruledsl-schema:: claims|kb|output`` — the contract's tables and columns."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        from ruledsl.schema.contract import OUTPUT_COLUMNS, OUTPUT_SORT_KEYS, tables_of_kind

        kind = self.arguments[0]
        out: list[nodes.Node] = []
        if kind == "output":
            rows = [[f"``{c.name}``", c.label, str(c.dtype), "null" if c.nullable else "",
                     c.doc or ""] for c in OUTPUT_COLUMNS]
            out.append(_table(["column", "label 中文", "type", "null", "meaning"], rows,
                              [3, 3, 1, 1, 5]))
            out.append(_paragraph("Sorted by " + _code(OUTPUT_SORT_KEYS)
                                  + ", ascending, nulls first, strings by code point."))
            return out
        for table in tables_of_kind(kind):
            names = [table.label, *table.aliases]
            title = f"{table.name} · {' / '.join(names)}"
            section = nodes.rubric(title, title)
            extra = []
            if table.optional:
                extra.append("optional (the file may be absent)")
            if table.key:
                extra.append("key " + _code(table.key))
            if getattr(table, "order", None):
                extra.append("natural order " + _code(table.order))
            para = _paragraph("; ".join(extra))
            rows = [[f"``{c.name}``", c.label, str(c.dtype) if not hasattr(c.dtype, "item")
                     else str(c.dtype), "null" if c.nullable else "", c.doc or ""]
                    for c in table.columns]
            out += [section]
            if extra:
                out.append(para)
            out.append(_table(["column", "label 中文", "type", "null", "meaning"], rows,
                              [3, 3, 1, 1, 5]))
        return out


# ------------------------------------------------------------------- lexer --


def _word_callback(lexer: RegexLexer, match: re.Match[str]) -> Any:
    word = match.group(0)
    words = _vocabulary()
    if word in words["kw"] or word.lower() in words["kw"]:
        kind = Keyword
    elif word in words["unit"] or word.lower() in words["unit"]:
        kind = Keyword.Type
    elif word in words["fn"]:
        kind = Name.Builtin
    else:
        kind = Name
    yield match.start(), kind, word


_VOCAB: dict[str, set[str]] = {}


def _vocabulary() -> dict[str, set[str]]:
    if not _VOCAB:
        from ruledsl.syntax.keywords import KEYWORDS, UNITS
        from ruledsl.syntax.vocab import FUNCTIONS

        kw: set[str] = set()
        for zh, en in KEYWORDS.values():
            kw.update(zh)
            for word in en:
                kw.update(w.lower() for w in word.split())
        _VOCAB["kw"] = kw
        _VOCAB["unit"] = {w for zh, en in UNITS.values() for w in (*zh, *en)}
        _VOCAB["fn"] = {w for name, zh in FUNCTIONS.items() for w in (name, *zh)}
    return _VOCAB


class RuledslLexer(RegexLexer):
    """Pygments lexer for ruledsl rule files (both keyword languages)."""

    name = "ruledsl"
    aliases = ["ruledsl"]
    filenames = ["*.rules"]
    tokens = {
        "root": [
            (r"#[^\n]*", Comment.Single),
            (r'"(?:[^"\\\n]|\\.)*"', String),
            (r"“[^”\n]*”", String),
            (r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}:\d{2})?", Number),
            (r"\d+\.\d+|\d+", Number),
            (r"[^\W\d]\w*", _word_callback),
            (r"==|!=|<>|<=|>=|[=<>≠≤≥+\-*/×÷|]", Operator),
            (r"[(){}\[\],.:，、：（）【】]", Punctuation),
            (r"\s+", Text),
            (r".", Text),
        ],
    }


# ------------------------------------------------------------------- setup --


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directives and the lexer."""
    app.add_lexer("ruledsl", RuledslLexer)
    app.add_directive("ruledsl-example", RuledslExample)
    app.add_directive("ruledsl-pair", RuledslPair)
    app.add_directive("ruledsl-rulebook", RuledslRulebook)
    app.add_directive("ruledsl-explain", RuledslExplain)
    app.add_directive("ruledsl-load", RuledslLoad)
    app.add_directive("ruledsl-keywords", KeywordTable)
    app.add_directive("ruledsl-units", UnitTable)
    app.add_directive("ruledsl-functions", FunctionTable)
    app.add_directive("ruledsl-values", ValueTable)
    app.add_directive("ruledsl-derived", DerivedTable)
    app.add_directive("ruledsl-schema", SchemaTables)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
