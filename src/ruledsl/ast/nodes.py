"""AST nodes of the rule language.

Every node is a frozen attrs class with a mandatory ``span`` that is not part
of its identity (``eq=False``): two trees parsed from differently formatted
text compare equal.  Child sequences are tuples.  Names of builtins, levels,
stages and result types are stored in their canonical English spelling, so the
Chinese and English spellings of one rule give the same tree.

Example:
    >>> from ruledsl.source import Span
    >>> a = Name("x", span=Span(0, 1))
    >>> a == Name("x", span=Span(5, 6))
    True
"""

from __future__ import annotations

import datetime as dt

import attrs

from ..source import Span


def _span() -> attrs.Attribute:  # type: ignore[type-arg]
    return attrs.field(eq=False, repr=False, kw_only=True)


@attrs.frozen
class Node:
    """Base of every node."""

    span: Span = _span()


# ------------------------------------------------------------- expressions --


@attrs.frozen
class Expr(Node):
    """Base of expressions."""


@attrs.frozen
class Literal(Expr):
    """A constant: text, number, date, timestamp, boolean or null."""

    value: object
    kind: str
    """One of ``str``, ``int``, ``decimal`` (a :class:`decimal.Decimal`, so ``80.00`` keeps
    its digits), ``date``, ``ts``, ``bool``, ``null``."""


@attrs.frozen
class ListLit(Expr):
    """A constant list, e.g. ``["13", "14"]`` as a parameter value."""

    items: tuple[Literal, ...]


@attrs.frozen
class Placeholder(Node):
    """``{expr}`` or ``{expr|filter}`` inside a template."""

    expr: Expr
    filter: str | None = None


@attrs.frozen
class Template(Expr):
    """A string with placeholders, e.g. ``"限{x.service.sex_limit|sex}性使用"``."""

    parts: tuple[str | Placeholder, ...]


@attrs.frozen
class Name(Expr):
    """A bare name: a row alias, a ``令`` value, a group key or a definition's parameter."""

    id: str


@attrs.frozen
class Attribute(Expr):
    """``obj.name``: a column, a derived field or a navigation."""

    obj: Expr
    name: str


@attrs.frozen
class ParamRef(Expr):
    """``参数.name`` / ``param.name``."""

    name: str


@attrs.frozen
class Call(Expr):
    """A scalar function call ``f(a, b)``; ``func`` is the canonical name."""

    func: str
    args: tuple[Expr, ...]


@attrs.frozen
class Binding(Node):
    """``明细 x``: a row alias over a table, or over a generator (``dates(a, b) d``)."""

    source: Expr
    """A :class:`Name` naming a table, or a :class:`Call` of a generator."""
    alias: str


@attrs.frozen
class SortKey(Node):
    """One key of ``排序`` / ``order by``."""

    expr: Expr
    descending: bool = False


@attrs.frozen
class Comprehension(Expr):
    """An aggregate over rows: ``求和(x.金额 对于 明细 x 满足 …)``."""

    func: str
    value: Expr | None
    binding: Binding
    where: Expr | None = None
    order: tuple[SortKey, ...] = ()


@attrs.frozen
class GroupAgg(Expr):
    """An aggregate over the members of a group rule: ``求和(x.数量 满足 x.收费行)``."""

    func: str
    value: Expr | None
    where: Expr | None = None


@attrs.frozen
class Unary(Expr):
    """``-x`` (``op="neg"``) or ``非 x`` (``op="not"``)."""

    op: str
    operand: Expr


@attrs.frozen
class Binary(Expr):
    """Arithmetic, comparison or boolean operator.

    ``op`` is one of ``+ - * /``, ``= != < <= > >=``, ``same`` (``等同``: equal, or
    both null), ``and``, ``or``.
    """

    op: str
    left: Expr
    right: Expr


@attrs.frozen
class InList(Expr):
    """``x 在 [..]`` / ``x not in param.set``."""

    operand: Expr
    items: Expr
    negated: bool = False


@attrs.frozen
class Between(Expr):
    """``x 介于 a 与 b`` (both ends included)."""

    operand: Expr
    low: Expr
    high: Expr


@attrs.frozen
class IsNull(Expr):
    """``x 为空`` / ``x is not null``."""

    operand: Expr
    negated: bool = False


@attrs.frozen
class Before(Expr):
    """``a 早于 b``: ``a`` comes earlier than ``b`` in their table's natural order."""

    left: Expr
    right: Expr
    after: bool = False


@attrs.frozen
class InCodeSet(Expr):
    """``code 在编码集 S``: membership in a ``code_set`` set (contract semantics)."""

    operand: Expr
    set_id: Expr


@attrs.frozen
class InCodeRange(Expr):
    """``code 在编码范围 "O00" 至 "O9A"``."""

    operand: Expr
    low: Expr
    high: Expr


@attrs.frozen
class Duration(Expr):
    """``30 天``, ``参数.max_gap_min 分钟``; ``unit`` is day, hour, minute or second."""

    value: Expr
    unit: str


@attrs.frozen
class If(Expr):
    """``若 c 则 a 否则 b``."""

    cond: Expr
    then: Expr
    else_: Expr


@attrs.frozen
class When(Node):
    """One ``当 c 则 v`` branch of a ``情形`` expression."""

    cond: Expr
    value: Expr


@attrs.frozen
class Case(Expr):
    """``情形 当 c1 则 v1 … 否则 v 结束``."""

    whens: tuple[When, ...]
    else_: Expr


@attrs.frozen
class ListExpr(Expr):
    """``[a, b]`` built from expressions."""

    items: tuple[Expr, ...]


# ------------------------------------------------------------ declarations --


