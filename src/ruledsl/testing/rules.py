"""Hypothesis strategies for rule text that type-checks by construction.

:func:`well_typed_rules` draws the text of one rule, in Chinese or English
keywords (drawn per rule), that :func:`ruledsl.rulebook.load_text` accepts: no
filtering, every choice is made so that the checker's typing rules hold.
Columns are picked by type from :data:`ruledsl.schema.SCHEMA` (physical
columns, derived fields and navigation up to three hops: ``L.就诊.参保人.出生日期``),
string literals come from the code pools of :mod:`ruledsl.testing.data` for
the column they are compared with, so the rules fire on generated batches.

What a rule may contain:

* **scopes**: row rules over 明细, 就诊, 结算, 诊断, 参保人 (default or written
  ``输出``, levels that differ from the scope), group rules
  ``对每组 明细 x[, 组合项目 p …] 满足 … 按 k1 记为 名, 月份(x.费用日期) …`` over
  明细, 就诊, 结算 and 诊断 with group aggregates (``计数() 求和 最小 最大 平均
  去重计数 任一 全部 首条 末条 收集 众数``, with and without ``满足``);
* **expressions** of every type: comparisons and ``等同`` (money against
  decimals, dates against dates ± N 天, timestamps ± durations, months,
  durations and their ratios, rows by identity), ``在 [...]`` / ``不在`` /
  ``在 参数.集合`` / ``在 收集(…)``, ``介于``, ``为空``, ``早于``/``晚于``,
  ``在编码集``, ``在编码范围`` (constant and parameter bounds),
  ``且 或 非``, ``若…则…否则``, ``情形``, ``空``, arithmetic, and the builtins
  ``r2 r4 绝对值 较小值 较大值 取非空 周岁 日龄 日期 月份 月初 月末 icd3 规范编码
  左取 长度 大写``;
* **comprehensions** ``计数 存在 不存在 求和 最小 最大 平均 去重计数 任一 全部 首条
  末条 收集 众数`` over claim and knowledge-base tables, with correlated
  equalities (``y.人员编号 = L.人员编号``, catalogue keys, code-set ids), ranges
  (``y.费用日期 >= L.费用日期 - 7``, timestamps ± hours), ``y 早于 L`` and
  ``非 (L 早于 y)``, residual and inner-only conditions, ``排序 … 降序``; generated
  sources ``日期序列``/``序列`` with ``最长连续``;
* ``参数`` of every type, ``令``, ``定义``, ``生效``, amounts, messages whose
  placeholders cover every format (and ``|性别 |金额 |数值``), ``明细行``.

``exclude`` leaves out named :data:`CONSTRUCTS` (while an engine gap is open).
The parser reads a keyword literal between ``(``/``,`` and ``=`` as a name
(``(真 = x)``), so such a literal on the left of ``=`` is written ``((真) = x)``.

``person_local=True`` restricts rules to what a split by person cannot change
(the metamorphic tests): row rules over 明细/就诊/结算 at their own level with
the default keys, whose every comprehension over a claim table is pinned to
the same person or visit (``y.人员编号 = L.人员编号`` or ``y.就诊ID = L.就诊ID``).
Such rules also do not depend on the input row order: ``首条``/``末条``/``收集``
range over 明细/就诊/结算 only, whose natural orders end in their unique keys
(ties in other tables fall back to the row index).

Example:
    >>> from hypothesis import Phase, find, settings
    >>> from ruledsl.rulebook import load_text
    >>> first = settings(max_examples=1000, phases=[Phase.generate], derandomize=True, database=None)
    >>> text = find(well_typed_rules(), lambda t: "对每组" in t, settings=first)
    >>> [r.is_group for r in load_text(text).rules]
    [True]
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import attrs
from hypothesis import strategies as st

from ..check.checker import Checker
from ..schema import SCHEMA
from ..syntax.keywords import KEYWORDS, UNITS
from ..syntax.vocab import CATEGORIES, FUNCTIONS, VALUES
from ..types import (
    BOOL,
    DATE,
    DURATION,
    FLOAT,
    INT,
    MONEY,
    MONTH,
    NULL,
    STR,
    TIMESTAMP,
    DataType,
    ListType,
    RowType,
)
from . import data as pools

__all__ = ["CONSTRUCTS", "rulebook_texts", "well_typed_rules"]

T = TypeVar("T")
Draw = Callable[[st.SearchStrategy[Any]], Any]

CONSTRUCTS = (
    "joined_groups",
    "unordered_ties",
    "in_collect",
    "fractional_duration",
    "order_by",
    "constant_first",
)
"""Constructs :func:`well_typed_rules` can leave out (``exclude=…``), e.g. while an
engine gap is open: group rules with a second binding; ``首条``/``末条``/``收集``
over tables without order columns (ties fall back to the row index); ``在``/``不在`` a ``收集(…)`` list; durations with a
fractional number of seconds; ``排序`` in comprehensions; ``首条``/``末条`` of a
value that does not read the comprehension's row."""

CLAIMS = frozenset(pools.CLAIM_TABLE_NAMES)
ORDERED = ("fee", "visit", "settlement")
MAX_HOPS = 3

# ------------------------------------------------------------ the schema --


@attrs.frozen
class _Hop:
    """One attribute step: a physical column or a derived field of ``owner``."""

    owner: str
    name: str
    label: str
    dtype: DataType
    column: bool


@attrs.frozen
class _Path:
    """``hops`` from a row of some table to a value (or a row)."""

    hops: tuple[_Hop, ...]

    @property
    def dtype(self) -> DataType:
        return self.hops[-1].dtype

    @property
    def last(self) -> _Hop:
        return self.hops[-1]


@functools.cache
def _hops(table: str) -> tuple[_Hop, ...]:
    schema = SCHEMA.tables[table]
    checker = Checker()
    out = [_Hop(table, c.name, c.label, c.dtype, True) for c in schema.columns]
    out += [_Hop(table, d.name, d.label, checker.derived(table, d.name).dtype, False)
            for d in schema.derived]
    return tuple(out)


@functools.cache
def _paths(table: str) -> tuple[_Path, ...]:
    """Every path of at most :data:`MAX_HOPS` hops from a row of ``table``."""
    out: list[_Path] = []
    frontier = [_Path((hop,)) for hop in _hops(table)]
    while frontier:
        out += frontier
        longer = []
        for path in frontier:
            if isinstance(path.dtype, RowType) and len(path.hops) < MAX_HOPS:
                longer += [_Path((*path.hops, hop)) for hop in _hops(path.dtype.table)]
        frontier = longer
    return tuple(out)


_DOMAINS: dict[str, tuple[tuple[str, str], ...]] = {
    "psn": (("fee", "psn_no"), ("visit", "psn_no"), ("settlement", "psn_no"),
            ("person", "psn_no"), ("opsp_reg", "psn_no")),
    "visit": (("fee", "mdtrt_id"), ("visit", "mdtrt_id"), ("settlement", "mdtrt_id"),
              ("diagnosis", "mdtrt_id"), ("operation", "mdtrt_id")),
    "item": (("fee", "med_list_codg"), ("fee", "medins_list_codg"), ("drug", "med_list_codg"),
             ("service", "med_list_codg"), ("material", "med_list_codg"),
             ("item_pair", "code_a"), ("item_pair", "code_b"), ("package", "component_code")),
    "inst": (("visit", "fixmedins_code"), ("settlement", "fixmedins_code"),
             ("fee", "fixmedins_code"), ("institution", "fixmedins_code"),
             ("institution_agreement", "fixmedins_code"),
             ("equipment_licence", "fixmedins_code")),
    "setl": (("fee", "setl_id"), ("settlement", "setl_id")),
    "icd3": (("diagnosis", "icd3"), ("pathway", "icd3"), ("icd10", "icd3")),
    "set": (("code_set", "set_id"), ("drug", "indication_set"), ("service", "indication_set"),
            ("device_rule", "required_set")),
    "generic": (("drug", "generic_id"), ("opsp_scope", "generic_id")),
    "dise": (("visit", "dise_codg"), ("opsp_reg", "dise_codg"), ("opsp_scope", "dise_codg")),
    "device": (("material", "device_class"), ("device_rule", "device_class")),
    "doctor": (("fee", "bilg_dr_codg"), ("visit", "atddr_no"), ("practitioner", "dr_codg")),
    "equip": (("service", "equipment_class"), ("equipment_licence", "equipment_class")),
}
_DOMAIN_OF = {member: domain for domain, members in _DOMAINS.items() for member in members}
_PIN_DOMAINS = ("psn", "visit")
"""Domains that keep a comprehension over claims within one person."""

