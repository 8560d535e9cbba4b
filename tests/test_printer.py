"""The canonical printer (``to_source``), the formatter (``fmt``) and AST traversal."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import attrs
import pytest

from ruledsl.ast import nodes as n
from ruledsl.ast.printer import to_source
from ruledsl.ast.visitor import NodeTransformer, NodeVisitor, iter_children, walk
from ruledsl.errors import ParseError, UsageError
from ruledsl.fmt import format_paths, format_text
from ruledsl.source import Span
from ruledsl.syntax.parser import parse

DATA = Path(__file__).parent / "data" / "syntax"
S = Span(0, 0)


def when_line(expr: str, lang: str) -> str:
    """The printed condition of ``规则 R "r" { 当 <expr> }``."""
    text = to_source(parse(f'规则 R "r" {{ 当 {expr} }}'), lang)
    lines = text.splitlines()
    assert lines[0].endswith("{") and lines[-1] == "}" and len(lines) == 3, text
    return lines[1].strip().split(" ", 1)[1]


def assert_canonical(text: str, lang: str) -> None:
    """``text`` re-parses to the same tree and formats to itself."""
    m = parse(text)
    assert to_source(m, lang) == text
    assert parse(to_source(m, "zh" if lang == "en" else "en")) == m


# ------------------------------------------------------------- expressions --

EXPRESSIONS = [
    # (input, canonical zh, canonical en)
    ("a - (b - c)", "a - (b - c)", "a - (b - c)"),
    ("(a - b) - c", "a - b - c", "a - b - c"),
    ("a * (b + c) / d", "a * (b + c) / d", "a * (b + c) / d"),
    ("(a * b) + (c / d)", "a * b + c / d", "a * b + c / d"),
    ("a / (b * c)", "a / (b * c)", "a / (b * c)"),
    ("-(a + b)", "-(a + b)", "-(a + b)"),
    ("- -a", "--a", "--a"),
    ("(-a).b", "(-a).b", "(-a).b"),
    ("(a + b).c", "(a + b).c", "(a + b).c"),
    ("(a = b) = c", "(a == b) == c", "(a == b) == c"),
    ("a ≥ 1 且 b <> 2 并且 c ≤ 3", "a >= 1 且 b != 2 且 c <= 3", "a >= 1 and b != 2 and c <= 3"),
    ("a × b ÷ c", "a * b / c", "a * b / c"),
    ("（a + b）× c", "(a + b) * c", "(a + b) * c"),
    ("(a 或 b) 且 c", "(a 或 b) 且 c", "(a or b) and c"),
    ("a 且 b 或 c", "(a 且 b) 或 c", "(a and b) or c"),
    ("a 或 (b 或 c)", "a 或 (b 或 c)", "a or (b or c)"),
    ("非 (a 且 b)", "非 (a 且 b)", "not (a and b)"),
    ("非 a = b", "非 (a == b)", "not (a == b)"),
    ("非 非 a", "非 非 a", "not not a"),
    ("(非 a) = b", "(非 a) == b", "(not a) == b"),
    ("x 介于 1 与 参数.上限", "x 介于 1 与 参数.上限", "x between 1 and param.上限"),
    ("x 介于 a 且 b 与 c", "x 介于 a 与 b 且 c", "x between a and b and c"),
    ("x 介于 1 与 (a 且 b)", "x 介于 1 与 (a 且 b)", "x between 1 and (a and b)"),
    ("x 为空 或 y 不为空", "x 为空 或 y 不为空", "x is null or y is not null"),
    (
        "x 在 [1, 2] 且 y 不在 参数.集合",
        "x 在 [1, 2] 且 y 不在 参数.集合",
        "x in [1, 2] and y not in param.集合",
    ),
    ("a 早于 b 且 c 晚于 d", "a 早于 b 且 c 晚于 d", "a before b and c after d"),
    ('c 在编码集 "S1"', 'c 在编码集 "S1"', 'c in code_set "S1"'),
    (
        'c 在编码范围 "O00" 至 "O9A"',
        'c 在编码范围 "O00" 至 "O9A"',
        'c in code_range "O00" to "O9A"',
    ),
    ("a - b 天 > (c + 1) 小时", "a - b 天 > (c + 1) 小时", "a - b days > (c + 1) hours"),
    ("30 天 + 5 分钟 - 1 秒", "30 天 + 5 分钟 - 1 秒", "30 days + 5 minutes - 1 seconds"),
    ("x 天.y", "x 天.y", "x days.y"),
    ("(若 a 则 b 否则 c) + 1", "(若 a 则 b 否则 c) + 1", "(if a then b else c) + 1"),
    (
        "如果 a 则 b 否则 若 c 则 d 否则 e",
        "若 a 则 b 否则 若 c 则 d 否则 e",
        "if a then b else if c then d else e",
    ),
    ("情形 当 a 则 1 否则 3 结束", "情形 当 a 则 1 否则 3 结束", "case when a then 1 else 3 end"),
    (
        "(情形 当 a 则 1 当 b 则 2 否则 3 结束) = 1",
        "情形 当 a 则 1 当 b 则 2 否则 3 结束 == 1",
        "case when a then 1 when b then 2 else 3 end == 1",
    ),
    (
        "求和(x.金额 对于 明细 x 满足 x.a 排序 x.t 降序, x.id 升序)",
        "求和(x.金额 对于 明细 x 满足 x.a 排序 x.t 降序, x.id)",
        "sum(x.金额 for 明细 x where x.a order by x.t desc, x.id)",
    ),
    (
        "计数(满足 x.a) + 求和(x.b 满足 x.a)",
        "计数(满足 x.a) + 求和(x.b 满足 x.a)",
        "count(where x.a) + sum(x.b where x.a)",
    ),
    ("计数(日期序列(a, b) d)", "计数(日期序列(a, b) d)", "count(dates(a, b) d)"),
    (
        "不存在(明细 y 满足 y.a > 0) 且 存在(明细 z)",
        "不存在(明细 y 满足 y.a > 0) 且 存在(明细 z)",
        "not exists(明细 y where y.a > 0) and exists(明细 z)",
    ),
    ("非 存在(明细 y)", "不存在(明细 y)", "not exists(明细 y)"),
    ("1 + 不存在(明细 y)", "1 + 不存在(明细 y)", "1 + not exists(明细 y)"),
    ("非 存在(a)", "非 存在(a)", "not (exists(a))"),
    ("r2(a) + 周岁(b, c) + foo()", "r2(a) + 周岁(b, c) + foo()", "r2(a) + age(b, c) + foo()"),
    ("【1，2】", "[1, 2]", "[1, 2]"),
    (
        "x = 1.50 或 x = 0.005 或 x = 80.0",
        "x == 1.50 或 x == 0.005 或 x == 80.0",
        "x == 1.50 or x == 0.005 or x == 80.0",
    ),
    (
        "d = 2025-03-01 且 t = 2025-03-01T10:00:00",
        "d == 2025-03-01 且 t == 2025-03-01 10:00:00",
        "d == 2025-03-01 and t == 2025-03-01 10:00:00",
    ),
    (
        "a = 是 且 b = 否 且 c = 空",
        "a == 真 且 b == 假 且 c == 空",
        "a == true and b == false and c == null",
    ),
    ('"说\\"是\\"\\n"', '"说\\"是\\"\\n"', '"说\\"是\\"\\n"'),
    ('"{{字面}}"', '"{{字面}}"', '"{{字面}}"'),
    ("“原样\\”", '"原样\\\\"', '"原样\\\\"'),
]


@pytest.mark.parametrize(("source", "zh", "en"), EXPRESSIONS, ids=[e[0] for e in EXPRESSIONS])
def test_expression(source: str, zh: str, en: str) -> None:
    assert when_line(source, "zh") == zh
    assert when_line(source, "en") == en
    assert when_line(zh, "zh") == zh
    assert when_line(zh, "en") == en


def test_english_keyword_glue_gets_parentheses() -> None:
    """Words that would fuse with a neighbouring keyword into a multi-word one are parenthesised."""
    rule = '规则 R "r" {{ 对每组 明细 x 满足 {w} 按 x.k 当 {c} }}'
    m = parse(rule.format(w="x.order", c="x 在 code_set 且 非 exists(a) 且 y 在 code_range.b"))
    en = to_source(m, "en")
    assert "where (x.order) by x.k" in en
    assert "x in (code_set) and not (exists(a)) and y in (code_range.b)" in en
    assert parse(en) == m


# ------------------------------------------------------------- whole rules --

RULE_EN = """\
rule YP-02 "药品限儿童使用" {
  category 药品类 result definite stages pre,during , post
  level fee severity high effective 2025-01-01 to enabled no
  source "国家医保药品目录" description "限儿童"
  param 上限: set<str> = [-1, 2.50, "a"]
  define 儿童(p) = p.年龄 < 18
  for each fee L where L.数量 > 0
  let a = age(patient.birth, L.date)
  when L.drug.child_only and not 儿童(patient)
  amount r2(L.amt)
  message "{L.item_name}限儿童使用，{patient.sex|sex}"
  output 项目编码 = L.code, 日期 = L.date
  lines [L]
  example fires "触发" { fee(sn="F1", amt=80.00) param(上限=[1]) expect(sn="F1") }
  example { expect none }
}
override param YP-02.上限 = -3
disable rule GL-08
"""

RULE_ZH = """\
规则 YP-02 "药品限儿童使用" {
    类别 药品类
    结果类型 明确违规
    环节 事前, 事中, 事后
    层级 明细
    严重程度 高
    生效 2025-01-01 至
    启用 假
    依据 "国家医保药品目录"
    说明 "限儿童"
    参数 上限: 集合<文本> = [-1, 2.50, "a"]
    定义 儿童(p) = p.年龄 < 18
    对每条 fee L 满足 L.数量 > 0
    令 a = 周岁(patient.birth, L.date)
    当 L.drug.child_only 且 非 儿童(patient)
    违规金额 r2(L.amt)
    提示 "{L.item_name}限儿童使用，{patient.sex|性别}"
    输出 项目编码 = L.code, 日期 = L.date
    明细行 [L]
    示例 fires "触发" {
        fee(sn="F1", amt=80.00)
        参数(上限=[1])
        预期(sn="F1")
    }
    示例 {
        预期 无
    }
}

