"""Hypothesis strategies for rule syntax: well-formed ASTs and rule-like source text.

AST strategies build only trees the parser can produce, so that
``parse(to_source(tree, lang)) == tree`` must hold for every draw:

* names mix ASCII and CJK identifiers and are never keywords, unit words or
  parts of multi-word English keywords (``each``, ``order``, ``exists`` …);
* numbers in expressions are non-negative (``-1`` is ``Unary("neg", 1)``);
  negative literals and :class:`~ruledsl.ast.nodes.ListLit` appear only where
  the grammar has constants (parameter defaults, overrides, example cells);
* builtins, levels, stages, result types, severities, types and filters are in
  canonical (English) form;
* templates alternate text and placeholders and hold at least one placeholder,
  whose expressions contain no strings;
* every span is ``Span(0, 0)``.

:func:`source_text` draws text for the "parses or raises ``ParseError``"
property: sentences of the grammar (``from_lark``) and mutated valid rules.

Example:
    >>> from hypothesis import Phase, find, settings
    >>> first = settings(max_examples=1000, phases=[Phase.generate], derandomize=True, database=None)
    >>> find(expressions(), lambda e: type(e).__name__ == "Between", settings=first).low is not None
    True
"""

from __future__ import annotations

import datetime as dt
import re
import string
from decimal import Decimal
from typing import Any, TypeVar

from hypothesis import strategies as st

from ..ast import nodes as n
from ..source import Span
from ..syntax.keywords import KEYWORDS, MULTI_WORD, UNITS, keyword_type, unit_of
from ..syntax.vocab import CATEGORIES, FUNCTIONS, VALUES, canonical_function, canonical_value

T = TypeVar("T")

SPAN = Span(0, 0)
"""The span of every generated node."""

_NAME_RE = re.compile(r"[^\W\d]\w*")
_MULTI_PARTS = frozenset(word for key in MULTI_WORD for word in key)
_CJK = (
    "明细患者金额数量项目名称编码就诊机构药品诊断费用儿童年龄上下限次住院科室医师类型标志甲乙丙丁"
)
_OPS = ("+", "-", "*", "/", "=", "!=", "<", "<=", ">", ">=", "and", "or")


def _node(cls: type[T], *args: Any, **kwargs: Any) -> T:
    return cls(*args, span=SPAN, **kwargs)  # type: ignore[call-arg]


def _build(cls: type[T], *args: st.SearchStrategy[Any]) -> st.SearchStrategy[T]:
    return st.builds(lambda *a: _node(cls, *a), *args)


def is_identifier(word: str) -> bool:
    """Can ``word`` be written as a name in both keyword languages?

    Example:
        >>> is_identifier("金额"), is_identifier("且"), is_identifier("天"), is_identifier("order")
        (True, False, False, False)
    """
    return (
        _NAME_RE.fullmatch(word) is not None
        and keyword_type(word) is None
        and unit_of(word) is None
        and word.lower() not in _MULTI_PARTS
    )


@st.composite
def _raw_identifier(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(("ascii", "cjk", "mixed")))
    ascii_start = string.ascii_letters + "_"
    ascii_rest = ascii_start + string.digits
    if kind == "ascii":
        return draw(st.text(ascii_start, min_size=1, max_size=1)) + draw(
            st.text(ascii_rest, max_size=6)
        )
    if kind == "cjk":
        return draw(st.text(_CJK, min_size=1, max_size=4))
    return draw(st.text(_CJK, min_size=1, max_size=2)) + draw(st.text(ascii_rest, max_size=3))


def identifiers() -> st.SearchStrategy[str]:
    """Names: ASCII, CJK or mixed identifiers that are no keyword or unit word."""
    return _raw_identifier().filter(is_identifier)


def _canonical_words(kind: str) -> st.SearchStrategy[str]:
    """A metadata word of ``kind`` in canonical form (known, or an unknown identifier)."""
    return st.one_of(
        st.sampled_from(sorted(VALUES[kind])),
        identifiers().filter(lambda w: canonical_value(kind, w) == w),
    )


