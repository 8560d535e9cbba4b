"""Diagnostic codes, renderers and the errors that carry diagnostics.

Rich renderings are compared with golden files in ``tests/data/diagnostics``:
``<case>.txt`` holds the colourless output of the case of the same name in
:data:`CASES`.
"""

from __future__ import annotations

import json
import pickle
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ruledsl.diagnostics.codes import CATEGORIES, CODES, describe
from ruledsl.diagnostics.model import Diagnostic, Label, Severity, Text
from ruledsl.diagnostics.render import (
    MAX_LINE_CHARS,
    display_width,
    render_all,
    render_json,
    render_rich,
    render_short,
)
from ruledsl.errors import (
    CheckError,
    DataError,
    ExecutionError,
    ParseError,
    RuleDslError,
    UsageError,
)
from ruledsl.source import SourceFile, Span

GOLDEN = Path(__file__).parent / "data" / "diagnostics"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def span_of(src: SourceFile, needle: str, occurrence: int = 0) -> Span:
    """The span of the ``occurrence``-th ``needle`` in ``src``."""
    start = -1
    for _ in range(occurrence + 1):
        start = src.text.index(needle, start + 1)
    return Span(start, start + len(needle), src)


def read_golden(name: str) -> str:
    """The expected rich rendering of case ``name``."""
    return (GOLDEN / f"{name}.txt").read_text(encoding="utf-8").removesuffix("\n")


# -- cases ------------------------------------------------------------------------

FRAUD = SourceFile(
    "rules/fraud.rule", 'rule X {\n  for each fee\nwhen amout > 1000 then flag("big")\n}\n'
)
CHILD = SourceFile(
    "规则/药品.rules",
    '规则 YP-01 "限儿童用药" {\n'
    "\t当 明细.目录类别 == 药品 且 患者.就诊年龄x >= 参数.儿童年龄上限\n"
    "    违规金额 明细.金额\n"
    "}\n",
)
OPEN = SourceFile("a.rules", '规则 X "名" {\n    当 (明细.金额 > 1\n')
FIRST = SourceFile("b.rules", "\n" * 11 + '规则 X "另" {}\n')


def unknown_column() -> Diagnostic:
    """The example of architecture.md §D."""
    return Diagnostic(
        "E0202",
        Severity.ERROR,
        Text('未知字段 "amout"', 'unknown column "amout"'),
        (Label(span_of(FRAUD, "amout"), Text('不在表 "transactions" 中', 'not in schema "transactions"')),),
        help=Text('是否应为 "amount"？', 'did you mean "amount"?'),
    )


def type_mismatch() -> Diagnostic:
    """CJK text and a tab before the spans; two labelled spans on one line."""
    return Diagnostic(
        "E0301",
        Severity.ERROR,
        Text("比较两侧的类型不一致", "the two sides of the comparison differ in type"),
        (
            Label(span_of(CHILD, "患者.就诊年龄x"), Text("日期", "date")),
            Label(span_of(CHILD, "参数.儿童年龄上限"), Text("整数", "int"), primary=False),
            Label(span_of(CHILD, "明细.金额"), primary=False),
        ),
        notes=(Text("比较两侧须为同一类型", "both sides must have one type"),),
    )


def end_of_input() -> Diagnostic:
    """An empty span at the end of the file."""
    end = len(OPEN.text)
    return Diagnostic.error(
        "E0003", Span(end, end, OPEN), zh="意外的输入结束", en="unexpected end of input",
        help_zh='缺少 ")"', help_en='missing ")"',
    )  # fmt: skip


def multi_line() -> Diagnostic:
    """A span over two lines is underlined to the end of its first line."""
    start = OPEN.text.index("(")
    return Diagnostic(
        "E0302",
        Severity.ERROR,
        Text("条件不是布尔值", "condition is not boolean"),
        (Label(Span(start, len(OPEN.text), OPEN), Text("这是金额", "this is money")),),
    )


def two_files() -> Diagnostic:
    """A secondary label in another file gets its own section; gutter fits line 12."""
    return Diagnostic(
        "E0101",
        Severity.ERROR,
        Text('规则编号 "X" 重复', 'duplicate rule "X"'),
        (
            Label(span_of(OPEN, "规则"), Text("再次定义", "defined again here")),
            Label(span_of(FIRST, "规则"), Text("首次定义", "first defined here"), primary=False),
        ),
    )


def distant_lines() -> Diagnostic:
    """Labels on lines 1 and 3 of one file: the skipped line shows as ``┆``."""
    return Diagnostic(
        "E0304",
        Severity.ERROR,
        Text("违规金额不是数值", "amount is not numeric"),
        (
            Label(span_of(CHILD, "明细.金额"), Text("这是文本", "this is text")),
            Label(span_of(CHILD, "YP-01"), Text("在此规则中", "in this rule"), primary=False),
        ),
    )


def full_width_warning() -> Diagnostic:
    """A warning pointing at a full-width character."""
    src = SourceFile("w.rules", "当 x ＞ 1")
    return Diagnostic.error(
        "E0001", span_of(src, "＞"), zh='意外的字符 "＞"', en='unexpected character "＞"',
        help_zh='请使用半角 ">"', help_en='use the ASCII ">"', severity=Severity.WARNING,
    )  # fmt: skip