_DERIVED_VALUES = {
    ("fee", "fixmedins_code"): pools.column_values("visit", "fixmedins_code"),
    ("visit", "kind"): ("inpatient", "outpatient", "pharmacy"),
    ("diagnosis", "code"): tuple(c.upper().replace(" ", "") for c in pools.DIAG_CODES),
    ("diagnosis", "icd3"): ("E11", "O80", "I63", "X99", "Z51"),
}


def _str_values(hop: _Hop) -> tuple[str, ...]:
    return _DERIVED_VALUES.get((hop.owner, hop.name)) or pools.column_values(hop.owner, hop.name)


def _fits(dtype: DataType, cat: str) -> bool:
    if cat == "num":
        return dtype in (INT, FLOAT, MONEY)
    return dtype == _CAT_TYPES.get(cat) or (cat.startswith("row:") and dtype == RowType(cat[4:]))


_CAT_TYPES: dict[str, DataType] = {
    "int": INT, "str": STR, "date": DATE, "ts": TIMESTAMP, "bool": BOOL, "month": MONTH,
    "dur": DURATION, "list": ListType(STR), "money": MONEY,
}
_SOURCES = ("fee", "fee", "visit", "visit", "settlement", "diagnosis", "person", "operation",
            "drug", "service", "material", "code_set", "item_pair", "package", "pathway",
            "institution", "institution_agreement", "equipment_licence", "practitioner",
            "opsp_reg", "opsp_scope", "icd10", "device_rule")
_INT_LITERALS = ("1", "0", "2", "3", "7", "30", "18", "60")
_DEC_LITERALS = ("0.5", "12.5", "1.5", "100.0", "0.005", "3.335", "80.0", "2500.5")
_DATE_LITERALS = ("2025-01-31", "2025-01-01", "2025-02-01", "2025-02-28", "2025-03-01",
                  "2024-02-29", "2000-02-29")
_TS_LITERALS = ("2025-01-31 23:59:59", "2025-01-01 00:00:00", "2025-02-01 09:00:00")
_KEYWORD_LITERALS = frozenset(w for t in ("TRUE", "FALSE", "NULL") for lang in KEYWORDS[t]
                              for w in lang)
_TEXT = ("参保人", "项目", "金额为", "；", "（", "）", "：", "共", "次", "元", "天", "违规", " ")


# ------------------------------------------------------------- the scope --


@attrs.frozen
class _E:
    """A generated expression: its text, type, and whether it needs no parentheses."""

    text: str
    dtype: DataType
    atomic: bool = True

    def par(self) -> str:
        return self.text if self.atomic else f"({self.text})"


@attrs.frozen
class _Scope:
    """What an expression may refer to."""

    rows: tuple[tuple[str, str], ...] = ()
    """Row variables ``(alias, table)``, outermost first."""
    values: tuple[tuple[str, DataType], ...] = ()
    """Generated values (``日期序列 … g``)."""
    named: tuple[tuple[str, DataType], ...] = ()
    """``令`` names (hidden inside group aggregates: they may hold one)."""
    keys: tuple[tuple[str, DataType], ...] = ()
    """Group-key names."""
    members: frozenset[str] = frozenset()
    """Member variables of a group rule."""
    key_columns: frozenset[tuple[str, str]] = frozenset()
    """``(alias, column)`` group keys usable outside group aggregates."""
    group_aggs: bool = False
    """Whether group aggregates may be written here."""
    in_group_agg: bool = False
    no_strings: bool = False
    """Inside a message placeholder: no string literal may be written."""
    aggs: int = 2
    """How many comprehensions may still be nested."""
    inner: str | None = None
    """The innermost comprehension variable (preferred by leaves)."""
    claims_aliases: frozenset[str] = frozenset()
    """Aliases bound to claim rows of the current person (``person_local``)."""

    def with_row(self, alias: str, table: str, **changes: Any) -> _Scope:
        return attrs.evolve(self, rows=(*self.rows, (alias, table)), **changes)

    def allowed(self, alias: str, path: _Path) -> bool:
        if alias not in self.members or self.in_group_agg:
            return True
        first = path.hops[0]
        return not first.column or (alias, first.name) in self.key_columns


# ------------------------------------------------------------ the writer --


@functools.cache
def _index(n: int) -> st.SearchStrategy[int]:
    return st.integers(0, n - 1)