def function_names() -> st.SearchStrategy[str]:
    """Canonical builtin names, or user names that are not builtin aliases."""
    return st.one_of(
        st.sampled_from(sorted(FUNCTIONS)),
        identifiers().filter(lambda w: canonical_function(w) == w),
    )


def rule_ids() -> st.SearchStrategy[str]:
    """Rule ids such as ``YP-01`` or ``规则-a-7`` (segments of at most 3 digits)."""
    segment = st.one_of(identifiers(), st.text(string.digits, min_size=1, max_size=3))
    return st.builds(
        lambda first, rest: "-".join([first, *rest]), identifiers(), st.lists(segment, max_size=3)
    )


def texts() -> st.SearchStrategy[str]:
    """Text for strings: any printable character plus quotes, backslashes, braces, newlines."""
    chars = st.one_of(
        st.characters(blacklist_categories=("Cs", "Cc")),
        st.sampled_from('"\\{}\n\t“”|#'),
    )
    return st.text(chars, max_size=12)


# ------------------------------------------------------------------ literals --


def literals(negative: bool = False, strings: bool = True) -> st.SearchStrategy[n.Literal]:
    """Literals of every kind; ``negative`` allows negative numbers (constants only)."""
    sign = st.sampled_from((1, -1)) if negative else st.just(1)
    ints = st.builds(lambda v, s: v * s, st.integers(0, 10**20), sign)
    floats = st.floats(0, 1e20, allow_nan=False, allow_infinity=False).map(abs)
    decimals = st.builds(lambda v, s: Decimal(repr(v * s)), floats, sign)
    kinds: list[st.SearchStrategy[n.Literal]] = [
        ints.map(lambda v: _node(n.Literal, v, "int")),
        decimals.map(lambda v: _node(n.Literal, v, "decimal")),
        st.dates().map(lambda v: _node(n.Literal, v, "date")),
        st.datetimes(dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31)).map(
            lambda v: _node(n.Literal, v.replace(microsecond=0), "ts")
        ),
        st.booleans().map(lambda v: _node(n.Literal, v, "bool")),
        st.just(_node(n.Literal, None, "null")),
    ]
    if strings:
        kinds.append(texts().map(lambda v: _node(n.Literal, v, "str")))
    return st.one_of(*kinds)


def templates(
    placeholder_exprs: st.SearchStrategy[n.Expr] | None = None,
) -> st.SearchStrategy[n.Template]:
    """Templates: text and ``{expr|filter}`` placeholders, at least one placeholder."""
    exprs = placeholder_exprs if placeholder_exprs is not None else expressions(strings=False)
    filters = st.one_of(st.none(), _canonical_words("filter"))
    placeholder = st.builds(lambda e, f: _node(n.Placeholder, e, f), exprs, filters)
    part = st.one_of(texts().filter(bool), placeholder)

    def join(before: list[Any], first: n.Placeholder, after: list[Any]) -> n.Template:
        parts: list[Any] = []
        for p in [*before, first, *after]:
            if isinstance(p, str) and parts and isinstance(parts[-1], str):
                parts[-1] += p
            else:
                parts.append(p)
        return _node(n.Template, tuple(parts))

    return st.builds(join, st.lists(part, max_size=2), placeholder, st.lists(part, max_size=2))


# --------------------------------------------------------------- expressions --


def bindings(exprs: st.SearchStrategy[n.Expr] | None = None) -> st.SearchStrategy[n.Binding]:
    """``明细 x`` or ``dates(a, b) d``."""
    args = exprs if exprs is not None else expressions(strings=False, max_leaves=3)
    call = st.builds(
        lambda f, a: _node(n.Call, f, tuple(a)), function_names(), st.lists(args, max_size=2)
    )
    source = st.one_of(identifiers().map(lambda i: _node(n.Name, i)), call)
    return st.builds(lambda s, a: _node(n.Binding, s, a), source, identifiers())