def no_span() -> Diagnostic:
    """A data diagnostic without a span renders without location."""
    return Diagnostic.error(
        "D0005", None, zh='数据文件 "fee.csv" 为空', en='data file "fee.csv" is empty',
        help_zh="文件至少应有表头行", help_en="the file needs at least a header row",
    )  # fmt: skip


CASES: dict[str, tuple[Callable[[], Diagnostic], str]] = {
    "unknown_column_en": (unknown_column, "en"),
    "unknown_column_zh": (unknown_column, "zh"),
    "type_mismatch_zh": (type_mismatch, "zh"),
    "end_of_input_zh": (end_of_input, "zh"),
    "multi_line_en": (multi_line, "en"),
    "two_files_en": (two_files, "en"),
    "distant_lines_en": (distant_lines, "en"),
    "full_width_warning_en": (full_width_warning, "en"),
    "no_span_zh": (no_span, "zh"),
}


# -- rich rendering -------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CASES))
def test_rich_golden(name: str) -> None:
    make, lang = CASES[name]
    assert render_rich(make(), lang) == read_golden(name)


def test_every_golden_file_has_a_case() -> None:
    assert {p.stem for p in GOLDEN.glob("*.txt")} == set(CASES)


def test_rich_matches_design_example() -> None:
    assert render_rich(unknown_column(), "en") == (
        'error[E0202]: unknown column "amout"\n'
        "   ╭─[rules/fraud.rule:3:6]\n"
        ' 3 │ when amout > 1000 then flag("big")\n'
        "   │      ──┬──\n"
        '   │        ╰── not in schema "transactions"\n'
        '   │ help: did you mean "amount"?'
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_color_only_adds_escapes(name: str) -> None:
    make, lang = CASES[name]
    plain, colored = render_rich(make(), lang), render_rich(make(), lang, color=True)
    assert "\x1b[" not in plain
    assert "\x1b[" in colored
    assert ANSI.sub("", colored) == plain


LINE_CHARS = st.sampled_from(list("ab1 .=>(明细金额当且，＞") + ["\t"])


@given(st.data())
def test_underline_aligns_under_span(data: st.DataObject) -> None:
    text = data.draw(st.text(LINE_CHARS, min_size=1, max_size=30))
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    src = SourceFile("p.rules", text)
    diag = Diagnostic.error("E0001", Span(start, end, src), zh="x", en="x")
    underline = render_rich(diag).splitlines()[3]
    marks = underline.removeprefix("   │ ")
    assert len(marks) - len(marks.lstrip(" ")) == display_width(text[:start])
    assert marks.strip(" ") == "─" * max(1, display_width(text[start:end]))


def test_a_long_line_is_shown_around_its_span() -> None:
    """A generated or runaway line is cut to a window with ``…``, the span underlined in it."""
    src = SourceFile("p.rules", "当 " + "甲" * 3000 + " amout > 1 " + "b" * 3000)
    diag = Diagnostic.error("E0202", span_of(src, "amout"), zh="x", en="x")
    shown, underline = render_rich(diag).splitlines()[2:4]
    shown, marks = shown.removeprefix(" 1 │ "), underline.removeprefix("   │ ")
    assert shown.startswith("…甲") and shown.endswith("b…")
    assert len(shown) == MAX_LINE_CHARS + 2
    assert len(marks) - len(marks.lstrip(" ")) == display_width(shown[: shown.index("amout")])
    assert marks.strip(" ") == "─" * 5


# -- widths -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "width"),
    [("", 0), ("amount", 6), ("明细.金额", 9), ("（＞）", 6), ("e\u0301", 1), ("\t", 4), ("ｱ", 1)],
)
def test_display_width(text: str, width: int) -> None:
    assert display_width(text) == width


# -- short, json, all -------------------------------------------------------------


def test_short_zh_and_en() -> None:
    assert render_short(unknown_column()) == (
        'rules/fraud.rule:3:6: 错误: 未知字段 "amout" [E0202]\n  帮助: 是否应为 "amount"？'
    )
    assert render_short(unknown_column(), "en") == (
        'rules/fraud.rule:3:6: error: unknown column "amout" [E0202]\n'
        '  help: did you mean "amount"?'
    )


def test_short_counts_characters_not_cells() -> None:
    assert render_short(type_mismatch(), "en").splitlines() == [
        "规则/药品.rules:2:20: error: the two sides of the comparison differ in type [E0301]",
        "  note: both sides must have one type",
    ]


@pytest.mark.parametrize("span", [None, Span(0, 1)])
def test_short_without_location(span: Span | None) -> None:
    diag = Diagnostic.error("E0005", span, zh="无法读取", en="cannot read", severity=Severity.WARNING)
    assert render_short(diag, "en") == "warning: cannot read [E0005]"
    assert render_rich(diag) == "警告[E0005]: 无法读取"