class _Writer:
    """Draws the pieces of one rule."""

    def __init__(self, draw: Draw, lang: str, mix: bool, person_local: bool,
                 exclude: frozenset[str] = frozenset()) -> None:
        unknown = exclude - set(CONSTRUCTS)
        if unknown:
            raise ValueError(f"unknown constructs {sorted(unknown)}; choose from {CONSTRUCTS}")
        self.draw = draw
        self.lang = lang
        self.mix = mix
        self.person_local = person_local
        self.exclude = exclude
        self.counter = 0
        self.params: list[tuple[str, str, str]] = []
        """``(name, category, declaration)``."""
        self.define: tuple[str, str] | None = None
        """``(name, category of its argument)`` of the rule's 定义."""

    # -- choices
    def pick(self, seq: Sequence[T]) -> T:
        return seq[0] if len(seq) == 1 else seq[self.draw(_index(len(seq)))]

    def chance(self, p: float) -> bool:
        return self.draw(_index(100)) >= 100 - round(p * 100)

    def fresh(self, stem: str) -> str:
        self.counter += 1
        return f"{stem}{self.counter}"

    # -- spelling
    def kw(self, terminal: str) -> str:
        zh, en = KEYWORDS[terminal]
        return en[0] if self.lang == "en" else zh[0]

    def fn(self, name: str) -> str:
        return name if self.lang == "en" else FUNCTIONS[name][0]

    def unit(self, unit: str) -> str:
        zh, en = UNITS[unit]
        return en[0] if self.lang == "en" else zh[0]

    def value_word(self, kind: str, word: str) -> str:
        return word if self.lang == "en" else VALUES[kind][word][0]

    def name(self, national: str, label: str) -> str:
        english = self.lang == "en"
        if self.mix and self.chance(0.3):
            english = not english
        return national if english else label

    def table(self, table: str) -> str:
        t = SCHEMA.tables[table]
        return self.name(t.name, t.label)

    def path_text(self, alias: str, path: _Path) -> str:
        return ".".join([alias, *(self.name(h.name, h.label) for h in path.hops)])

    def call(self, name: str, *args: _E | str) -> _E:
        texts = [a if isinstance(a, str) else a.text for a in args]
        return _E(f"{self.fn(name)}({', '.join(texts)})", _fn_type(name, args))

    # -- literals
    def literal(self, cat: str, pool: Sequence[str] = ()) -> _E:
        if cat == "str":
            return _E(f'"{self.pick(pool or ("1",))}"', STR)
        if cat == "int":
            return _E(self.pick(_INT_LITERALS), INT)
        if cat in ("num", "money"):
            if self.chance(0.5):
                return _E(self.pick(_INT_LITERALS), INT)
            return _E(self.pick(_DEC_LITERALS), FLOAT)
        if cat == "date":
            return _E(self.pick(_DATE_LITERALS), DATE)
        if cat == "ts":
            return _E(self.pick(_TS_LITERALS), TIMESTAMP)
        if cat == "bool":
            return _E(self.kw(self.pick(("TRUE", "FALSE"))), BOOL)
        if cat == "dur":
            unit = self.pick(("hour", "minute", "day", "second"))
            amounts = ("2", "30", "1") if "fractional_duration" in self.exclude else \
                ("2", "30", "1", "1.5")
            return _E(f"{self.pick(amounts)} {self.unit(unit)}", DURATION, False)
        if cat == "month":
            return self.call("month", self.literal("date"))
        raise AssertionError(cat)

    def null(self) -> _E:
        return _E(self.kw("NULL"), NULL)

    # -- leaves
    def paths(self, scope: _Scope, cat: str, prefer_inner: bool = True
              ) -> list[tuple[str, _Path]]:
        rows = scope.rows
        if prefer_inner and scope.inner is not None and self.chance(0.7):
            rows = tuple(r for r in rows if r[0] == scope.inner)
        return [(alias, p) for alias, table in rows for p in _paths(table)
                if _fits(p.dtype, cat) and scope.allowed(alias, p)]

    def leaf(self, scope: _Scope, cat: str) -> _E:
        options: list[Callable[[], _E]] = []
        found = self.paths(scope, cat)
        if found:
            def path() -> _E:
                alias, p = self.pick(found)
                return _E(self.path_text(alias, p), p.dtype)
            options += [path, path, path]
        named = [(n, t) for n, t in (*scope.named, *scope.keys, *scope.values) if _fits(t, cat)]
        if named:
            options.append(lambda: _E(*self.pick(named)))
        params = [(n, c) for n, c, _ in self.params if c == cat or (cat == "num" and
                                                                    c in ("int", "money"))]
        if params:
            def param() -> _E:
                name, param_cat = self.pick(params)
                return _E(f"{self.kw('PARAM')}.{name}", _CAT_TYPES.get(param_cat, FLOAT))
            options.append(param)
        if not (cat == "str" and scope.no_strings):
            options.append(lambda: self.literal(cat, self.str_pool(scope)))
        if not options:  # a string inside a placeholder with no text field in reach
            return self.call("upper", self.null())
        return self.pick(options)()

    def str_pool(self, scope: _Scope) -> tuple[str, ...]:
        texts = [p for _, p in self.paths(scope, "str", prefer_inner=False)[:1]]
        return _str_values(texts[0].last) if texts else ("1",)

    # -- expressions
    def expr(self, scope: _Scope, cat: str, budget: int) -> _E:
        """An expression of category ``cat`` (``num int str date ts month dur bool list row:T``)."""
        if cat.startswith("row:"):
            return self.row(scope, cat[4:], budget)
        if budget <= 0 or self.chance(0.35):
            if cat == "bool":
                return self.condition(scope, 0)
            if cat == "list":
                return _E(f"[{self.expr(scope, 'str', 0).text}]", ListType(STR))
            if cat == "month":
                return self.call("month", self.expr(scope, self.pick(("date", "ts")), 0))
            return self.leaf(scope, cat)
        return getattr(self, f"_{cat}")(scope, budget - 1)

    def _bool(self, scope: _Scope, budget: int) -> _E:
        return self.condition(scope, budget)

    def _num(self, scope: _Scope, budget: int) -> _E:
        choice = self.pick(("arith", "int", "func", "agg", "if", "neg", "case", "group", "ratio"))
        if choice == "int":
            return self._int(scope, budget)
        if choice == "ratio":
            a, b = self.expr(scope, "dur", budget), self.expr(scope, "dur", budget)
            return _E(f"{a.par()} / {b.par()}", FLOAT, False)
        if choice == "arith":
            a, b = self.expr(scope, "num", budget), self.expr(scope, "num", budget)
            op = self.pick(("+", "-", "*", "/"))
            return _E(f"{a.par()} {op} {b.par()}", FLOAT if op == "/" else _unify(a, b), False)
        if choice == "func":
            f = self.pick(("r2", "r4", "abs", "least", "greatest", "coalesce"))
            args = [self.expr(scope, "num", budget) for _ in range(1 if f in
                                                                  ("r2", "r4", "abs") else 2)]
            if f == "coalesce" and self.chance(0.2):
                args[1] = self.null()
            return self.call(f, *args)
        if choice == "agg" and scope.aggs > 0:
            return self.comprehension(scope, self.pick(("sum", "count", "min", "max", "avg",
                                                        "count_distinct")), "num", budget)
        if choice == "group" and scope.group_aggs:
            return self.group_agg(scope, self.pick(("sum", "count", "min", "max", "avg")), "num",
                                  budget)
        if choice == "neg":
            return _E(f"-{self.expr(scope, 'num', 0).par()}", FLOAT, False)
        if choice in ("if", "case"):
            return self.conditional(scope, "num", budget, choice == "case")
        return self.leaf(scope, "num")

    def _int(self, scope: _Scope, budget: int) -> _E:
        choice = self.pick(("arith", "length", "age", "days", "months", "count", "abs",
                            "count_distinct", "group"))
        if choice == "arith":
            a, b = self.expr(scope, "int", budget), self.expr(scope, "int", budget)
            return _E(f"{a.par()} {self.pick(('+', '-', '*'))} {b.par()}", INT, False)
        if choice == "length":
            return self.call("length", self.expr(scope, "str", budget))
        if choice == "age":
            return self.call(self.pick(("age", "age_days")), self.expr(scope, "date", budget),
                             self.expr(scope, "date", budget))
        if choice == "days":
            a, b = self.expr(scope, "date", budget), self.expr(scope, "date", budget)
            return _E(f"{a.par()} - {b.par()}", INT, False)
        if choice == "months":
            a, b = self.expr(scope, "month", budget), self.expr(scope, "month", budget)
            return _E(f"{a.par()} - {b.par()}", INT, False)
        if choice == "abs":
            func = self.pick(("abs", "coalesce", "least", "greatest"))
            args = [self.expr(scope, "int", budget)]
            if func != "abs":
                args.append(self.expr(scope, "int", 0))
            return self.call(func, *args)
        if choice in ("count", "count_distinct") and scope.aggs > 0:
            if self.chance(0.15):
                return self.generated(scope, budget)
            return self.comprehension(scope, choice, "int", budget)
        if choice == "group" and scope.group_aggs:
            return self.group_agg(scope, self.pick(("count", "count_distinct")), "int", budget)
        return self.leaf(scope, "int")

    def _str(self, scope: _Scope, budget: int) -> _E:
        choice = self.pick(("func", "left", "coalesce", "if", "agg", "group", "case"))
        if choice == "func":
            return self.call(self.pick(("icd3", "normalize_code", "upper")),
                             self.expr(scope, "str", budget))
        if choice == "left":
            return self.call("left", self.expr(scope, "str", budget),
                             self.expr(scope, "int", 0))
        if choice == "coalesce":
            return self.call("coalesce", self.expr(scope, "str", budget),
                             self.expr(scope, "str", 0))
        if choice in ("if", "case"):
            return self.conditional(scope, "str", budget, choice == "case")
        if choice == "agg" and scope.aggs > 0:
            return self.comprehension(scope, self.pick(("first", "last", "min", "max", "mode")),
                                      "str", budget)
        if choice == "group" and scope.group_aggs:
            return self.group_agg(scope, self.pick(("first", "last", "min", "max", "mode")),
                                  "str", budget)
        return self.leaf(scope, "str")

    def _date(self, scope: _Scope, budget: int) -> _E:
        choice = self.pick(("shift", "date", "month", "extreme", "agg", "group", "if"))
        if choice == "shift":
            d = self.expr(scope, "date", budget)
            n = self.expr(scope, "int", 0) if self.chance(0.3) else self.literal("int")
            unit = f" {self.unit('day')}" if self.chance(0.5) else ""
            return _E(f"{d.par()} {self.pick(('-', '+'))} {n.par()}{unit}", DATE, False)
        if choice == "date":
            return self.call("date", self.expr(scope, "ts", budget))
        if choice == "month":
            return self.call(self.pick(("month_start", "month_end")),
                             self.expr(scope, "month", budget))
        if choice == "extreme":
            return self.call(self.pick(("least", "greatest", "coalesce")),
                             self.expr(scope, "date", budget), self.expr(scope, "date", 0))
        if choice == "agg" and scope.aggs > 0:
            return self.comprehension(scope, self.pick(("min", "max", "first", "last")), "date",
                                      budget)
        if choice == "group" and scope.group_aggs:
            return self.group_agg(scope, self.pick(("min", "max", "first", "mode")), "date",
                                  budget)
        if choice == "if":
            return self.conditional(scope, "date", budget, False)
        return self.leaf(scope, "date")

    def _ts(self, scope: _Scope, budget: int) -> _E:
        choice = self.pick(("shift", "coalesce", "agg"))
        if choice == "shift":
            t = self.expr(scope, "ts", budget)
            return _E(f"{t.par()} {self.pick(('-', '+'))} {self.literal('dur').text}", TIMESTAMP,
                      False)
        if choice == "coalesce":
            return self.call(self.pick(("coalesce", "greatest")), self.expr(scope, "ts", budget),
                             self.expr(scope, "ts", 0))
        if scope.aggs > 0:
            return self.comprehension(scope, self.pick(("max", "min", "last")), "ts", budget)
        return self.leaf(scope, "ts")

    def _month(self, scope: _Scope, budget: int) -> _E:
        m = self.call("month", self.expr(scope, self.pick(("date", "ts")), budget))
        if self.chance(0.4):
            return _E(f"{m.text} {self.pick(('-', '+'))} {self.literal('int').text}", MONTH, False)
        return m

    def _dur(self, scope: _Scope, budget: int) -> _E:
        choice = self.pick(("diff", "literal", "abs", "scale"))
        if choice == "scale":
            d = self.expr(scope, "dur", budget)
            if "fractional_duration" in self.exclude:
                return _E(f"{d.par()} * {self.expr(scope, 'int', 0).par()}", DURATION, False)
            k = (self.expr(scope, "int", 0) if self.chance(0.5)
                 else _E(self.pick(_DEC_LITERALS), FLOAT))
            return _E(f"{d.par()} {self.pick(('*', '/'))} {k.par()}", DURATION, False)
        if choice == "diff":
            a, b = self.expr(scope, "ts", budget), self.expr(scope, "ts", budget)
            return _E(f"{a.par()} - {b.par()}", DURATION, False)
        if choice == "abs":
            return self.call("abs", self.expr(scope, "dur", budget))
        return self.literal("dur")

    def _list(self, scope: _Scope, budget: int) -> _E:
        choice = self.pick(("collect", "concat", "literal", "group"))
        if choice == "group" and scope.group_aggs:
            return self.group_agg(scope, "collect", "list", budget)
        if choice in ("collect", "concat") and scope.aggs > 0:
            collected = self.comprehension(scope, "collect", "list", budget)
            if choice == "concat":
                return _E(f"[{self.expr(scope, 'str', 0).text}] + {collected.text}",
                          collected.dtype, False)
            return collected
        return _E(f"[{', '.join(self.expr(scope, 'str', 0).text for _ in range(2))}]",
                  ListType(STR))

    def row(self, scope: _Scope, table: str, budget: int) -> _E:
        found = self.paths(scope, f"row:{table}", prefer_inner=False)
        direct = [a for a, t in scope.rows if t == table]
        options: list[Callable[[], _E]] = []
        if direct:
            options.append(lambda: _E(self.pick(direct), RowType(table)))
        if found:
            def path() -> _E:
                alias, p = self.pick(found)
                return _E(self.path_text(alias, p), p.dtype)
            options.append(path)
        order_safe = table in ORDERED or not (self.person_local or "unordered_ties"
                                              in self.exclude)
        if budget > 0 and scope.aggs > 0 and order_safe or not options:
            options.append(lambda: self.comprehension(scope, self.pick(("first", "last")),
                                                      f"row:{table}", max(budget - 1, 0)))
        return self.pick(options)()

    def conditional(self, scope: _Scope, cat: str, budget: int, case: bool) -> _E:
        values = [self.expr(scope, cat, budget - 1) for _ in range(2 if not case else 3)]
        if self.chance(0.3):
            values[-1] = self.null()
        dtype = _unify(*values) if cat == "num" else _CAT_TYPES.get(cat, FLOAT)
        if not case:
            cond = self.condition(scope, budget - 1)
            text = (f"{self.kw('IF')} {cond.text} {self.kw('THEN')} {values[0].text} "
                    f"{self.kw('ELSE')} {values[1].text}")
            return _E(text, dtype, False)
        whens = " ".join(f"{self.kw('WHEN')} {self.condition(scope, budget - 1).text} "
                         f"{self.kw('THEN')} {v.text}" for v in values[:-1])
        return _E(f"{self.kw('CASE')} {whens} {self.kw('ELSE')} {values[-1].text} "
                  f"{self.kw('END')}", dtype)

    # -- conditions
    def condition(self, scope: _Scope, budget: int) -> _E:
        kinds = ["compare", "compare", "compare", "in", "between", "null", "flag"]
        if budget > 0:
            kinds += ["and", "and", "or", "not"]
        if scope.aggs > 0:
            kinds += ["exists", "any"]
        if scope.group_aggs:
            kinds += ["group", "group"]
        if any(t in ORDERED for _, t in scope.rows):
            kinds.append("before")
        kinds += ["codeset", "define"]
        kind = self.pick(kinds)
        b = max(budget - 1, 0)
        if kind in ("and", "or"):
            a, c = self.condition(scope, b), self.condition(scope, b)
            return _E(f"{a.par()} {self.kw('AND' if kind == 'and' else 'OR')} {c.par()}", BOOL,
                      False)
        if kind == "not":
            return _E(f"{self.kw('NOT')} {self.condition(scope, b).par()}", BOOL, False)
        if kind == "in":
            return self.in_list(scope, b)
        if kind == "between":
            cat = self.pick(("num", "date"))
            x = self.expr(scope, cat, b)
            low, high = self.expr(scope, cat, 0), self.expr(scope, cat, 0)
            return _E(f"{x.par()} {self.kw('BETWEEN')} {low.par()} {self.kw('AND')} "
                      f"{high.par()}", BOOL, False)
        if kind == "null":
            rows = [p.dtype.table for _, p in self.paths(scope, "row:service", False)[:1]]
            cat = self.pick(("str", "num", "date", "ts", *(f"row:{t}" for t in rows)))
            x = self.expr(scope, cat, b)
            return _E(f"{x.par()} {self.kw(self.pick(('ISNULL', 'ISNOTNULL')))}", BOOL, False)
        if kind == "flag":
            return self.leaf(scope, "bool")
        if kind == "exists" and scope.aggs > 0:
            return self.comprehension(scope, self.pick(("exists", "not_exists", "any", "all")),
                                      "bool", b)
        if kind == "any" and scope.aggs > 0:
            agg = self.comprehension(scope, self.pick(("count", "sum", "max")), "num", b)
            return _E(f"{agg.text} {self.pick(('>', '>=', '=', '<'))} "
                      f"{self.literal('int').text}", BOOL, False)
        if kind == "group" and scope.group_aggs:
            func = self.pick(("count", "sum", "count_distinct", "any", "all", "max"))
            if func in ("any", "all"):
                return self.group_agg(scope, func, "bool", b)
            agg = self.group_agg(scope, func, "num", b)
            other = self.expr(scope, "num", b) if self.chance(0.5) else self.literal("int")
            return _E(f"{agg.text} {self.pick(('>', '>=', '<', '!='))} {other.par()}", BOOL, False)
        if kind == "before":
            return self.before(scope)
        if kind == "codeset":
            return self.code_test(scope, b)
        if kind == "define" and self.define is not None:
            name, cat = self.define
            return _E(f"{name}({self.expr(scope, cat, b).text})", BOOL)
        return self.compare(scope, b)

    def compare(self, scope: _Scope, budget: int) -> _E:
        cat = self.pick(("num", "str", "date", "num", "str", "ts", "month", "dur", "bool",
                         "row", "null"))
        if cat == "row":
            tables = [t for _, t in scope.rows if t in ORDERED + ("service", "person")]
            if not tables:
                return self.compare(scope, budget)
            table = self.pick(tables)
            a, b = self.row(scope, table, budget), self.row(scope, table, budget)
            return _E(f"{a.par()} {self.pick(('=', '!=', self.kw('SAME')))} {b.par()}", BOOL,
                      False)
        if cat == "null":
            x = self.expr(scope, self.pick(("num", "str")), budget)
            return _E(f"{x.par()} {self.pick(('=', '!='))} {self.kw('NULL')}", BOOL, False)
        if cat == "str":
            found = self.paths(scope, "str")
            if found and self.chance(0.7):
                alias, p = self.pick(found)
                left = _E(self.path_text(alias, p), STR)
                right = (self.literal("str", _str_values(p.last)) if not scope.no_strings
                         and self.chance(0.7) else self.expr(scope, "str", budget))
            else:
                left, right = self.expr(scope, "str", budget), self.expr(scope, "str", budget)
            return _E(f"{left.par()} {self.pick(('=', '!=', '<', '>='))} {right.par()}", BOOL,
                      False)
        ops = ("=", "!=") if cat == "bool" else ("=", "!=", "<", "<=", ">", ">=")
        ops += (self.kw("SAME"),)
        a, b = self.expr(scope, cat, budget), self.expr(scope, cat, budget)
        if a.text in _KEYWORD_LITERALS:  # the parser reads "(真 = …" as a field name (reported)
            a = _E(f"({a.text})", a.dtype)
        if cat == "num" and self.chance(0.3):
            a = self.call(self.pick(("r2", "r4")), a)
        return _E(f"{a.par()} {self.pick(ops)} {b.par()}", BOOL, False)

    def in_list(self, scope: _Scope, budget: int) -> _E:
        negated = self.kw("NOTIN" if self.chance(0.3) else "IN")
        sets = [n for n, c, _ in self.params if c == "set"]
        choice = self.pick(("literal", "literal", "collect", "param"))
        found = self.paths(scope, "str")
        if choice == "collect" and scope.aggs > 0 and "in_collect" not in self.exclude:
            x = self.expr(scope, "str", budget)
            collected = self.comprehension(scope, "collect", "list", budget)
            return _E(f"{x.par()} {negated} {collected.text}", BOOL, False)
        if choice == "param" and sets:
            x = self.expr(scope, "str", budget)
            return _E(f"{x.par()} {negated} {self.kw('PARAM')}.{self.pick(sets)}", BOOL, False)
        if scope.no_strings or not found or self.chance(0.2):
            x = self.expr(scope, "num", budget)
            items = [self.literal("int").text for _ in range(self.pick((2, 1, 3)))]
        else:
            alias, p = self.pick(found)
            x = _E(self.path_text(alias, p), STR)
            items = [self.literal("str", _str_values(p.last)).text
                     for _ in range(self.pick((2, 1, 3, 0)))]
        if self.chance(0.15):
            items.append(self.kw("NULL"))
        return _E(f"{x.par()} {negated} [{', '.join(items)}]", BOOL, False)

    def before(self, scope: _Scope) -> _E:
        tables = [t for _, t in scope.rows if t in ORDERED]
        table = self.pick(tables)
        a, b = self.row(scope, table, 0), self.row(scope, table, 0)
        word = self.kw(self.pick(("BEFORE", "AFTER")))
        text = f"{a.par()} {word} {b.par()}"
        if self.chance(0.3):
            return _E(f"{self.kw('NOT')} ({text})", BOOL, False)
        return _E(text, BOOL, False)

    def code_test(self, scope: _Scope, budget: int) -> _E:
        code = self.expr(scope, "str", budget)
        if self.chance(0.5):
            sets = self.paths(scope, "str")
            sets = [(a, p) for a, p in sets if _DOMAIN_OF.get((p.last.owner, p.last.name)) == "set"]
            if sets and (scope.no_strings or self.chance(0.5)):
                alias, p = self.pick(sets)
                set_id = self.path_text(alias, p)
            elif scope.no_strings:
                return self.leaf(scope, "bool")
            else:
                set_id = f'"{self.pick(pools.SET_IDS)}"'
            return _E(f"{code.par()} {self.kw('INCODESET')} {set_id}", BOOL, False)
        texts = [n for n, c, _ in self.params if c == "str"]
        if texts and self.chance(0.5):  # bounds are constants or parameters
            low_text = f"{self.kw('PARAM')}.{self.pick(texts)}"
            high_text = f"{self.kw('PARAM')}.{self.pick(texts)}"
            return _E(f"{code.par()} {self.kw('INCODERANGE')} {low_text} {self.kw('TO')} "
                      f"{high_text}", BOOL, False)
        if scope.no_strings:
            return self.leaf(scope, "bool")
        _, low, high = self.pick(pools.CODE_SETS)
        return _E(f'{code.par()} {self.kw("INCODERANGE")} "{low}" {self.kw("TO")} "{high}"', BOOL,
                  False)

    # -- comprehensions
    def comprehension(self, scope: _Scope, func: str, cat: str, budget: int) -> _E:
        """``func(… 对于 T y 满足 …)`` over a table, correlated with the scope."""
        if cat.startswith("row:"):
            table = cat[4:]
        else:
            table = self.pick(_SOURCES)
            if func in ("first", "last", "collect") and (
                    self.person_local and table not in ORDERED
                    or "unordered_ties" in self.exclude and not SCHEMA.tables[table].order):
                table = self.pick(ORDERED)  # ties must not fall back to the input row order
        pins = self.pins(scope, table)
        if self.person_local and table in CLAIMS:
            pins = [p for p in pins if p[2] in _PIN_DOMAINS and p[0] in scope.claims_aliases]
            if not pins:
                table = self.pick(("drug", "service", "code_set", "icd10"))
                pins = self.pins(scope, table)
        alias = self.fresh("y")
        claims_aliases = scope.claims_aliases | ({alias} if table in CLAIMS else set())
        inner = scope.with_row(alias, table, aggs=scope.aggs - 1, inner=alias,
                               claims_aliases=claims_aliases,
                               group_aggs=False)
        conds: list[str] = []
        must_pin = self.person_local and table in CLAIMS
        if pins and (must_pin or self.chance(0.8)):
            outer_alias, outer_path, _, inner_path = self.pick(pins)
            left = self.path_text(alias, inner_path)
            right = self.path_text(outer_alias, outer_path)
            # 等同 (null-safe) joins null keys across persons: not in person-local rules
            eq = "=" if self.person_local or self.chance(0.8) else self.kw("SAME")
            conds.append(f"{left} {eq} {right}" if self.chance(0.8) else f"{right} {eq} {left}")
        if self.chance(0.4):
            conds += self.ranges(scope, alias, table)
        if self.chance(0.3):
            conds.append(self.before_pair(scope, alias, table))
        if self.chance(0.3) or not conds:
            conds.append(self.condition(inner, max(budget - 1, 0)).par())
        if self.chance(0.15):
            conds.append(f"({self.condition(inner, 0).par()} {self.kw('OR')} "
                         f"{self.condition(inner, 0).par()})")
        conds = [c for c in conds if c]
        where = f" {self.kw('AND')} ".join(conds)
        binding = f"{self.table(table)} {alias}"
        body = binding + (f" {self.kw('WHERE')} {where}" if where else "")
        value: _E | None = None
        if func in ("sum", "avg", "min", "max", "count_distinct", "any", "all", "first", "last",
                    "collect", "mode") and not cat.startswith("row:"):
            value_cat = {"bool": "bool", "list": "str"}.get(cat, cat)
            if func in ("any", "all"):
                value_cat = "bool"
            elif func == "count_distinct":
                value_cat = self.pick(("str", "date", "num"))
            elif cat == "int" and func == "sum":
                value_cat = "int"
            value = self.expr(inner, value_cat, max(budget - 1, 0))
            if func in ("first", "last") and "constant_first" in self.exclude \
                    and not re.search(rf"\b{alias}\b", value.text):
                own = [p for a, p in self.paths(inner, value_cat, False) if a == alias]
                if own:
                    path = self.pick(own)
                    value = _E(self.path_text(alias, path), path.dtype)
            body = f"{value.text} {self.kw('FOR')} {body}"
        if func in ("first", "last", "collect") and "order_by" not in self.exclude \
                and self.chance(0.6):
            keys = []
            for _ in range(self.pick((1, 2))):
                key = self.expr(inner, self.pick(("num", "str", "date", "ts")), 0)
                direction = self.pick(("", "", " " + self.kw("DESC"), " " + self.kw("ASC")))
                keys.append(key.text + direction)
            body += f" {self.kw('ORDERBY')} {', '.join(keys)}"
        if func == "not_exists":
            return _E(f"{self.kw('NOTEXISTS')}({body})", BOOL)
        dtype = _agg_type(func, value, table)
        return _E(f"{self.fn(func)}({body})", dtype)

    def pins(self, scope: _Scope, table: str) -> list[tuple[str, _Path, str, _Path]]:
        """Correlated equalities ``inner path = outer path`` with the same code domain."""
        out = []
        inner_paths = [p for p in _paths(table) if len(p.hops) == 1
                       and (p.last.owner, p.last.name) in _DOMAIN_OF]
        for outer_alias, outer_table in scope.rows:
            for outer in _paths(outer_table):
                domain = _DOMAIN_OF.get((outer.last.owner, outer.last.name))
                if domain is None or len(outer.hops) > 2 or not scope.allowed(outer_alias, outer):
                    continue
                for inner in inner_paths:
                    if _DOMAIN_OF[(inner.last.owner, inner.last.name)] == domain:
                        out.append((outer_alias, outer, domain, inner))
        return out

    def ranges(self, scope: _Scope, alias: str, table: str) -> list[str]:
        cat = self.pick(("date", "ts", "num"))
        inner = [p for p in _paths(table) if _fits(p.dtype, cat) and len(p.hops) <= 2]
        if not inner:
            return []
        path = self.pick(inner)
        left = self.path_text(alias, path)
        outer = self.expr(attrs.evolve(scope, inner=None), cat, 0)
        if cat == "date":
            lo = f"{outer.par()} - {self.pick(_INT_LITERALS)}"
            hi = f"{outer.par()} + {self.pick(('0', '1', '7'))} {self.unit('day')}"
        elif cat == "ts":
            lo = f"{outer.par()} - {self.literal('dur').text}"
            hi = f"{outer.par()} + {self.literal('dur').text}"
        else:
            lo, hi = f"{outer.par()} - 1", outer.par()
        choice = self.pick(("both", "between", "low", "high"))
        if choice == "between":
            return [f"{left} {self.kw('BETWEEN')} {lo} {self.kw('AND')} {hi}"]
        out = []
        if choice in ("both", "low"):
            out.append(f"{left} {self.pick(('>=', '>'))} {lo}")
        if choice in ("both", "high"):
            out.append(f"{left} {self.pick(('<=', '<'))} {hi}")
        return out

    def before_pair(self, scope: _Scope, alias: str, table: str) -> str:
        if table not in ORDERED:
            return ""
        outer = [a for a, t in scope.rows if t == table]
        if not outer:
            found = self.paths(attrs.evolve(scope, inner=None), f"row:{table}", False)
            if not found:
                return ""
            a, p = self.pick(found)
            other = self.path_text(a, p)
        else:
            other = self.pick(outer)
        form = self.pick(("{y} {B} {o}", "{N} ({o} {B} {y})", "{o} {B} {y}", "{y} {A} {o}",
                          "{N} ({y} {B} {o})"))
        return form.format(y=alias, o=other, B=self.kw("BEFORE"), A=self.kw("AFTER"),
                           N=self.kw("NOT"))

    def generated(self, scope: _Scope, budget: int) -> _E:
        """``最长连续``/``计数`` over ``日期序列(a, b) g`` or ``序列(1, n) g``."""
        var = self.fresh("g")
        dates = self.paths(scope, "date", prefer_inner=False)
        if dates and self.chance(0.7):
            alias, p = self.pick(dates)
            anchor = self.path_text(alias, p)
            source = f"{self.fn('dates')}({anchor} - {self.pick(('3', '7', '0'))}, {anchor})"
            inner = attrs.evolve(scope, values=(*scope.values, (var, DATE)), aggs=scope.aggs - 1,
                                 group_aggs=False)
        else:
            count = self.pick(("3", "1", "0"))
            source = f"{self.fn('range')}(1, {count})"
            inner = attrs.evolve(scope, values=(*scope.values, (var, INT)), aggs=scope.aggs - 1,
                                 group_aggs=False)
        where = self.condition(inner, max(budget - 1, 0))
        func = self.pick(("longest_run", "count"))
        return _E(f"{self.fn(func)}({source} {var} {self.kw('WHERE')} {where.text})", INT)

    def group_agg(self, scope: _Scope, func: str, cat: str, budget: int) -> _E:
        inner = attrs.evolve(scope, group_aggs=False, in_group_agg=True, named=())
        value = None
        if func == "count":
            text = ""
        else:
            value_cat = {"list": "str"}.get(cat, cat)
            if func in ("any", "all"):
                value_cat = "bool"
            elif func == "count_distinct":
                value_cat = self.pick(("str", "date", "num"))
            value = self.expr(inner, value_cat, max(budget - 1, 0))
            text = value.text
        if self.chance(0.4):
            cond = self.condition(inner, 0).text
            text = f"{text} {self.kw('WHERE')} {cond}" if text else f"{self.kw('WHERE')} {cond}"
        return _E(f"{self.fn(func)}({text})", _agg_type(func, value, ""))