def _extend(children: st.SearchStrategy[n.Expr]) -> st.SearchStrategy[n.Expr]:
    c = children
    opt = st.one_of(st.none(), c)
    sort_keys = st.lists(
        st.builds(lambda e, d: _node(n.SortKey, e, d), c, st.booleans()), max_size=2
    )
    return st.one_of(
        _build(n.Attribute, c, identifiers()),
        _build(n.Call, function_names(), st.lists(c, max_size=3).map(tuple)),
        st.builds(
            lambda f, v, b, w, o: _node(n.Comprehension, f, v, b, w, tuple(o)),
            function_names(),
            opt,
            bindings(c),
            opt,
            sort_keys,
        ),
        _build(n.GroupAgg, function_names(), opt, c),
        _build(n.Unary, st.sampled_from(("neg", "not")), c),
        _build(n.Binary, st.sampled_from(_OPS), c, c),
        _build(n.InList, c, c, st.booleans()),
        _build(n.Between, c, c, c),
        _build(n.IsNull, c, st.booleans()),
        _build(n.Before, c, c, st.booleans()),
        _build(n.InCodeSet, c, c),
        _build(n.InCodeRange, c, c, c),
        _build(n.Duration, c, st.sampled_from(sorted(UNITS))),
        _build(n.If, c, c, c),
        _build(
            n.Case,
            st.lists(_build(n.When, c, c), min_size=1, max_size=3).map(tuple),
            c,
        ),
        _build(n.ListExpr, st.lists(c, max_size=3).map(tuple)),
    )


def expressions(strings: bool = True, max_leaves: int = 12) -> st.SearchStrategy[n.Expr]:
    """Expressions of every kind, nested.

    Args:
        strings: Allow string literals and templates (template placeholders
            cannot hold strings inside ``"…"``).
        max_leaves: Size bound of the recursion.
    """
    leaves: list[st.SearchStrategy[n.Expr]] = [
        literals(strings=strings),
        identifiers().map(lambda i: _node(n.Name, i)),
        identifiers().map(lambda i: _node(n.ParamRef, i)),
    ]
    if strings:
        leaves.append(templates(expressions(strings=False, max_leaves=4)))
    return st.recursive(st.one_of(*leaves), _extend, max_leaves=max_leaves)


def consts() -> st.SearchStrategy[n.Expr]:
    """Constants: literals (negative numbers too), templates, lists of constants."""
    base = st.one_of(literals(negative=True), templates(expressions(strings=False, max_leaves=3)))
    return st.recursive(
        base, lambda c: _build(n.ListLit, st.lists(c, max_size=3).map(tuple)), max_leaves=5
    )


# ---------------------------------------------------------------- clauses --


def _opt(s: st.SearchStrategy[T]) -> st.SearchStrategy[T | None]:
    return st.one_of(st.none(), s)


def type_refs() -> st.SearchStrategy[n.TypeRef]:
    """``整数``, ``集合<文本>``, or an unknown type name."""
    return _build(n.TypeRef, _canonical_words("type"), _opt(_canonical_words("type")))


def param_decls() -> st.SearchStrategy[n.ParamDecl]:
    """``参数 name: type = const "doc"``."""
    return _build(n.ParamDecl, identifiers(), type_refs(), consts(), _opt(texts()))


def defines() -> st.SearchStrategy[n.Define]:
    """``定义 f(a, b) = expr``."""
    return _build(
        n.Define, identifiers(), st.lists(identifiers(), max_size=3).map(tuple), expressions()
    )


def scopes() -> st.SearchStrategy[n.Scope]:
    """Row scopes (one binding) and group scopes (bindings and keys)."""
    exprs = expressions(max_leaves=6)
    keys = st.lists(_build(n.GroupKey, exprs, _opt(identifiers())), min_size=1, max_size=3)
    row = st.builds(lambda b, w: _node(n.Scope, (b,), w, None), bindings(), _opt(exprs))
    group = st.builds(
        lambda b, w, k: _node(n.Scope, tuple(b), w, tuple(k)),
        st.lists(bindings(), min_size=1, max_size=3),
        _opt(exprs),
        keys,
    )
    return st.one_of(row, group)