@attrs.frozen
class Decl(Node):
    """Base of top-level items and rule clauses."""


@attrs.frozen
class TypeRef(Node):
    """A parameter type: ``整数``, ``小数``, ``金额``, ``文本``, ``集合<文本>`` …"""

    name: str
    arg: str | None = None


@attrs.frozen
class ParamDecl(Decl):
    """``参数 name: type = default "meaning"``."""

    name: str
    type: TypeRef
    default: Expr
    doc: str | None = None


@attrs.frozen
class Define(Decl):
    """``定义 name(a, b) = expr``: a named expression, expanded where it is used."""

    name: str
    params: tuple[str, ...]
    body: Expr


@attrs.frozen
class RulebookHeader(Decl):
    """``规则库 name "title"``."""

    name: str
    title: str | None = None


@attrs.frozen
class Include(Decl):
    """``包含 "file.rules"``."""

    path: str


@attrs.frozen
class Extends(Decl):
    """``继承 "../ningxia"``."""

    path: str


@attrs.frozen
class Override(Decl):
    """``覆盖 参数 GL-02.max_visits = 8``."""

    rule_id: str | None
    name: str
    value: Expr


@attrs.frozen
class Disable(Decl):
    """``停用 规则 GL-08``."""

    rule_id: str


# ------------------------------------------------------------ rule clauses --


@attrs.frozen
class Category(Decl):
    """``类别 药品类``."""

    value: str


@attrs.frozen
class ResultType(Decl):
    """``结果类型 明确违规`` (``definite``) or ``可疑`` (``suspicious``)."""

    value: str


@attrs.frozen
class Stages(Decl):
    """``环节 事前, 事中, 事后`` (``pre``, ``during``, ``post``)."""

    values: tuple[str, ...]


@attrs.frozen
class Level(Decl):
    """``层级 明细``: what one firing flags (fee, visit, settlement, person, institution, doctor)."""

    value: str


@attrs.frozen
class Severity(Decl):
    """``严重程度 高``."""

    value: str


@attrs.frozen
class Effective(Decl):
    """``生效 2025-01-01 至 2025-12-31`` (either end may be omitted)."""

    start: dt.date | None
    end: dt.date | None


@attrs.frozen
class Enabled(Decl):
    """``启用 否``."""

    value: bool


@attrs.frozen
class SourceText(Decl):
    """``依据 "…"``: the policy text the rule implements."""

    text: str


@attrs.frozen
class Description(Decl):
    """``说明 "…"``."""

    text: str


@attrs.frozen
class GroupKey(Node):
    """One key of ``按``: an expression and an optional name (``记为``)."""

    expr: Expr
    name: str | None = None


@attrs.frozen
class Scope(Decl):
    """``对每条 明细 L 满足 …`` or ``对每组 明细 x 满足 … 按 …``."""

    bindings: tuple[Binding, ...]
    where: Expr | None = None
    group_by: tuple[GroupKey, ...] | None = None
    """``None`` for a row scope, the keys for a group scope."""


@attrs.frozen
class Let(Decl):
    """``令 name = expr``."""

    name: str
    expr: Expr


@attrs.frozen
class WhenClause(Decl):
    """``当 cond``: the rule fires where ``cond`` is TRUE."""

    cond: Expr


@attrs.frozen
class Amount(Decl):
    """``违规金额 expr``."""

    expr: Expr


@attrs.frozen
class Message(Decl):
    """``提示 "template"``."""

    template: Expr


@attrs.frozen
class OutAssign(Node):
    """``column = expr`` in ``输出``."""

    column: str
    expr: Expr


@attrs.frozen
class Output(Decl):
    """``输出 项目编码 = …, 开始日期 = …``: key columns of the firing."""

    assignments: tuple[OutAssign, ...]


@attrs.frozen
class Lines(Decl):
    """``明细行 expr``: the fee lines a firing names."""

    expr: Expr


@attrs.frozen
class Property(Decl):
    """``性质 递减(参数.x)``: a property the rule promises, checked by the pytest plugin.

    ``递减``/``decreasing``: raising the parameter never adds firings;
    ``递增``/``increasing``: raising it never removes firings.
    """

    kind: str
    param: Expr


@attrs.frozen
class FieldValue(Node):
    """``column = constant`` in an example row."""

    name: str
    value: Expr


@attrs.frozen
class ExampleRow(Node):
    """``明细(流水号="F1", …)``: one row of an example table."""

    table: str
    fields: tuple[FieldValue, ...]


@attrs.frozen
class ExampleParams(Node):
    """``参数(max_visits=8)``: parameter values for one example."""

    fields: tuple[FieldValue, ...]


@attrs.frozen
class Expect(Node):
    """``预期(流水号="F1", 违规金额=80)``: one expected firing."""

    fields: tuple[FieldValue, ...]


@attrs.frozen
class ExpectNone(Node):
    """``预期 无``: the example must not fire."""


ExampleItem = ExampleRow | ExampleParams | Expect | ExpectNone


@attrs.frozen
class Example(Decl):
    """``示例 name "title" { rows… 预期… }``."""

    name: str | None
    title: str | None
    items: tuple[ExampleItem, ...]


@attrs.frozen
class Rule(Decl):
    """``规则 ID "名称" { clauses… }``."""

    id: str
    name: str
    clauses: tuple[Decl, ...]


@attrs.frozen
class Comment(Node):
    """A ``#`` comment, kept for the formatter."""

    text: str


@attrs.frozen
class Module(Node):
    """One rule file."""

    items: tuple[Decl, ...]
    comments: tuple[Comment, ...] = attrs.field(default=(), eq=False)