def _unify(*values: _E) -> DataType:
    """The numeric type of mixed operands (money absorbs, then float)."""
    types = {v.dtype for v in values}
    if MONEY in types:
        return MONEY
    if FLOAT in types or DURATION in types:
        return FLOAT
    return INT


def _fn_type(name: str, args: Sequence[_E | str]) -> DataType:
    typed = [a for a in args if isinstance(a, _E) and a.dtype != NULL]
    first = typed[0].dtype if typed else STR
    if name in ("least", "greatest", "coalesce") and first in (INT, FLOAT, MONEY):
        return _unify(*typed)
    return {
        "r2": FLOAT if first == INT else first, "r4": FLOAT if first == INT else first,
        "age": INT, "age_days": INT, "date": DATE, "month": MONTH, "month_start": DATE,
        "month_end": DATE, "icd3": STR, "normalize_code": STR, "left": STR, "length": INT,
        "upper": STR,
    }.get(name, first)


def _agg_type(func: str, value: _E | None, table: str) -> DataType:
    if func in ("count", "count_distinct", "longest_run"):
        return INT
    if func in ("exists", "any", "all", "not_exists"):
        return BOOL
    if value is None:
        return RowType(table)
    if func == "collect":
        return ListType(value.dtype)
    if func == "avg":
        return MONEY if value.dtype == MONEY else FLOAT
    return value.dtype