def examples() -> st.SearchStrategy[n.Example]:
    """``示例 name "title" { rows… }`` with rows, parameters and expectations."""
    fields = st.lists(_build(n.FieldValue, identifiers(), consts()), max_size=3).map(tuple)
    item = st.one_of(
        _build(n.ExampleRow, identifiers(), fields),
        _build(n.ExampleParams, fields),
        _build(n.Expect, fields),
        st.just(_node(n.ExpectNone)),
    )
    return _build(
        n.Example, _opt(identifiers()), _opt(texts()), st.lists(item, max_size=4).map(tuple)
    )


def clauses() -> st.SearchStrategy[n.Decl]:
    """Every kind of rule clause."""
    exprs = expressions()
    message = st.one_of(texts().map(lambda v: _node(n.Literal, v, "str")), templates())
    extra: list[st.SearchStrategy[n.Decl]] = []
    if hasattr(n, "Property") and "property" in VALUES:  # 性质 递减(参数.x)
        extra.append(_build(n.Property, _canonical_words("property"), exprs))
    return st.one_of(
        *extra,
        _build(n.Category, st.one_of(st.sampled_from(CATEGORIES), identifiers())),
        _build(n.ResultType, _canonical_words("result")),
        _build(n.Stages, st.lists(_canonical_words("stage"), min_size=1, max_size=3).map(tuple)),
        _build(n.Level, _canonical_words("level")),
        _build(n.Severity, _canonical_words("severity")),
        _build(n.Effective, _opt(st.dates()), _opt(st.dates())),
        _build(n.Enabled, st.booleans()),
        _build(n.SourceText, texts()),
        _build(n.Description, texts()),
        param_decls(),
        defines(),
        scopes(),
        _build(n.Let, identifiers(), exprs),
        _build(n.WhenClause, exprs),
        _build(n.Amount, exprs),
        _build(n.Message, message),
        _build(
            n.Output,
            st.lists(_build(n.OutAssign, identifiers(), exprs), min_size=1, max_size=3).map(tuple),
        ),
        _build(n.Lines, exprs),
        examples(),
    )


def rules() -> st.SearchStrategy[n.Rule]:
    """``规则 ID "name" { clauses… }``."""
    return _build(n.Rule, rule_ids(), texts(), st.lists(clauses(), max_size=6).map(tuple))


def items() -> st.SearchStrategy[n.Decl]:
    """Top-level items: header, include, extends, parameters, overrides, disables, defines, rules."""
    return st.one_of(
        _build(n.RulebookHeader, identifiers(), _opt(texts())),
        _build(n.Include, texts()),
        _build(n.Extends, texts()),
        _build(n.Override, _opt(rule_ids()), identifiers(), consts()),
        _build(n.Disable, rule_ids()),
        param_decls(),
        defines(),
        rules(),
    )


def modules() -> st.SearchStrategy[n.Module]:
    """Whole rule files (without comments)."""
    return st.lists(items(), max_size=4).map(lambda i: _node(n.Module, tuple(i)))


# ------------------------------------------------------------- source text --

SNIPPETS: tuple[str, ...] = (
    '规则 YP-01 "限儿童用药" {\n'
    "    类别 药品类\n"
    "    环节 事前, 事中, 事后  # 注释\n"
    "    对每条 明细 L 满足 L.数量 > 0\n"
    "    当 L.药品.限儿童 且 周岁(患者.出生日期, L.费用日期) >= 参数.儿童年龄上限\n"
    "    违规金额 r2(L.金额 * 0.5)\n"
    '    提示 "{L.项目名称} 限儿童使用 {患者.性别|性别}"\n'
    '    示例 触发 "说明" {\n'
    '        明细(流水号="F1", 金额=80.0, 日期=2025-03-01)\n'
    '        预期(流水号="F1")\n'
    "    }\n"
    "}\n",
    '参数 儿童年龄上限: 整数 = 6 "岁"\n'
    '参数 编码: 集合<文本> = ["13", "14"]\n'
    "覆盖 参数 GL-02.max_visits = -8\n"
    "停用 规则 GL-08\n",
    'rule GL-02 "频繁就诊" {\n'
    "    for each group of visit v where v.kind == inpatient by v.person as p\n"
    "    let n = count(visit w where w.person == p and w.begin between a and b order by w.begin desc)\n"
    "    when n > param.max_visits and not exists(fee x for fee y where y.amount is null)\n"
    "    amount sum(v.amount where v.amount is not null)\n"
    '    message “{p} {count(where v.code in code_set "S1")}”\n'
    "    output start = if n > 1 then 30 days else case when a then 1 else 2 end\n"
    "}\n",
)
"""Valid rule texts that :func:`source_text` mutates."""