覆盖 参数 YP-02.上限 = -3

停用 规则 GL-08
"""


def test_rule_to_chinese() -> None:
    assert to_source(parse(RULE_EN), "zh") == RULE_ZH
    assert_canonical(RULE_ZH, "zh")


def test_rule_to_english_and_back() -> None:
    en = to_source(parse(RULE_ZH), "en")
    assert en.startswith(
        'rule YP-02 "药品限儿童使用" {\n    category 药品类\n    result definite\n'
    )
    assert "    for each fee L where L.数量 > 0\n" in en
    assert '    example fires "触发" {\n        fee(sn="F1", amt=80.00)\n' in en
    assert to_source(parse(en), "zh") == RULE_ZH
    assert_canonical(en, "en")


def test_group_scope() -> None:
    src = "对每组 明细 x, 结算 s 满足 x.a 按 x.就诊 记为 就诊, x.日期"
    text = to_source(parse(f'规则 R "r" {{ {src} }}'), "en")
    assert text.splitlines()[1] == (
        "    for each group of 明细 x, 结算 s where x.a by x.就诊 as 就诊, x.日期"
    )


def test_layout_of_top_level_items() -> None:
    src = (
        '规则库 宁夏 包含 "a.rules" 包含 "b.rules" 继承 "../国家" 参数 a: 整数 = 1 '
        '参数 b: 小数 = 0.5 定义 f() = 1 规则 R "r" { } 覆盖 参数 a = 2'
    )
    assert to_source(parse(src)) == (
        "规则库 宁夏\n\n"
        '包含 "a.rules"\n包含 "b.rules"\n\n'
        '继承 "../国家"\n\n'
        "参数 a: 整数 = 1\n参数 b: 小数 = 0.5\n\n"
        "定义 f() = 1\n\n"
        '规则 R "r" {\n}\n\n'
        "覆盖 参数 a = 2\n"
    )
    assert to_source(parse("")) == ""


def test_long_condition_wraps_at_and() -> None:
    terms = [f"明细.很长的字段名称{i} > 参数.很长的参数名称{i}" for i in range(4)]
    text = to_source(parse('规则 R "r" { 当 ' + " 且 ".join(terms) + " }"))
    lines = text.splitlines()
    assert lines[1] == f"    当 {terms[0]}"
    assert lines[2:5] == [f"        且 {t}" for t in terms[1:]]
    assert_canonical(text, "zh")
    short = to_source(parse('规则 R "r" { 当 a 且 b }'))
    assert short.splitlines()[1] == "    当 a 且 b"


def test_a_long_example_row_is_filled_and_a_short_one_kept_on_one_line() -> None:
    cells = ", ".join(f'很长的列名{i}="很长很长的取值{i}"' for i in range(8))
    text = to_source(parse(f'规则 R "r" {{ 示例 {{ 明细({cells}) 预期(a=1, b=[1, 2]) }} }}'))
    lines = text.splitlines()
    assert lines[2].startswith("        明细(很长的列名0=") and lines[2].endswith(",")
    assert all(line.startswith("            很长的列名") for line in lines[3:-3])
    assert lines[-3] == "        预期(a=1, b=[1, 2])" and lines[-4].endswith('"很长很长的取值7")')
    assert all(len(line.encode("gbk")) <= 100 for line in lines)  # GBK: CJK take two bytes
    assert_canonical(text, "zh")


def test_long_or_condition_wraps_at_or() -> None:
    terms = [f"明细.很长的字段名称{i} > 参数.很长的参数名称{i}" for i in range(3)]
    src = '规则 R "r" { 令 x = ' + " 或 ".join(terms) + " 且 y }"
    lines = to_source(parse(src)).splitlines()
    assert lines[1:4] == [
        f"    令 x = {terms[0]}",
        f"        或 {terms[1]}",
        f"        或 ({terms[2]} 且 y)",
    ]
    assert_canonical("\n".join(lines) + "\n", "zh")


def test_blank_lines_inside_rules_are_kept() -> None:
    src = (
        '规则 R "r" {\n\n    类别 药品类\n    层级 明细\n\n\n    # 逻辑\n    当 a\n\n'
        "    示例 {\n        明细(a=1)\n\n        预期 无\n\n    }\n\n}\n"
    )
    text = to_source(parse(src))
    assert text == (
        '规则 R "r" {\n    类别 药品类\n    层级 明细\n\n    # 逻辑\n    当 a\n\n'
        "    示例 {\n        明细(a=1)\n\n        预期 无\n    }\n}\n"
    )
    assert to_source(parse(text)) == text


def test_templates() -> None:
    src = '规则 R "r" { 提示 “{取非空(x.名称, "无")}：{{说明}}\\{x.金额|金额}” }'
    m = parse(src)
    zh = to_source(m, "zh")
    assert zh.splitlines()[1] == '    提示 “{取非空(x.名称, "无")}：{{说明}}\\{x.金额|金额}”'
    assert to_source(m, "en").splitlines()[1] == (
        '    message “{coalesce(x.名称, "无")}：{{说明}}\\{x.金额|money}”'
    )
    plain = parse('规则 R "r" { 提示 "a\\"{若 x 则 1 否则 2}\\\\{{" }')
    assert to_source(plain, "en").splitlines()[1] == (
        '    message "a\\"{if x then 1 else 2}\\\\{{"'
    )
    assert_canonical(zh, "zh")


def test_decimals_keep_their_kind() -> None:
    m = n.Module(
        (
            n.ParamDecl(
                "x",
                n.TypeRef("float", span=S),
                n.ListLit(
                    tuple(
                        n.Literal(Decimal(v), "decimal", span=S)
                        for v in ("80.0", "0.005", "1E-7", "2E+16", "-3.25")
                    ),
                    span=S,
                ),
                span=S,
            ),
        ),
        span=S,
    )
    text = to_source(m, "en")
    assert text == "param x: float = [80.0, 0.005, 0.0000001, 20000000000000000.0, -3.25]\n"
    assert parse(text) == m


# ---------------------------------------------------------------- comments --

COMMENTED = """\
# 文件头
参数 a: 整数 = 1  # 行尾
# 规则前
规则 R "r" {  # 花括号后
    类别 药品类
    # 条件前
    当 a
       且 b  # 条件末行
       且 c
    违规金额 x  # 金额
    示例 {  # 示例头
        # 行前
        明细(a=1)  # 行尾
        # 示例末
    }
    # 规则末
}  # 规则后
# 文件末
"""

COMMENTED_CANONICAL = """\
# 文件头
参数 a: 整数 = 1  # 行尾