# -------------------------------------------------------------- the rule --

_PARAM_TYPES = (("num", "float", ("1.5", "0", "100.0", "- 0.5")), ("int", "int", ("7", "0", "30")),
                ("money", "money", ("100.00", "0.005")), ("str", "str", ('"1"', '"201"')),
                ("date", "date", ("2025-01-15", "2025-02-28")), ("bool", "bool", ("TRUE",)),
                ("set", "set", ('["1", "2"]', '["21", "22", "52"]', "[]")))
_ROW_SCOPES = ("fee", "fee", "fee", "visit", "settlement", "diagnosis", "person")
_OUTPUT_OF_DOMAIN = {"psn": "psn_no", "visit": "mdtrt_id", "item": "item_code",
                     "inst": "fixmedins_code", "setl": "setl_id", "doctor": "dr_codg"}
_OUTPUT_LABELS = {c.name: c.label for c in SCHEMA.tables["fee"].columns}
_OUTPUT_LABELS.update({"item_code": "项目编码", "period_start": "开始日期", "period_end": "结束日期",
                       "dr_codg": "医师编码", "fixmedins_code": "机构编码"})


def _header(w: _Writer, rule_id: str, level: str) -> list[str]:
    stages = [w.value_word("stage", s) for s in ("pre", "during", "post")]
    lines = [
        f"{w.kw('CATEGORY')} {w.pick(CATEGORIES)}",
        f"{w.kw('RESULT')} {w.value_word('result', w.pick(('definite', 'suspicious')))}",
        f"{w.kw('STAGES')} {', '.join(stages[w.pick((2, 0, 1)):])}",
        f"{w.kw('LEVEL')} {w.value_word('level', level)}",
    ]
    if w.chance(0.2):
        lines.append(f'{w.kw("SOURCE")} "依据：{rule_id} 的政策原文"')
    for _ in range(w.pick((0, 1, 2, 3))):
        cat, type_name, defaults = w.pick(_PARAM_TYPES)
        name = w.fresh("阈" if w.lang == "zh" else "t")
        type_text = w.value_word("type", type_name)
        if type_name == "set":
            type_text += f"<{w.value_word('type', 'str')}>"
        default = w.pick(defaults)
        if default == "TRUE":
            default = w.kw(w.pick(("TRUE", "FALSE")))
        doc = ' "阈值说明"' if w.chance(0.3) else ""
        lines.append(f"{w.kw('PARAM')} {name}: {type_text} = {default}{doc}")
        w.params.append((name, cat, type_text))
    if w.chance(0.2):
        name = "为正" if w.lang == "zh" else "positive"
        lines.append(f"{w.kw('DEFINE')} {name}(v) = v > 0")
        w.define = (name, "num")
    return lines


