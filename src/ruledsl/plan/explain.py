"""``ruledsl explain``: how each rule is evaluated, and what rules share.

The vectorised engine evaluates a rulebook as one plan: a per-table
computation about one row (a catalogue join such as ``fee.service``, a derived
value such as ``visit.los_days``, a candidate filter) is computed once per
batch and shared by every rule that uses it.  This module prints that plan:
the shared computations first (``s1 … sN``, with the rules using each), then,
per rule, its scope, its aggregates with the join strategy the engine picks
(keys, range, residual, fast path), and its condition.

Example:
    >>> from ruledsl.rulebook import load_text
    >>> book = load_text('''
    ... 规则 R-1 "x" { 类别 药品类 结果类型 可疑 环节 事后 层级 明细
    ...   对每条 明细 L 当 L.服务.sex_limit = "1" }
    ... 规则 R-2 "y" { 类别 药品类 结果类型 可疑 环节 事后 层级 明细
    ...   对每条 明细 x 当 x.服务.max_age > 3 }''')
    >>> print(explain(book).splitlines()[2])
    s1 := per fee row: first(service $1 where $1.med_list_codg = $row.med_list_codg and $row.list_type = "201")  [R-1, R-2]
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from .. import ir
from ..execute.join import RANK, analyse
from ..execute.vector import canonical, conjuncts
from ..types import RowType

_OPS = {"and": "and", "or": "or", "=": "=", "!=": "!=", "<": "<", "<=": "<=", ">": ">",
        ">=": ">=", "same": "same as", "+": "+", "-": "-", "*": "*", "/": "/"}


def text(expr: ir.Expr | str | None) -> str:
    """A compact, readable rendering of an IR expression."""
    if expr is None:
        return "-"
    if isinstance(expr, str):
        return "natural order" if expr == RANK else expr
    if isinstance(expr, ir.Var):
        return expr.name.split("#")[0]
    if isinstance(expr, ir.Const):
        if isinstance(expr.value, str):
            return f'"{expr.value}"'
        return "null" if expr.value is None else str(expr.value)
    if isinstance(expr, ir.Param):
        return f"param.{expr.name}"
    if isinstance(expr, ir.Col):
        return f"{text(expr.row)}.{expr.column}"
    if isinstance(expr, ir.Call):
        if expr.func in _OPS and len(expr.args) == 2:
            p = _PREC[expr.func]
            left = _wrap(expr.args[0], _prec(expr.args[0]) < p)
            right = _wrap(expr.args[1], _prec(expr.args[1]) < p or (
                _prec(expr.args[1]) == p and expr.func in ("-", "/")))
            return f"{left} {_OPS[expr.func]} {right}"
        if expr.func == "not":
            return f"not {_paren(expr.args[0])}"
        if expr.func in ("is_null", "is_not_null"):
            return f"{_paren(expr.args[0])} {expr.func.replace('_', ' ')}"
        return f"{expr.func}({', '.join(text(a) for a in expr.args)})"
    if isinstance(expr, ir.Agg):
        src = expr.source
        source = src.table if isinstance(src, ir.TableSource) else \
            f"{src.kind}({text(src.low)}, {text(src.high)})"
        value = f"{text(expr.value)} for " if expr.value is not None else ""
        where = f" where {text(expr.where)}" if expr.where is not None else ""
        order = f" order by {', '.join(text(k) + (' desc' if d else '') for k, d in expr.order)}" \
            if expr.order else ""
        return f"{expr.func}({value}{source} {text(ir.Var(expr.var, dtype=expr.dtype))}{where}{order})"
    if isinstance(expr, ir.GroupAgg):
        where = f" where {text(expr.where)}" if expr.where is not None else ""
        return f"{expr.func}({text(expr.value) if expr.value is not None else ''}{where})"
    if isinstance(expr, ir.InList):
        return f"{_paren(expr.operand)} {'not in' if expr.negated else 'in'} {text(expr.items)}"
    if isinstance(expr, ir.ListOf):
        return "[" + ", ".join(text(i) for i in expr.items) + "]"
    if isinstance(expr, ir.Before):
        return f"{_paren(expr.left)} before {_paren(expr.right)}"
    if isinstance(expr, ir.InCodeSet):
        return f"{_paren(expr.operand)} in code_set {text(expr.set_id)}"
    if isinstance(expr, ir.InCodeRange):
        return f"{_paren(expr.operand)} in code_range {text(expr.low)} to {text(expr.high)}"
    if isinstance(expr, ir.Case):
        whens = " ".join(f"when {text(c)} then {text(v)}" for c, v in expr.whens)
        return f"case {whens} else {text(expr.else_)} end"
    if isinstance(expr, ir.Template):
        return '"' + "".join(p if isinstance(p, str) else "{" + text(p[0]) + "}" for p in expr.parts) + '"'
    return type(expr).__name__


_PREC = {"or": 1, "and": 2, "=": 4, "!=": 4, "<": 4, "<=": 4, ">": 4, ">=": 4, "same": 4,
         "+": 5, "-": 5, "*": 6, "/": 6}


def _prec(expr: ir.Expr) -> int:
    if isinstance(expr, ir.Call):
        if expr.func == "not":
            return 3
        return _PREC.get(expr.func, 9)
    if isinstance(expr, ir.InList | ir.Before | ir.InCodeSet | ir.InCodeRange):
        return 4
    return 9


def _wrap(expr: ir.Expr, needed: bool) -> str:
    inner = text(expr)
    return f"({inner})" if needed else inner


def _paren(expr: ir.Expr) -> str:
    inner = text(expr)
    return f"({inner})" if isinstance(expr, ir.Call) and expr.func in ("and", "or") else inner


def _row_vars(rule: Any) -> dict[str, str]:
    return {var: src.table for var, src in rule.bindings if isinstance(src, ir.TableSource)}


def shared_computations(rules: Any) -> dict[tuple[str, ir.Expr], list[str]]:
    """Per-table one-row computations, by canonical form, with the rules that use them."""
    users: dict[tuple[str, ir.Expr], list[str]] = defaultdict(list)
    for rule in rules:
        seen: set[tuple[str, ir.Expr]] = set()
        for expr in rule.expressions():
            for sub in ir.walk(expr):
                if not isinstance(sub, ir.Agg | ir.Call | ir.Case) or ir.uses_group(sub):
                    continue
                free = ir.free_vars(sub)
                if len(free) != 1:
                    continue
                (var,) = free
                table = _var_table(var, expr, rule)
                if table is None:
                    continue
                key = (table, canonical(sub, var))
                if key not in seen and isinstance(sub, ir.Agg):
                    seen.add(key)
                    users[key].append(rule.id)
    return users


def _var_table(var: str, root: ir.Expr, rule: Any) -> str | None:
    tables = _row_vars(rule)
    if var in tables:
        return tables[var]
    for sub in ir.walk(root):
        if isinstance(sub, ir.Agg) and sub.var == var and isinstance(sub.source, ir.TableSource):
            return sub.source.table
        if isinstance(sub, ir.Var) and sub.name == var and isinstance(sub.dtype, RowType):
            return sub.dtype.table
    return None


def explain(book: Any, rule_id: str | None = None) -> str:
    """The plan of a rulebook (or of one rule) as text."""
    rules = book.enabled_rules if rule_id is None else (book.rule(rule_id),)
    all_rules = book.enabled_rules
    users = shared_computations(all_rules)
    shared = {k: v for k, v in users.items() if len(v) > 1}
    names: dict[tuple[str, ir.Expr], str] = {}
    lines = [f"plan of {book.name}: {len(all_rules)} rules, "
             f"{len(shared)} per-row computations shared by several rules", ""]
    for i, (key, who) in enumerate(sorted(shared.items(), key=lambda kv: (-len(kv[1]), text(kv[0][1])))):
        names[key] = f"s{i + 1}"
        if rule_id is None or rule_id in who:
            lines.append(f"s{i + 1} := per {key[0]} row: {text(key[1])}  [{', '.join(who)}]")
    for rule in rules:
        lines.append("")
        lines += _explain_rule(rule, names)
    return "\n".join(lines)


def _explain_rule(rule: Any, names: dict[tuple[str, ir.Expr], str]) -> list[str]:
    kind = "group" if rule.is_group else "row"
    out = [f"rule {rule.id} {rule.name}  [{rule.level}, {kind} rule]"]
    scope = ", ".join(f"{_source(s)} {v.split('#')[0]}" for v, s in rule.bindings)
    out.append(f"  scope   {scope}" + (f" where {text(rule.where)}" if rule.where is not None else ""))
    if rule.group_keys is not None:
        out.append(f"  group   by {', '.join(text(k) for k in rule.group_keys)}")
    out.append(f"  when    {text(rule.when)}")
    out.append(f"  amount  {text(rule.amount)}")
    tables = _row_vars(rule)
    aggs: list[ir.Agg] = []
    for expr in rule.expressions():
        for sub in ir.walk(expr):
            if isinstance(sub, ir.Agg) and sub not in aggs:
                aggs.append(sub)
    for i, agg in enumerate(aggs):
        free = ir.free_vars(agg)
        shared = None
        if len(free) == 1:
            (var,) = free
            table = tables.get(var) or _var_table(var, rule.when, rule)
            if table is not None:
                shared = names.get((table, canonical(agg, var)))
        label = f" = {shared} (shared)" if shared else ""
        out.append(f"  agg a{i + 1}{label}: {agg.func} over {_source(agg.source)}: {_strategy(agg)}")
    return out


def _source(source: ir.Source) -> str:
    return source.table if isinstance(source, ir.TableSource) else f"{source.kind}(…)"


def _strategy(agg: ir.Agg) -> str:
    if isinstance(agg.source, ir.RangeSource):
        return "generated rows per outer row"
    plan = analyse(agg.var, conjuncts(agg.where))
    parts = []
    if plan.inner:
        parts.append(f"filter {' and '.join(text(c) for c in plan.inner)} (once per table)")
    if plan.keys:
        parts.append("keys " + ", ".join(f"{text(a)} = {text(b)}" for a, b in plan.keys))
    if plan.range_expr is not None:
        bounds = ", ".join(f"{op} {text(b)}" for op, b in plan.bounds)
        parts.append(f"range {text(plan.range_expr)} {bounds}")
    if plan.residual:
        parts.append(f"pairs filtered by {' and '.join(text(c) for c in plan.residual)}")
    elif agg.func in ("count", "exists") or (agg.func == "sum" and plan.range_expr is not None):
        parts.append("no pairs (slice sizes / prefix sums)")
    elif plan.range_expr is None:
        parts.append("no pairs (one reduction per key)")
    return "; ".join(parts) or "all rows"