# 规则前
规则 R "r" {
    # 花括号后
    类别 药品类
    # 条件前
    当 a 且 b 且 c
    # 条件末行
    违规金额 x  # 金额
    示例 {
        # 示例头
        # 行前
        明细(a=1)  # 行尾
        # 示例末
    }
    # 规则末
}  # 规则后
# 文件末
"""


def test_comments_are_kept_in_place() -> None:
    m = parse(COMMENTED)
    assert to_source(m) == COMMENTED_CANONICAL
    again = parse(COMMENTED_CANONICAL)
    assert again == m
    assert [c.text for c in again.comments] == [c.text for c in m.comments]
    assert to_source(again) == COMMENTED_CANONICAL


def test_comments_in_english() -> None:
    en = to_source(parse(COMMENTED), "en")
    assert en.splitlines()[1] == "param a: int = 1  # 行尾"
    assert to_source(parse(en), "zh") == COMMENTED_CANONICAL


def test_comment_only_file_and_blank_rule() -> None:
    assert to_source(parse("  # 只有注释  \n# 第二行\n")) == "# 只有注释\n# 第二行\n"
    text = '规则 R "r" {\n    # 待补充\n}\n'
    assert to_source(parse('规则 R "r" {   # 待补充\n}')) == text
    assert to_source(parse(text)) == text


def test_top_level_blank_lines_are_kept() -> None:
    src = (
        '# 文件说明\n\n\n规则库 宁夏\n包含 "a.rules"\n\n包含 "b.rules"\n'
        "定义 f(x) = x\n# 限价\n\n定义 g(x) = 情形 当 x 则 1 当 非 x 则 2 否则 3 结束\n\n# 完\n"
    )
    text = to_source(parse(src))
    assert text == (
        "# 文件说明\n\n规则库 宁夏\n\n"
        '包含 "a.rules"\n\n包含 "b.rules"\n\n'
        "定义 f(x) = x\n# 限价\n\n定义 g(x) = 情形\n    当 x 则 1\n    当 非 x 则 2\n    否则 3\n结束\n"
        "\n# 完\n"
    )
    assert to_source(parse(text)) == text
    en = to_source(parse(text), "en")
    assert "define g(x) = case\n    when x then 1\n    when not x then 2\n    else 3\nend\n" in en
    assert to_source(parse(en), "zh") == text


def test_case_layout_in_rules() -> None:
    text = to_source(
        parse(
            '规则 R "r" { 令 a = 情形 当 x 则 1 否则 2 结束 违规金额 情形 当 x 则 1 当 y 则 2 否则 3 结束 }'
        )
    )
    assert text == (
        '规则 R "r" {\n    令 a = 情形 当 x 则 1 否则 2 结束\n    违规金额 情形\n'
        "        当 x 则 1\n        当 y 则 2\n        否则 3\n    结束\n}\n"
    )
    assert_canonical(text, "zh")


def test_comment_between_clauses_on_one_line() -> None:
    text = to_source(parse('规则 R "r" { 令 a = 1 令 b = 2  # 说明 b\n}'))
    assert text == '规则 R "r" {\n    令 a = 1\n    令 b = 2  # 说明 b\n}\n'


def test_comments_do_not_swallow_strings() -> None:
    text = to_source(parse('规则 R "r # 不是注释" { 提示 "#1" }  # 是注释'))
    assert text == '规则 R "r # 不是注释" {\n    提示 "#1"\n}  # 是注释\n'


# ----------------------------------------------------------- canonical files --


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_roundtrip_file(lang: str) -> None:
    text = (DATA / f"roundtrip_{lang}.rules").read_text(encoding="utf-8")
    m = parse(text, f"roundtrip_{lang}.rules")
    assert to_source(m, lang) == text
    assert len(m.comments) >= 5


def test_roundtrip_files_are_translations() -> None:
    zh = (DATA / "roundtrip_zh.rules").read_text(encoding="utf-8")
    en = (DATA / "roundtrip_en.rules").read_text(encoding="utf-8")
    assert parse(zh) == parse(en)
    assert to_source(parse(zh), "en") == en
    assert to_source(parse(en), "zh") == zh


# --------------------------------------------------------------------- fmt --


def test_the_shipped_rulebooks_are_formatted() -> None:
    root = Path(__file__).resolve().parent.parent
    assert format_paths([root / "rulebooks"], lang="zh", check=True) == []
    assert format_paths([root / "examples" / "city_rules"], lang="en", check=True) == []


def test_format_text() -> None:
    assert format_text('rule R "r" { when a }', lang="zh") == '规则 R "r" {\n    当 a\n}\n'
    with pytest.raises(ParseError) as info:
        format_text('规则 R "r" { 当 }', name="bad.rules")
    assert info.value.diagnostics[0].span is not None


def test_format_paths(tmp_path: Path) -> None:
    book = tmp_path / "book"
    (book / "sub").mkdir(parents=True)
    good = book / "a.rules"
    good.write_text('规则 R "r" {\n    当 a\n}\n', encoding="utf-8")
    messy = book / "sub" / "b.rules"
    messy.write_text('rule R "r" { when a }\r\n', encoding="utf-8")
    (book / "notes.txt").write_text("not a rule file", encoding="utf-8")

    assert format_paths([book], lang="zh", check=True) == [messy]
    assert messy.read_bytes() == b'rule R "r" { when a }\r\n'
    assert format_paths([book], lang="zh") == [messy]
    assert messy.read_bytes() == good.read_bytes()
    assert format_paths([book, good], lang="zh", check=True) == []
    assert format_paths([good], lang="en", check=True) == [good]


def test_format_paths_writes_nothing_on_errors(tmp_path: Path) -> None:
    messy = tmp_path / "a.rules"
    messy.write_text('rule R "r" { when a }', encoding="utf-8")
    (tmp_path / "b.rules").write_text('规则 R "r" { 当 }', encoding="utf-8")
    (tmp_path / "c.rules").write_text("规则 {", encoding="utf-8")
    with pytest.raises(ParseError) as info:
        format_paths([tmp_path])
    assert len(info.value.diagnostics) == 2
    assert messy.read_text(encoding="utf-8") == 'rule R "r" { when a }'
    with pytest.raises(UsageError):
        format_paths([tmp_path / "missing"])


# ------------------------------------------------------------------ visitor --


def test_iter_children_and_walk() -> None:
    m = parse('规则 R "r" { 提示 "{a}-{b|金额}" 当 x 在 [1, y] }')
    rule = m.items[0]
    assert list(iter_children(rule)) == list(rule.clauses)
    template = rule.clauses[0].template
    assert [type(c).__name__ for c in iter_children(template)] == ["Placeholder", "Placeholder"]
    names = [x.id for x in walk(m) if isinstance(x, n.Name)]
    assert names == ["a", "b", "x", "y"]


def test_visitor_dispatch() -> None:
    class Count(NodeVisitor):
        def __init__(self) -> None:
            self.literals = 0

        def visit_Literal(self, node: n.Literal) -> None:
            self.literals += 1

    v = Count()
    v.visit(parse('规则 R "r" { 当 a > 1 且 b 在 [2, "3"] }'))
    assert v.literals == 3


def test_transformer_rebuilds_only_what_changed() -> None:
    m = parse('规则 R "r" { 令 k = 1 当 a > 1 输出 c = 2 }')

    class DropLets(NodeTransformer):
        def visit_Let(self, node: n.Let) -> None:
            return None

        def visit_Literal(self, node: n.Literal) -> n.Literal:
            return attrs.evolve(node, value=node.value * 10) if node.kind == "int" else node

    out = DropLets().visit(m)
    assert to_source(out) == '规则 R "r" {\n    当 a > 10\n    输出 c = 20\n}\n'
    assert out.items[0].span == m.items[0].span
    assert to_source(m).count("令 k = 1") == 1  # the input is unchanged
    same = NodeTransformer().visit(m)
    assert same is m


def test_long_lines_break_inside_aggregates() -> None:
    src = (
        '规则 R "r" { 令 伙伴 = 首条(结算 T 满足 T.人员编号 = S.人员编号 且 T.结算时间 > S.结算时间 - '
        "参数.间隔分钟 分钟 且 T.结算时间 < S.结算时间 + 参数.间隔分钟 分钟 且 T != S "
        "排序 绝对值(T.结算时间 - S.结算时间), T.结算ID) "
        "当 计数(就诊 W 满足 W.人员编号 = V.人员编号 且 W.入院日期 >= 起日 且 W.入院日期 <= V.入院日期) "
        "> 参数.上限 且 非 存在(结算 s 满足 s.就诊 = V) }"
    )
    text = to_source(parse(src))
    assert text == (
        '规则 R "r" {\n'
        "    令 伙伴 = 首条(结算 T 满足 T.人员编号 == S.人员编号\n"
        "        且 T.结算时间 > S.结算时间 - 参数.间隔分钟 分钟\n"
        "        且 T.结算时间 < S.结算时间 + 参数.间隔分钟 分钟\n"
        "        且 T != S\n"
        "        排序 绝对值(T.结算时间 - S.结算时间), T.结算ID)\n"
        "    当 计数(就诊 W 满足 W.人员编号 == V.人员编号\n"
        "            且 W.入院日期 >= 起日\n"
        "            且 W.入院日期 <= V.入院日期) > 参数.上限\n"
        "        且 不存在(结算 s 满足 s.就诊 == V)\n"
        "}\n"
    )
    assert_canonical(text, "zh")


def test_long_lists_and_outputs_break_after_commas() -> None:
    codes = ", ".join(f'"编码{i:03d}"' for i in range(12))
    text = to_source(parse(f"参数 集: 集合<文本> = [{codes}]"))
    assert text.splitlines()[0] == '参数 集: 集合<文本> = ["编码000",'
    assert text.splitlines()[1] == '    "编码001",'
    assert_canonical(text, "zh")
    outputs = ", ".join(f"列{i} = 明细.很长的字段名称{i}" for i in range(5))
    text = to_source(parse(f'规则 R "r" {{ 输出 {outputs} }}'), "en")
    assert text.splitlines()[1:3] == [
        "    output 列0 = 明细.很长的字段名称0,",
        "        列1 = 明细.很长的字段名称1,",
    ]
    assert_canonical(text, "en")