def _message(w: _Writer, scope: _Scope) -> str:
    inner = attrs.evolve(scope, no_strings=True)
    parts = []
    for _ in range(w.pick((1, 0, 2, 3))):
        parts.append(w.pick(_TEXT))
        cat = w.pick(("num", "str", "date", "ts", "int", "bool", "list", "month", "dur", "money"))
        value = w.expr(inner, "num" if cat == "money" else cat, 1)
        filt = ""
        if cat in ("num", "money", "int") and w.chance(0.4):
            filt = "|" + w.value_word("filter", w.pick(("money", "number")))
        elif cat == "str" and w.chance(0.3):
            filt = "|" + w.value_word("filter", "sex")
        parts.append(f"{{{value.text}{filt}}}")
    if w.chance(0.5):
        parts.append(w.pick(_TEXT))
    return f'{w.kw("MESSAGE")} "{"".join(parts)}"'


def _lets(w: _Writer, scope: _Scope) -> tuple[list[str], _Scope]:
    lines = []
    for _ in range(w.pick((0, 1, 2))):
        name = w.fresh("值" if w.lang == "zh" else "v")
        value = w.expr(scope, w.pick(("num", "str", "date", "bool", "int")), 2)
        lines.append(f"{w.kw('LET')} {name} = {value.text}")
        scope = attrs.evolve(scope, named=(*scope.named, (name, value.dtype)))
    return lines, scope