def test_json_records() -> None:
    records = json.loads(render_json([unknown_column(), no_span()], "zh"))
    assert records[0] == {
        "code": "E0202",
        "name": "unknown-field",
        "severity": "error",
        "message": '未知字段 "amout"',
        "file": "rules/fraud.rule",
        "line": 3,
        "column": 6,
        "end_line": 3,
        "end_column": 11,
        "help": '是否应为 "amount"？',
        "notes": [],
    }
    assert records[1]["file"] is None and records[1]["line"] is None
    assert records[1]["name"] == "empty-file"


def test_json_keeps_cjk_and_unregistered_codes() -> None:
    text = render_json([Diagnostic.error("E9999", None, zh="新", en="new")])
    assert '"新"' in text
    assert json.loads(text)[0]["name"] is None


def test_render_all_formats_and_limit() -> None:
    diags = [no_span()] * 3
    assert render_all(diags, "short", "en", limit=2).splitlines()[-1] == "... and 1 more"
    assert render_all(diags, "short", "zh", limit=2).splitlines()[-1] == "... 另有 1 条"
    assert render_all(diags, "rich", "en").count("\n\n") == 2
    assert len(json.loads(render_all(diags, "json", limit=1))) == 3
    assert render_all([], "short") == ""
    with pytest.raises(ValueError, match="unknown diagnostics format"):
        render_all(diags, "xml")


# -- errors ------------------------------------------------------------------------


def test_check_error_sorts_and_caps() -> None:
    src = SourceFile("c.rules", "x" * 30)
    diags = [
        Diagnostic.error("E0203", Span(i, i + 1, src), zh=f"名称 {i}", en=f"name {i}")
        for i in reversed(range(25))
    ]
    err = CheckError(diags, lang="en")
    lines = str(err).splitlines()
    assert len(lines) == 21
    assert lines[0] == "c.rules:1:1: error: name 0 [E0203]"
    assert lines[-1] == "... and 5 more"
    assert [d.span.start for d in err.diagnostics if d.span] == list(range(25))
    assert str(CheckError(diags)).endswith("... 另有 5 条")


@pytest.mark.parametrize("cls", [ParseError, CheckError, DataError])
def test_diagnostic_errors_pickle(cls: type[ParseError]) -> None:
    err = cls([unknown_column()], lang="en")
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is cls and again.diagnostics == err.diagnostics and str(again) == str(err)
    assert isinstance(err, RuleDslError)


def test_execution_error() -> None:
    err = ExecutionError("division by zero", rule="YP-01", step="r3", span=span_of(FRAUD, "amout"))
    assert str(err) == "rule YP-01, step r3: division by zero"
    diag = err.to_diagnostic()
    assert diag.code == "X0001" and diag.span == err.span
    assert diag.message("zh") == "执行失败（规则 YP-01，步骤 r3）：division by zero"
    assert ExecutionError("boom").to_diagnostic().message("en") == "execution failed: boom"
    assert str(pickle.loads(pickle.dumps(err))) == str(err)
    assert issubclass(UsageError, RuleDslError)


# -- codes -------------------------------------------------------------------------

EXPECTED_CODES = {
    "E0001": "unexpected-character", "E0002": "unexpected-token",
    "E0003": "unexpected-end-of-input", "E0004": "invalid-literal",
    "E0005": "unreadable-source", "E0006": "too-deeply-nested",
    "E0101": "duplicate-rule", "E0102": "missing-clause", "E0103": "invalid-metadata",
    "E0104": "duplicate-name", "E0105": "bad-include", "E0106": "unknown-override",
    "E0201": "unknown-table", "E0202": "unknown-field", "E0203": "unknown-name",
    "E0204": "unknown-parameter", "E0205": "unknown-function", "E0206": "wrong-arity",
    "E0301": "type-mismatch", "E0302": "condition-not-boolean", "E0303": "bad-parameter-value",
    "E0304": "amount-not-numeric", "E0305": "invalid-code-range",
    "E0401": "aggregate-without-group", "E0402": "ungrouped-field", "E0403": "bad-scope",
    "E0404": "recursive-definition", "E0405": "unknown-output-column",
    "E0501": "bad-example",
    "D0001": "missing-table", "D0002": "missing-column", "D0003": "bad-value",
    "D0004": "duplicate-key", "D0005": "empty-file", "D0006": "unreadable-file",
    "X0001": "execution-failed",
}  # fmt: skip


def test_registry_holds_the_agreed_codes() -> None:
    # New codes may be appended; the agreed ones never change.
    assert {code: CODES[code].name for code in EXPECTED_CODES} == EXPECTED_CODES


@pytest.mark.parametrize("code", sorted(CODES))
def test_code_is_documented(code: str) -> None:
    entry = CODES[code]
    assert entry.code == code and entry.category in CATEGORIES
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", entry.name)
    for text in (entry.summary_zh, entry.summary_en, entry.description_zh, entry.description_en):
        assert text.strip()
    assert describe(code) is entry is describe(entry.name)


def test_describe_unknown_code() -> None:
    with pytest.raises(KeyError, match="E9999"):
        describe("E9999")