_TOKEN_RE = re.compile(r'"(?:[^"\\\n]|\\.)*"|“[^”\n]*”|#[^\n]*|\w+|\s+|.', re.S)
_INSERTS = (
    "(",
    ")",
    "{",
    "}",
    ",",
    ".",
    "=",
    "-",
    '"',
    "“",
    "且",
    "and",
    "满足",
    "规则",
    "#",
    "\n",
)


@st.composite
def mutated_text(draw: st.DrawFn, base: st.SearchStrategy[str] | None = None) -> str:
    """A valid rule text with a few tokens deleted, duplicated, swapped or inserted."""
    text = draw(base if base is not None else st.sampled_from(SNIPPETS))
    tokens = _TOKEN_RE.findall(text) or [""]
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(tokens) - 1))
        op = draw(st.sampled_from(("delete", "duplicate", "swap", "insert")))
        if op == "delete" and len(tokens) > 1:
            del tokens[i]
        elif op == "duplicate":
            tokens.insert(i, tokens[i])
        elif op == "swap" and i + 1 < len(tokens):
            tokens[i], tokens[i + 1] = tokens[i + 1], tokens[i]
        else:
            tokens.insert(i, draw(st.sampled_from(_INSERTS)))
    return "".join(tokens)


def _padded(s: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return s.map(lambda w: f" {w} ")


def grammar_text() -> st.SearchStrategy[str]:
    """Sentences of the grammar (``from_lark``), keywords and names spaced apart.

    Keyword terminals are ``%declare``'d (the post-lexer retypes words), so
    they get explicit strategies from the keyword table; names, numbers and
    keywords are padded with spaces so that neighbours do not lex as one
    word (hypothesis issue #1804).
    """
    from hypothesis.extra.lark import from_lark

    from ..syntax.parser import _lark

    explicit: dict[str, st.SearchStrategy[str]] = {
        terminal: _padded(st.sampled_from((*zh, *en))) for terminal, (zh, en) in KEYWORDS.items()
    }
    explicit["UNIT"] = _padded(
        st.sampled_from([w for zh, en in UNITS.values() for w in (*zh, *en)])
    )
    explicit["NAME"] = _padded(identifiers())
    explicit["INT"] = _padded(
        st.one_of(st.from_regex(r"[0-9]{1,6}", fullmatch=True), st.just("9" * 5000))
    )
    explicit["DECIMAL"] = _padded(
        st.one_of(
            st.from_regex(r"[0-9]{1,4}\.[0-9]{1,4}", fullmatch=True), st.just("9" * 400 + ".5")
        )
    )
    explicit["DATE"] = _padded(st.one_of(st.dates().map(str), st.just("2025-02-30")))
    explicit["TIMESTAMP"] = _padded(st.sampled_from(("2025-03-01 10:00:00", "2025-03-01T25:00:00")))
    explicit["STRING"] = st.one_of(
        st.from_regex(r'"(?:[^"\\\n]|\\.)*"', fullmatch=True),
        st.sampled_from(
            (
                '"{x}"',
                '"{x.a|金额}"',
                '"{"',
                '"}"',
                '"{1 +}"',
                '"{ }"',
                '“{f("a")}”',
                '"a{{b}}"',
                '"{x|}"',
                '"{非 存在(明细 x)}"',
            )
        ),
    )
    explicit["COMMENT"] = st.just("# 注释\n")
    return from_lark(_lark(), start="module", explicit=explicit)


def source_text() -> st.SearchStrategy[str]:
    """Rule-like text: grammar sentences, mutated snippets and mutated printed modules."""
    from ..ast.printer import to_source

    printed = st.builds(to_source, modules(), st.sampled_from(("zh", "en")))
    return st.one_of(grammar_text(), mutated_text(), mutated_text(printed))