def _row_rule(w: _Writer, rule_id: str) -> list[str]:
    table = w.pick(("fee", "fee", "visit", "settlement") if w.person_local else _ROW_SCOPES)
    default_level = table if table in ORDERED else None
    if w.person_local or (default_level and w.chance(0.7)):
        level = default_level or "person"
    else:
        level = w.pick(("person", "institution", "doctor", "visit", "fee"))
    lines = _header(w, rule_id, level)
    alias = "L" if table == "fee" else w.pick(("V", "S", "D", "P"))
    scope = _Scope(rows=((alias, table),), claims_aliases=frozenset({alias}))
    if table in ORDERED and w.chance(0.15):
        start, end = w.pick((("2025-01-15", "2025-02-15"), ("2025-01-01", ""), ("", "2025-01-31")))
        lines.append(f"{w.kw('EFFECTIVE')} {start} {w.kw('TO')} {end}".replace("  ", " "))
    scope_line = f"{w.kw('FOREACH')} {w.table(table)} {alias}"
    if w.chance(0.5):
        scope_line += f" {w.kw('WHERE')} {w.condition(attrs.evolve(scope, aggs=1), 1).text}"
    lines.append(scope_line)
    lets, scope = _lets(w, scope)
    lines += lets
    lines.append(f"{w.kw('WHEN')} {w.condition(scope, w.pick((2, 1, 3))).text}")
    if w.chance(0.8):
        lines.append(f"{w.kw('AMOUNT')} {_amount(w, scope, alias, table)}")
    if w.chance(0.8):
        lines.append(_message(w, scope))
    outputs = _row_outputs(w, scope, alias, table, level, default_level)
    if outputs:
        lines.append(f"{w.kw('OUTPUT')} {', '.join(outputs)}")
    if w.chance(0.3):
        lines.append(f"{w.kw('LINES')} {w.expr(scope, w.pick(('list', 'str')), 2).text}")
    return lines


def _amount(w: _Writer, scope: _Scope, alias: str, table: str) -> str:
    if table == "fee" and w.chance(0.4):
        return w.pick((f"{alias}.{w.name('amt', '金额')}",
                       f"r2({alias}.{w.name('cnt', '数量')} * {alias}.{w.name('pric', '单价')})"))
    return w.expr(scope, "num", 2).text


def _out(w: _Writer, column: str, expr: str) -> str:
    return f"{w.name(column, _OUTPUT_LABELS[column])} = {expr}"


def _row_outputs(w: _Writer, scope: _Scope, alias: str, table: str, level: str,
                 default_level: str | None) -> list[str]:
    outputs: dict[str, str] = {}
    if level != default_level:
        for path in _paths(table):
            domain = _DOMAIN_OF.get((path.last.owner, path.last.name))
            if len(path.hops) == 1 and domain in _OUTPUT_OF_DOMAIN and w.chance(0.5):
                outputs.setdefault(_OUTPUT_OF_DOMAIN[domain], w.path_text(alias, path))
        if not outputs:
            outputs["item_code"] = w.expr(scope, "str", 1).text
    if w.chance(0.3):
        outputs["item_code"] = w.expr(scope, "str", 1).text
    if w.chance(0.2):
        outputs["period_start"] = w.expr(scope, "date", 1).text
    return [_out(w, c, e) for c, e in outputs.items()]


_GROUP_KEYS: dict[str, tuple[tuple[str, str, str | None], ...]] = {
    # table: (text template with {x}, kind, output column); kind "col:<column>" or a category
    "fee": (("{x}.psn_no", "col", "psn_no"), ("{x}.mdtrt_id", "col", "mdtrt_id"),
            ("{x}.med_list_codg", "col", "item_code"), ("{x}.fee_date", "date", "period_start"),
            ("month({x}.fee_date)", "month", None), ("{x}.fixmedins_code", "str", "fixmedins_code"),
            ("{x}.bilg_dr_codg", "col", "dr_codg"), ("{x}.service.per_day_group", "str", None),
            ("{x}.list_type", "col", None), ("{x}.setl_id", "col", "setl_id")),
    "visit": (("{x}.psn_no", "col", "psn_no"), ("{x}.fixmedins_code", "col", "fixmedins_code"),
              ("month({x}.adm_date)", "month", None), ("{x}.kind", "str", "item_code"),
              ("{x}.med_type", "col", None), ("{x}.atddr_no", "col", "dr_codg")),
    "settlement": (("{x}.psn_no", "col", "psn_no"), ("{x}.fixmedins_code", "col", "fixmedins_code"),
                   ("{x}.mdtrt_id", "col", "mdtrt_id"), ("{x}.setl_date", "date", "period_start"),
                   ("month({x}.setl_date)", "month", None)),
    "diagnosis": (("{x}.mdtrt_id", "col", "mdtrt_id"), ("{x}.icd3", "str", "item_code"),
                  ("{x}.diag_code", "col", None)),
}
_JOINS = (  # second binding of a fee group: (table, alias, condition template)
    ("package", "p", "p.component_code = {x}.med_list_codg", "p.package_code"),
    ("item_pair", "q", "q.code_a = {x}.med_list_codg", "q.code_b"),
    ("fee", "z", "z.mdtrt_id = {x}.mdtrt_id and z != {x}", "z.med_list_codg"),
)


def _spell(w: _Writer, text: str, tables: dict[str, str]) -> str:
    """Respell a key template written with national names into the rule's language."""
    out = []
    for token in text.replace("(", " ( ").replace(")", " ) ").split():
        if "." in token:
            alias, *names = token.split(".")
            table = tables[alias]
            spelled = []
            for name in names:
                hop = next(h for h in _hops(table) if h.name == name)
                spelled.append(w.name(hop.name, hop.label))
                table = hop.dtype.table if isinstance(hop.dtype, RowType) else table
            out.append(".".join([alias, *spelled]))
        elif token == "month":
            out.append(w.fn("month"))
        elif token == "and":
            out.append(w.kw("AND"))
        else:
            out.append(token)
    return " ".join(out).replace("( ", "(").replace(" )", ")")


def _group_rule(w: _Writer, rule_id: str) -> list[str]:
    table = w.pick(("fee", "fee", "visit", "settlement", "diagnosis"))
    level = w.pick(("person", "visit", "fee", "institution", "doctor"))
    lines = _header(w, rule_id, level)
    x = "x"
    tables = {x: table}
    bindings = [f"{w.table(table)} {x}"]
    conds = []
    key_pool = list(_GROUP_KEYS[table])
    if table == "fee" and "joined_groups" not in w.exclude and w.chance(0.3):
        join_table, alias, cond, key = w.pick(_JOINS)
        tables[alias] = join_table
        bindings.append(f"{w.table(join_table)} {alias}")
        conds.append(_spell(w, cond.format(x=x), tables))
        key_pool.append((key, "col", "item_code"))
    scope = _Scope(rows=tuple(tables.items()), aggs=1)
    if w.chance(0.4):
        conds.append(w.condition(scope, 1).par())
    keys = []
    for _ in range(w.pick((1, 2, 3))):
        key = w.pick(key_pool)
        if key not in keys:
            keys.append(key)
    key_texts, named, key_columns, outputs = [], [], set(), {}
    for template, kind, output in keys:
        text = _spell(w, template.format(x=x), tables)
        if kind == "col":
            alias, column = template.format(x=x).split(".")
            key_columns.add((alias, column))
        name = None
        if w.chance(0.6):
            name = w.fresh("键" if w.lang == "zh" else "k")
            key_dtype = {"month": MONTH, "date": DATE}.get(kind, STR)
            named.append((name, key_dtype))
            key_texts.append(f"{text} {w.kw('AS')} {name}")
        else:
            key_texts.append(text)
        ref = name or text
        if kind == "month":
            outputs.setdefault("period_start", w.call("month_start", ref).text)
            outputs.setdefault("period_end", w.call("month_end", ref).text)
        elif output is not None:
            outputs.setdefault(output, ref)
    line = f"{w.kw('FOREACHGROUP')} {', '.join(bindings)}"
    if conds:
        joiner = f" {w.kw('AND')} "
        line += f" {w.kw('WHERE')} {joiner.join(conds)}"
    lines.append(f"{line} {w.kw('BY')} {', '.join(key_texts)}")
    scope = _Scope(rows=tuple(tables.items()), keys=tuple(named), members=frozenset(tables),
                   key_columns=frozenset(key_columns), group_aggs=True, aggs=1)
    lets, scope = _lets(w, scope)
    lines += lets
    lines.append(f"{w.kw('WHEN')} {w.condition(scope, w.pick((2, 1, 3))).text}")
    if w.chance(0.8):
        lines.append(f"{w.kw('AMOUNT')} {w.expr(scope, 'num', 2).text}")
    if w.chance(0.8):
        lines.append(_message(w, scope))
    if not outputs or w.chance(0.2):
        outputs.setdefault("item_code", w.expr(scope, "str", 1).text)
    lines.append(f"{w.kw('OUTPUT')} {', '.join(_out(w, c, e) for c, e in outputs.items())}")
    if w.chance(0.3):
        lines.append(f"{w.kw('LINES')} {w.expr(scope, 'list', 1).text}")
    return lines


@st.composite
def well_typed_rules(
    draw: Draw,
    lang: str | None = None,
    person_local: bool = False,
    kinds: Sequence[str] = ("row", "row", "group"),
    rule_id: str = "R-1",
    exclude: Sequence[str] = (),
) -> str:
    """The text of one rule that type-checks (see the module docstring).

    Args:
        lang: ``zh`` or ``en`` keywords; drawn when ``None``.  Names are the
            Chinese labels or national names, sometimes mixed within a rule.
        person_local: Only rules whose firings for a person depend on that
            person's rows alone (row rules over 明细/就诊/结算, comprehensions
            over claims pinned to the person or the visit).
        kinds: ``row`` and/or ``group``, drawn from this sequence.
        rule_id: The rule's id.
        exclude: Names from :data:`CONSTRUCTS` never to write.
    """
    lang = lang or draw(st.sampled_from(("zh", "en")))
    w = _Writer(draw, lang, draw(st.booleans()), person_local, frozenset(exclude))
    kind = "row" if person_local else w.pick(tuple(kinds))
    lines = _row_rule(w, rule_id) if kind == "row" else _group_rule(w, rule_id)
    title = "生成的规则" if w.chance(0.5) else "generated rule"
    body = "\n".join(f"    {line}" for line in lines)
    return f'{w.kw("RULE")} {rule_id} "{title}" {{\n{body}\n}}\n'


@st.composite
def rulebook_texts(draw: Draw, rules: st.SearchStrategy[int] | None = None,
                   person_local: bool = False, exclude: Sequence[str] = ()) -> str:
    """Several generated rules (``R-1``, ``R-2`` …; ``rules`` of them, default 2–3) in one text."""
    count = draw(rules if rules is not None else st.integers(2, 3))
    return "\n".join(draw(well_typed_rules(rule_id=f"R-{i + 1}", person_local=person_local,
                                            exclude=exclude))
                     for i in range(count))
