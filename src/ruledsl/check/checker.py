"""The static checker: resolves names, infers types, and lowers rules to typed IR.

Every problem is collected as a :class:`~ruledsl.diagnostics.model.Diagnostic`
(never raised); an expression that failed gets the type ``unknown`` so that
one mistake yields one message.  Names resolve in this order: ``令`` values,
``定义`` arguments, group-key names, row variables.  Attribute names resolve to
a physical column (national name or Chinese label) or to a derived field of
:mod:`ruledsl.schema.derived`, which is expanded in place.  Every variable a
comprehension binds gets a fresh name (``x#3``), so expansions never capture.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
from typing import Any

import attrs

from .. import ir
from ..ast import nodes as n
from ..diagnostics.model import Diagnostic
from ..schema import DEFAULT_OUTPUTS, SCHEMA, Schema, Table, output_column
from ..syntax.keywords import UNIT_SECONDS
from ..syntax.vocab import CATEGORIES, VALUES, spell_function, spell_value
from ..types import (
    BOOL,
    DATE,
    DURATION,
    FLOAT,
    INT,
    MONEY,
    NULL,
    STR,
    TIMESTAMP,
    UNKNOWN,
    DataType,
    ListType,
    RowType,
    SetType,
    default_format,
    unify,
)
from .functions import (
    AGGREGATE_RESULT,
    GENERATORS,
    SCALAR_FUNCTIONS,
    VALUE_FORBIDDEN,
    VALUE_REQUIRED,
    arithmetic_type,
    comparable,
    result_type,
)
from .model import CheckedRule, ExampleCase, ParamInfo

KEY_OUTPUTS = (
    "feedetl_sn", "mdtrt_id", "setl_id", "psn_no", "fixmedins_code", "dr_codg", "item_code",
    "period_start", "period_end",
)
PARAM_TYPES: dict[str, DataType] = {
    "int": INT, "float": FLOAT, "money": MONEY, "str": STR, "date": DATE, "bool": BOOL,
}


@attrs.frozen
class Group:
    """The group context of a group rule."""

    member_vars: frozenset[str]
    """Fresh names of the member variables."""
    keys: tuple[ir.Expr, ...]


@attrs.frozen
class Env:
    """What names mean at one point of a rule."""

    vars: dict[str, ir.Expr] = attrs.field(factory=dict)
    lets: dict[str, ir.Expr] = attrs.field(factory=dict)
    keys: dict[str, ir.Expr] = attrs.field(factory=dict)
    params: dict[str, ParamInfo] = attrs.field(factory=dict)
    defines: dict[str, n.Define] = attrs.field(factory=dict)
    group: Group | None = None
    in_group_agg: bool = False
    expanding: tuple[str, ...] = ()

    def bind(self, **changes: Any) -> Env:
        """A copy with some fields changed."""
        return attrs.evolve(self, **changes)

    def visible(self) -> list[str]:
        """Every bare name visible here (for suggestions)."""
        return [*self.lets, *self.keys, *self.vars]


def _suggest(word: str, candidates: list[str]) -> str | None:
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.5)
    return close[0] if close else None


class Checker:
    """Checks rules against a schema; diagnostics accumulate in :attr:`diagnostics`."""

    def __init__(self, schema: Schema = SCHEMA) -> None:
        self.schema = schema
        self.diagnostics: list[Diagnostic] = []
        self._fresh = 0

    # ----------------------------------------------------------- reporting --
    def error(self, code: str, node: n.Node | None, zh: str, en: str,
              help_zh: str | None = None, help_en: str | None = None) -> None:
        """Record one diagnostic at ``node``."""
        span = node.span if node is not None else None
        self.diagnostics.append(
            Diagnostic.error(code, span, zh=zh, en=en, help_zh=help_zh, help_en=help_en)
        )

    def did_you_mean(self, word: str, candidates: list[str]) -> tuple[str | None, str | None]:
        """A "did you mean" help (Chinese, English) naming the candidate closest to ``word``."""
        guess = _suggest(word, candidates)
        if guess is None:
            return None, None
        return f"是否想写 “{guess}”？", f'did you mean "{guess}"?'

    def fresh(self, name: str) -> str:
        """A variable name no other binding uses."""
        self._fresh += 1
        return f"{name}#{self._fresh}"

    # ------------------------------------------------------------ parameters --
    def param(self, decl: n.ParamDecl, qualified: str) -> ParamInfo | None:
        """Check a parameter declaration."""
        dtype = self.param_type(decl.type)
        if dtype is None:
            return None
        value = self.constant(decl.default, dtype, decl.default)
        return ParamInfo(qualified, decl.name, dtype, value, decl.doc, span=decl.span)

    def param_type(self, ref: n.TypeRef) -> DataType | None:
        """The type a ``TypeRef`` names."""
        if ref.name == "set":
            item = PARAM_TYPES.get(ref.arg or "")
            if item is not None:
                return SetType(item)
        elif ref.arg is None and ref.name in PARAM_TYPES:
            return PARAM_TYPES[ref.name]
        names = "整数、小数、金额、文本、日期、真假、集合<文本>"
        self.error("E0303", ref, f"未知的参数类型 “{ref.name}”", f'unknown parameter type "{ref.name}"',
                   f"可用类型：{names}", "types: int, float, money, str, date, bool, set<str>")
        return None

    _MISSING = object()

    def constant(self, node: n.Expr, dtype: DataType, where: n.Node) -> Any:
        """Convert a constant to ``dtype`` (a Python value), reporting E0303 on mismatch."""
        value = _const_value(node, dtype)
        if value is Checker._MISSING:
            self.error("E0303", where, f"值的类型不符，应为{dtype.label}",
                       f"value does not fit type {dtype}")
            return None
        return value

    # ----------------------------------------------------------------- rules --
    def rule(self, rule: n.Rule, global_params: dict[str, ParamInfo],
             defines: dict[str, n.Define]) -> CheckedRule | None:
        """Check one rule; ``None`` when it has errors."""
        before = len(self.diagnostics)
        clauses: dict[type, list[n.Decl]] = {}
        for clause in rule.clauses:
            clauses.setdefault(type(clause), []).append(clause)
        repeatable = (n.ParamDecl, n.Define, n.Let, n.Example, n.Property)
        for kind, items in clauses.items():
            if kind not in repeatable and len(items) > 1:
                self.error("E0102", items[1], "同一子句在规则中出现了两次",
                           "clause given twice in one rule")

        def one(kind: type) -> Any:
            return clauses.get(kind, [None])[0]

        for kind, zh, en in ((n.Category, "类别", "category"), (n.ResultType, "结果类型", "result"),
                             (n.Stages, "环节", "stages"), (n.Level, "层级", "level"),
                             (n.Scope, "对每条/对每组", "for each"), (n.WhenClause, "当", "when")):
            if one(kind) is None:
                self.error("E0102", rule, f"规则 {rule.id} 缺少 “{zh}” 子句",
                           f'rule {rule.id} has no "{en}" clause')
        category = self._metadata(one(n.Category), None, CATEGORIES)
        result = self._metadata(one(n.ResultType), "result")
        level = self._metadata(one(n.Level), "level")
        stages = one(n.Stages)
        if stages is not None:
            for value in stages.values:
                if value not in VALUES["stage"]:
                    self._bad_metadata(stages, value, list(VALUES["stage"]) + ["事前", "事中", "事后"])
        severity = one(n.Severity)
        if severity is not None:
            self._metadata(severity, "severity")

        # parameters and definitions local to the rule
        params: dict[str, ParamInfo] = {}
        for decl in clauses.get(n.ParamDecl, []):
            if decl.name in params:
                self.error("E0104", decl, f"参数 “{decl.name}” 重复声明",
                           f'parameter "{decl.name}" declared twice')
                continue
            info = self.param(decl, f"{rule.id}.{decl.name}")
            if info is not None:
                params[decl.name] = info
        local_defines = dict(defines)
        for define in clauses.get(n.Define, []):
            local_defines[define.name] = define
        env = Env(params={**global_params, **params}, defines=local_defines)

        scope = one(n.Scope)
        bindings: tuple[tuple[str, ir.Source], ...] = ()
        where = None
        group_keys = None
        if scope is not None:
            env, bindings = self._bindings(scope.bindings, env)
            if scope.where is not None:
                where = self.condition(scope.where, env)
            if scope.group_by is not None:
                keys = []
                names: dict[str, ir.Expr] = {}
                for key in scope.group_by:
                    expr = self.expr(key.expr, env)
                    keys.append(expr)
                    if key.name:
                        names[key.name] = expr
                group_keys = tuple(keys)
                member_vars = frozenset(
                    v.name for v in env.vars.values() if isinstance(v, ir.Var)
                )
                env = env.bind(group=Group(member_vars, group_keys), keys=names)

        for let in clauses.get(n.Let, []):
            if let.name in env.lets or let.name in env.keys:
                self.error("E0104", let, f"名称 “{let.name}” 重复定义", f'name "{let.name}" defined twice')
            env = env.bind(lets={**env.lets, let.name: self.expr(let.expr, env)})

        when_clause = one(n.WhenClause)
        when = self.condition(when_clause.cond, env) if when_clause else ir.Const(True, dtype=BOOL)
        effective = one(n.Effective)
        if effective is not None:
            when = self._effective(effective, bindings, group_keys, when)
        amount_clause = one(n.Amount)
        if amount_clause is not None:
            amount = self.expr(amount_clause.expr, env)
            if amount.dtype not in (UNKNOWN, NULL) and not amount.dtype.is_numeric:
                self.error("E0304", amount_clause.expr, f"违规金额应为数值，实为{amount.dtype.label}",
                           f"amount must be a number, found {amount.dtype}")
        else:
            amount = ir.Const(0.0, dtype=MONEY)
        message_clause = one(n.Message)
        message = (
            self.template(message_clause.template, env)
            if message_clause is not None
            else ir.Template((rule.name,), dtype=STR)
        )
        outputs = self._outputs(rule, one(n.Output), level, bindings, group_keys, env)
        lines = self._lines(one(n.Lines), bindings, group_keys, env)
        examples = tuple(
            e for e in (self.example(x, params) for x in clauses.get(n.Example, [])) if e is not None
        )
        properties = tuple(p for p in (self._property(x, env) for x in clauses.get(n.Property, []))
                           if p is not None)
        enabled = one(n.Enabled)
        source = one(n.SourceText)
        description = one(n.Description)
        if len(self.diagnostics) > before:
            return None
        return CheckedRule(
            id=rule.id, name=rule.name, category=category or "", result_type=result or "",
            stages=stages.values if stages else (), level=level or "",
            severity=severity.value if severity else None,
            effective=(effective.start, effective.end) if effective else (None, None),
            enabled=enabled.value if enabled else True,
            source_text=source.text if source else None,
            description=description.text if description else None,
            bindings=bindings, where=where, group_keys=group_keys, when=when, amount=amount,
            message=message, outputs=outputs, lines=lines, params=tuple(params.values()),
            examples=examples, properties=properties, span=rule.span,
        )

    def _effective(self, clause: n.Effective, bindings: tuple[tuple[str, ir.Source], ...],
                   group_keys: Any, when: ir.Expr) -> ir.Expr:
        """Add "the claim falls within the effective dates" to a row rule's condition.

        A claim's date is its settlement date: for a fee line its settlement's,
        for a visit any of its valid settlements', for a settlement its own.  A
        claim not yet settled (事前, 事中) is dated by the line's ``fee_date`` or
        the visit's ``adm_date``.  Group rules span several claims and cannot
        carry ``生效``.
        """
        table = _row_table(bindings) if group_keys is None else None
        if table not in ("fee", "visit", "settlement"):
            self.error("E0403", clause, "“生效” 只适用于逐条明细、就诊或结算的规则",
                       '"effective" applies to rules over fee lines, visits or settlements')
            return when

        def window(date: str) -> str:
            bounds = []
            if clause.start is not None:
                bounds.append(f"{date} >= {clause.start.isoformat()}")
            if clause.end is not None:
                bounds.append(f"{date} <= {clause.end.isoformat()}")
            return " and ".join(bounds) or "true"

        link = {"fee": "s.setl_id = fee.setl_id", "visit": "s.mdtrt_id = visit.mdtrt_id"}
        own = {"fee": "fee.fee_date", "visit": "visit.adm_date"}
        if table == "settlement":
            text = window("settlement.setl_date")
        else:
            text = (f"exists(settlement s where {link[table]} and {window('date(s.setl_time)')}) "
                    f"or (not exists(settlement s where {link[table]}) and {window(own[table])})")
        row = ir.Var(bindings[0][0], dtype=RowType(table))
        cond = ir.substitute(self.derived_text(table, text), "$self", row)
        return ir.Call("and", (when, cond), dtype=BOOL)

    def _property(self, clause: n.Property, env: Env) -> tuple[str, str] | None:
        if clause.kind not in VALUES["property"]:
            self._bad_metadata(clause, clause.kind, ["递减", "递增", "decreasing", "increasing"])
            return None
        param = self.expr(clause.param, env)
        if param.dtype == UNKNOWN:
            return None
        if not isinstance(param, ir.Param) or not (param.dtype.is_numeric or param.dtype == DATE):
            self.error("E0301", clause.param, "性质应针对一个数值或日期参数，如 递减(参数.max_visits)",
                       "a property names a numeric or date parameter, e.g. decreasing(param.max_visits)")
            return None
        return clause.kind, param.name

    def _metadata(self, clause: Any, kind: str | None, allowed: tuple[str, ...] = ()) -> str | None:
        if clause is None:
            return None
        value = clause.value
        choices = list(allowed) if kind is None else list(VALUES[kind])
        if value not in choices:
            zh_words = [w for v in VALUES[kind].values() for w in v] if kind else []
            self._bad_metadata(clause, value, choices + zh_words)
            return None
        return str(value)

    def _bad_metadata(self, clause: n.Node, value: str, choices: list[str]) -> None:
        hz, he = self.did_you_mean(value, choices)
        self.error("E0103", clause, f"无效的取值 “{value}”，可选：{'、'.join(choices)}",
                   f'invalid value "{value}"; choose one of {", ".join(choices)}', hz, he)

    def _bindings(self, bindings: tuple[n.Binding, ...], env: Env
                  ) -> tuple[Env, tuple[tuple[str, ir.Source], ...]]:
        out = []
        for binding in bindings:
            source, dtype = self.source(binding, env)
            var = self.fresh(binding.alias)
            env = _shadow(env, binding.alias).bind(
                vars={**env.vars, binding.alias: ir.Var(var, dtype=dtype, origin=binding.span)})
            if source is not None:
                out.append((var, source))
        return env, tuple(out)

    def _outputs(self, rule: n.Rule, clause: n.Output | None, level: str | None,
                 bindings: tuple[tuple[str, ir.Source], ...], group_keys: Any, env: Env
                 ) -> tuple[tuple[str, ir.Expr], ...]:
        outputs: dict[str, ir.Expr] = {}
        row_table = _row_table(bindings) if group_keys is None else None
        if row_table is not None and level == row_table and row_table in DEFAULT_OUTPUTS:
            var = ir.Var(bindings[0][0], dtype=RowType(row_table))
            for column, text in DEFAULT_OUTPUTS[row_table].items():
                outputs[column] = ir.substitute(self.derived_text(row_table, text), "$self", var)
        if clause is not None:
            for assign in clause.assignments:
                col = output_column(assign.column)
                if col is None or col.name not in KEY_OUTPUTS:
                    hz, he = self.did_you_mean(assign.column, list(KEY_OUTPUTS))
                    self.error("E0405", assign, f"“{assign.column}” 不是可输出的键列",
                               f'"{assign.column}" is not an output key column', hz, he)
                    continue
                expr = self.expr(assign.expr, env)
                want = DATE if col.name.startswith("period_") else STR
                if expr.dtype not in (want, NULL, UNKNOWN):
                    self.error("E0301", assign.expr, f"输出列 {col.name} 应为{want.label}，实为{expr.dtype.label}",
                               f"output column {col.name} must be {want}, found {expr.dtype}")
                outputs[col.name] = expr
        if not outputs and level is not None and bindings:
            self.error("E0403", clause or rule,
                       f"层级 “{spell_value('level', level, 'zh')}” 的规则需要用 “输出” 写明键列（如 人员编号 = …）",
                       f'a rule of level "{level}" needs an "output" clause naming its key columns')
        return tuple((c, outputs[c]) for c in KEY_OUTPUTS if c in outputs)

    def _lines(self, clause: n.Lines | None, bindings: tuple[tuple[str, ir.Source], ...],
               group_keys: Any, env: Env) -> ir.Expr:
        want = ListType(STR)
        if clause is not None:
            expr = self.expr(clause.expr, env)
            if expr.dtype == STR:
                return ir.ListOf((expr,), dtype=want)
            if expr.dtype == ListType(NULL):  # 明细行 []: no lines
                return ir.ListOf((), dtype=want)
            if expr.dtype not in (want, UNKNOWN):
                self.error("E0301", clause.expr, f"明细行应为文本列表，实为{expr.dtype.label}",
                           f"lines must be a list of text, found {expr.dtype}")
            return expr
        fee_vars = [v for v, s in bindings if isinstance(s, ir.TableSource) and s.table == "fee"]
        if fee_vars:
            member = ir.Col(ir.Var(fee_vars[0], dtype=RowType("fee")), "feedetl_sn", dtype=STR)
            if group_keys is None:
                return ir.ListOf((member,), dtype=want)
            return ir.GroupAgg("collect", None, member, dtype=want)
        return ir.ListOf((), dtype=want)

    # --------------------------------------------------------------- sources --
    def source(self, binding: n.Binding, env: Env) -> tuple[ir.Source | None, DataType]:
        """What a binding ranges over, and the type of its variable."""
        src = binding.source
        if isinstance(src, n.Name):
            table = self.schema.table(src.id)
            if table is None:
                hz, he = self.did_you_mean(src.id, self.schema.names())
                self.error("E0201", src, f"未知的表 “{src.id}”", f'unknown table "{src.id}"', hz, he)
                return None, UNKNOWN
            return ir.TableSource(table.name), RowType(table.name)
        if isinstance(src, n.Call) and src.func in GENERATORS:
            item = GENERATORS[src.func]
            if len(src.args) != 2:
                self._arity(src, 2, 2)
                return None, UNKNOWN
            low, high = (self.expr(a, env) for a in src.args)
            for arg, node in ((low, src.args[0]), (high, src.args[1])):
                if arg.dtype not in (item, NULL, UNKNOWN):
                    self.error("E0301", node, f"{spell_function(src.func, 'zh')}() 的参数应为{item.label}",
                               f"{src.func}() takes {item} bounds")
            return ir.RangeSource(src.func, low, high), item
        self.error("E0201", src, "此处应为表名或 日期序列(a, b) / 序列(a, b)",
                   "expected a table name or dates(a, b) / range(a, b)")
        return None, UNKNOWN

    # ----------------------------------------------------------- expressions --
    def condition(self, node: n.Expr, env: Env) -> ir.Expr:
        """Check a condition: it must be a boolean."""
        expr = self.expr(node, env)
        if expr.dtype not in (BOOL, NULL, UNKNOWN):
            self.error("E0302", node, f"条件应为真假值，实为{expr.dtype.label}",
                       f"condition must be a boolean, found {expr.dtype}")
        return expr

    def expr(self, node: n.Expr, env: Env) -> ir.Expr:
        """Check an expression and return its IR (type ``unknown`` after an error)."""
        method = getattr(self, f"_expr_{type(node).__name__}", None)
        if method is None:  # pragma: no cover - every node type has a method
            raise NotImplementedError(type(node).__name__)
        result: ir.Expr = method(node, env)
        if result.origin is None:
            result = attrs.evolve(result, origin=node.span)
        return result

    def _unknown(self) -> ir.Expr:
        return ir.Const(None, dtype=UNKNOWN)

    def _expr_Literal(self, node: n.Literal, env: Env) -> ir.Expr:
        dtype = {"str": STR, "int": INT, "decimal": FLOAT, "date": DATE, "ts": TIMESTAMP,
                 "bool": BOOL, "null": NULL}[node.kind]
        value = node.value
        if node.kind == "decimal":
            value = float(value)  # type: ignore[arg-type]
        elif node.kind == "date":
            value = (value - dt.date(1970, 1, 1)).days
        elif node.kind == "ts":
            value = int((value - dt.datetime(1970, 1, 1)).total_seconds())
        return ir.Const(value, dtype=dtype)

    def _expr_ListLit(self, node: n.ListLit, env: Env) -> ir.Expr:
        return self._list([self.expr(i, env) for i in node.items], node)

    def _expr_ListExpr(self, node: n.ListExpr, env: Env) -> ir.Expr:
        return self._list([self.expr(i, env) for i in node.items], node)

    def _list(self, items: list[ir.Expr], node: n.Node) -> ir.Expr:
        item: DataType | None = NULL
        for expr in items:
            item = unify(item, expr.dtype) if item is not None else None
        if item is None:
            self.error("E0301", node, "列表中的值类型不一致", "list items have different types")
            item = UNKNOWN
        return ir.ListOf(tuple(items), dtype=ListType(item))

    def _expr_Template(self, node: n.Template, env: Env) -> ir.Expr:
        return self.template(node, env)

    def template(self, node: n.Expr, env: Env) -> ir.Expr:
        """Check a message template."""
        if isinstance(node, n.Literal):
            return ir.Template((str(node.value),), dtype=STR)
        if not isinstance(node, n.Template):
            return self.expr(node, env)
        parts: list[str | tuple[ir.Expr, str]] = []
        for part in node.parts:
            if isinstance(part, str):
                parts.append(part)
                continue
            expr = self.expr(part.expr, env)
            parts.append((expr, self._format(expr.dtype, part)))
        return ir.Template(tuple(parts), dtype=STR)

    def _format(self, dtype: DataType, part: n.Placeholder) -> str:
        if part.filter is not None:
            if part.filter not in VALUES["filter"]:
                self._bad_metadata(part, part.filter, ["性别", "金额", "数值", "sex", "money", "number"])
                return "str"
            return part.filter
        if isinstance(dtype, RowType):
            self.error("E0301", part, "占位符应为一个值，而不是一条记录（请写出字段名）",
                       "a placeholder must be a value, not a row (name a field)")
            return "str"
        return default_format(dtype)

    def _expr_Name(self, node: n.Name, env: Env) -> ir.Expr:
        if node.id in env.lets:
            return env.lets[node.id]
        if node.id in env.keys:
            return env.keys[node.id]
        if node.id in env.vars:
            return env.vars[node.id]
        hz, he = self.did_you_mean(node.id, env.visible())
        if hz is None and self.schema.table(node.id) is not None:
            hz, he = ("表名不能单独使用，如需逐条引用请写 “明细 x” 这样的绑定",
                      'a table name needs a binding, e.g. "fee x"')
        if hz is None and any(k in node.id for k in ("且", "或", "满足", "当", "在")):
            hz, he = "关键字前后需要空格，如 “a 且 b”", "put spaces around keywords"
        self.error("E0203", node, f"未知的名称 “{node.id}”", f'unknown name "{node.id}"', hz, he)
        return self._unknown()

    def _expr_ParamRef(self, node: n.ParamRef, env: Env) -> ir.Expr:
        info = env.params.get(node.name)
        if info is None:
            hz, he = self.did_you_mean(node.name, list(env.params))
            self.error("E0204", node, f"未声明的参数 “{node.name}”", f'undeclared parameter "{node.name}"',
                       hz, he)
            return self._unknown()
        return ir.Param(info.name, dtype=info.dtype)

    def _expr_Attribute(self, node: n.Attribute, env: Env) -> ir.Expr:
        obj = self.expr(node.obj, env)
        if obj.dtype == UNKNOWN:
            return self._unknown()
        if not isinstance(obj.dtype, RowType):
            self.error("E0202", node, f"{obj.dtype.label}没有字段 “{node.name}”",
                       f'a {obj.dtype} value has no field "{node.name}"')
            return self._unknown()
        table = self.schema.tables[obj.dtype.table]
        self._check_grouped_field(node, obj, table, env)
        column = table.column(node.name)
        if column is not None:
            return ir.Col(obj, column.name, dtype=column.dtype)
        for derived in table.derived:
            if node.name in (derived.name, derived.label):
                return ir.substitute(self.derived(table.name, derived.name), "$self", obj)
        candidates = [c.name for c in table.columns] + [c.label for c in table.columns]
        candidates += [d.name for d in table.derived] + [d.label for d in table.derived]
        hz, he = self.did_you_mean(node.name, candidates)
        self.error("E0202", node, f"表 “{table.label}” 没有字段 “{node.name}”",
                   f'table "{table.name}" has no field "{node.name}"', hz, he)
        return self._unknown()

    def _check_grouped_field(self, node: n.Attribute, obj: ir.Expr, table: Table, env: Env) -> None:
        group = env.group
        if group is None or env.in_group_agg:
            return
        if not (isinstance(obj, ir.Var) and obj.name in group.member_vars):
            return
        column = table.column(node.name)
        if column is None:
            return  # derived fields are taken from the group's first member
        if ir.Col(obj, column.name, dtype=column.dtype) in group.keys:
            return
        self.error("E0402", node, f"分组规则中 “{node.name}” 既不是分组键，也不在聚合函数中",
                   f'"{node.name}" is neither a group key nor inside an aggregate',
                   "写在 求和(…)/计数(…) 等聚合中，或加入 按 … 的分组键",
                   "wrap it in an aggregate such as sum(…), or add it to the group keys")

    @functools.cache  # noqa: B019 - one checker per check run
    def derived(self, table: str, name: str) -> ir.Expr:
        """The IR of a derived field, with its row as the free variable ``$self``."""
        field = next(d for d in self.schema.tables[table].derived if d.name == name)
        return self.derived_text(table, field.expr)

    def derived_text(self, table: str, text: str) -> ir.Expr:
        """Check an expression written about one row of ``table`` (named by the table)."""
        from ..source import SourceFile
        from ..syntax.parser import parse_expr

        source = SourceFile(f"<derived {table}>", text)
        node = parse_expr(text, source)
        sub = Checker(self.schema)
        sub._fresh = 10_000_000 + self._fresh * 1000
        env = Env(vars={table: ir.Var("$self", dtype=RowType(table))})
        expr = sub.expr(node, env)
        if sub.diagnostics:  # pragma: no cover - the schema's own definitions are checked by tests
            raise AssertionError(f"derived field {table}: {text}: {sub.diagnostics}")
        self._fresh += 1
        return expr

    def _expr_Call(self, node: n.Call, env: Env) -> ir.Expr:
        if node.func in ir.AGGREGATES:
            return self._group_agg(node.func, node.args[0] if node.args else None, None, node, env)
        if node.func in self.defines_of(env):
            return self._expand_define(node, env)
        if node.func in GENERATORS:
            self.error("E0205", node, f"{spell_function(node.func, 'zh')}() 只能用作绑定的来源，如 “日期序列(a, b) d”",
                       f"{node.func}() can only be the source of a binding, e.g. “dates(a, b) d”")
            return self._unknown()
        if node.func not in SCALAR_FUNCTIONS:
            names = [spell_function(f, "zh") for f in SCALAR_FUNCTIONS] + list(SCALAR_FUNCTIONS)
            names += list(self.defines_of(env))
            hz, he = self.did_you_mean(node.func, names)
            self.error("E0205", node, f"未知的函数 “{node.func}”", f'unknown function "{node.func}"', hz, he)
            return self._unknown()
        low, high, _ = SCALAR_FUNCTIONS[node.func]
        args = tuple(self.expr(a, env) for a in node.args)
        if not low <= len(args) <= high:
            self._arity(node, low, high)
            return self._unknown()
        if any(a.dtype == UNKNOWN for a in args):
            return self._unknown()
        out = result_type(node.func, tuple(a.dtype for a in args))
        if isinstance(out, str):
            self.error("E0301", node, out, f"wrong argument types for {node.func}()")
            return self._unknown()
        return ir.Call(node.func, args, dtype=out)

    def defines_of(self, env: Env) -> dict[str, n.Define]:
        """The definitions visible in ``env``."""
        return env.defines

    def _expand_define(self, node: n.Call, env: Env) -> ir.Expr:
        define = env.defines[node.func]
        if node.func in env.expanding:
            self.error("E0404", node, f"定义 “{node.func}” 递归引用了自身",
                       f'definition "{node.func}" refers to itself')
            return self._unknown()
        if len(node.args) != len(define.params):
            self._arity(node, len(define.params), len(define.params))
            return self._unknown()
        args = {p: self.expr(a, env) for p, a in zip(define.params, node.args, strict=True)}
        inner = env.bind(lets={**env.lets, **args}, expanding=(*env.expanding, node.func))
        return self.expr(define.body, inner)

    def _arity(self, node: n.Node, low: int, high: int) -> None:
        want = str(low) if low == high else f"{low}–{high}"
        self.error("E0206", node, f"参数个数不对，应为 {want} 个", f"wrong number of arguments, expected {want}")

    def _group_agg(self, func: str, value: n.Expr | None, where: n.Expr | None, node: n.Node,
                   env: Env) -> ir.Expr:
        if env.group is None or env.in_group_agg:
            self.error("E0401", node, f"聚合函数 {spell_function(func, 'zh')}() 不在分组规则中",
                       f"aggregate {func}() used without a group",
                       f"在 “对每组 … 按 …” 规则中使用，或写成 {spell_function(func, 'zh')}(… 对于 明细 x 满足 …)",
                       f"use it in a 'for each group of … by …' rule, or write {func}(… for fee x where …)")
            return self._unknown()
        inner = env.bind(in_group_agg=True)
        value_ir = self.expr(value, inner) if value is not None else None
        if value_ir is None and func in ("first", "last"):
            members = sorted(env.group.member_vars)
            if len(members) != 1:
                self.error("E0206", node, f"多表分组中 {spell_function(func, 'zh')}() 需要写明取值",
                           f"{func}() needs a value in a group over several tables")
                return self._unknown()
            member = next(v for v in env.vars.values() if isinstance(v, ir.Var) and v.name == members[0])
            value_ir = member
        where_ir = self.condition(where, inner) if where is not None else None
        inner_vars = set().union(*(ir.free_vars(e) for e in (value_ir, where_ir) if e is not None))
        foreign = inner_vars - set(env.group.member_vars)
        if foreign:
            self.error("E0401", node,
                       f"分组聚合 {spell_function(func, 'zh')}() 不能引用外层遍历的变量",
                       f"a group aggregate {func}() cannot read the variable of an enclosing "
                       "comprehension", "先在分组层面求出聚合值（令 …），再在遍历中使用",
                       "compute the aggregate at the group level (let …) and use it inside")
            return self._unknown()
        return self._aggregate(func, value_ir, None, node,
                               lambda dtype: ir.GroupAgg(func, where_ir, value_ir, dtype=dtype))

    def _expr_GroupAgg(self, node: n.GroupAgg, env: Env) -> ir.Expr:
        return self._group_agg(node.func, node.value, node.where, node, env)

    def _expr_Comprehension(self, node: n.Comprehension, env: Env) -> ir.Expr:
        source, var_type = self.source(node.binding, env)
        var = self.fresh(node.binding.alias)
        inner = _shadow(env, node.binding.alias).bind(
                         vars={**env.vars, node.binding.alias: ir.Var(var, dtype=var_type)},
                         in_group_agg=False if env.group is None else env.in_group_agg)
        value = self.expr(node.value, inner) if node.value is not None else None
        where = self.condition(node.where, inner) if node.where is not None else None
        order = tuple((self.expr(k.expr, inner), k.descending) for k in node.order)
        if source is None:
            return self._unknown()
        return self._aggregate(
            node.func, value, var_type, node,
            lambda dtype: ir.Agg(node.func, var, source, where, value, order, dtype=dtype),
        )

    def _aggregate(self, func: str, value: ir.Expr | None, var_type: DataType | None,
                   node: n.Node, build: Any) -> ir.Expr:
        if func not in ir.AGGREGATES:
            names = list(ir.AGGREGATES) + [spell_function(f, "zh") for f in ir.AGGREGATES]
            hz, he = self.did_you_mean(func, names)
            self.error("E0205", node, f"未知的聚合函数 “{func}”", f'unknown aggregate "{func}"', hz, he)
            return self._unknown()
        zh = spell_function(func, "zh")
        if func in VALUE_REQUIRED and value is None:
            self.error("E0206", node, f"{zh}() 需要一个值，如 {zh}(x.金额 …)", f"{func}() needs a value")
            return self._unknown()
        if func in VALUE_FORBIDDEN and value is not None:
            self.error("E0206", node, f"{zh}() 不接受值表达式", f"{func}() takes no value expression")
            return self._unknown()
        vtype = value.dtype if value is not None else var_type
        if vtype == UNKNOWN or vtype is None:
            return self._unknown() if vtype == UNKNOWN else build(AGGREGATE_RESULT.get(func, UNKNOWN))
        if func in ("sum", "avg") and not vtype.is_numeric and vtype != DURATION:
            self.error("E0301", node, f"{zh}() 的值应为数值，实为{vtype.label}",
                       f"{func}() needs a number, found {vtype}")
            return self._unknown()
        if func in ("any", "all") and vtype not in (BOOL, NULL):
            self.error("E0302", node, f"{zh}() 的值应为真假值", f"{func}() needs a boolean")
            return self._unknown()
        if func in AGGREGATE_RESULT:
            return build(AGGREGATE_RESULT[func])
        if func == "avg":
            return build(MONEY if vtype == MONEY else FLOAT)
        if func == "collect":
            return build(ListType(vtype))
        return build(vtype)

    def _expr_Unary(self, node: n.Unary, env: Env) -> ir.Expr:
        operand = self.expr(node.operand, env)
        if node.op == "not":
            if operand.dtype not in (BOOL, NULL, UNKNOWN):
                self.error("E0302", node.operand, f"“非” 的对象应为真假值，实为{operand.dtype.label}",
                           f"not needs a boolean, found {operand.dtype}")
            return ir.Call("not", (operand,), dtype=BOOL)
        if operand.dtype not in (NULL, UNKNOWN, DURATION) and not operand.dtype.is_numeric:
            self.error("E0301", node, f"负号只能用于数值，实为{operand.dtype.label}",
                       f"unary minus needs a number, found {operand.dtype}")
            return self._unknown()
        return ir.Call("neg", (operand,), dtype=operand.dtype)

    def _expr_Binary(self, node: n.Binary, env: Env) -> ir.Expr:
        left = self.expr(node.left, env)
        right = self._day_operand(node, env) if node.op not in ("and", "or", "*", "/") else None
        right = right if right is not None else self.expr(node.right, env)
        if node.op in ("and", "or"):
            for side, expr in ((node.left, left), (node.right, right)):
                if expr.dtype not in (BOOL, NULL, UNKNOWN):
                    self.error("E0302", side, f"“且/或” 的两边应为真假值，实为{expr.dtype.label}",
                               f"and/or need booleans, found {expr.dtype}")
            return ir.Call(node.op, (left, right), dtype=BOOL)
        if UNKNOWN in (left.dtype, right.dtype):
            return self._unknown()
        if node.op in ("=", "!=", "<", "<=", ">", ">=", "same"):
            ok = comparable(left.dtype, right.dtype)
            if isinstance(left.dtype, RowType) and node.op not in ("=", "!=", "same"):
                ok = False
            if not ok:
                self.error("E0301", node, f"无法比较{left.dtype.label}与{right.dtype.label}",
                           f"cannot compare {left.dtype} with {right.dtype}", *self._compare_help(left, right))
                return self._unknown()
            return ir.Call(node.op, (left, right), dtype=BOOL)
        out = arithmetic_type(node.op, left.dtype, right.dtype)
        if out is None:
            self.error("E0301", node, f"无法计算 {left.dtype.label} {node.op} {right.dtype.label}",
                       f"cannot compute {left.dtype} {node.op} {right.dtype}", *self._arith_help(left, right))
            return self._unknown()
        return ir.Call(node.op, (left, right), dtype=out)

    def _day_operand(self, node: n.Binary, env: Env) -> ir.Expr | None:
        """``date ± N 天`` and ``date − date > N 天``: ``N 天`` as whole days (INT), not seconds."""
        if isinstance(node.right, n.Duration) and node.right.unit == "day":
            value = self.expr(node.right.value, env)
            if value.dtype not in (INT, NULL):
                return None
            if node.op in "+-" and self._is_date(node.left, env):
                return value
            if node.op in ("=", "!=", "<", "<=", ">", ">=") and self._type_of(node.left, env) == INT:
                return value
        return None

    def _type_of(self, node: n.Expr, env: Env) -> DataType:
        saved = len(self.diagnostics)
        dtype = self.expr(node, env).dtype
        del self.diagnostics[saved:]
        return dtype

    def _is_date(self, node: n.Expr, env: Env) -> bool:
        return self._type_of(node, env) == DATE

    @staticmethod
    def _compare_help(left: ir.Expr, right: ir.Expr) -> tuple[str | None, str | None]:
        types = {left.dtype, right.dtype}
        if types == {DATE, TIMESTAMP}:
            return "用 日期(时间) 取时间的日期部分再比较", "use date(ts) to compare a timestamp with a date"
        if STR in types and (INT in types or FLOAT in types):
            text, number = (left, right) if left.dtype == STR else (right, left)
            if isinstance(text, ir.Const) and _is_number(text.value):
                return (f"数量、金额、天数是数，不加引号，如 {text.value.strip()}",
                        f"quantities, amounts and days are numbers: no quotes, e.g. "
                        f"{text.value.strip()}")
            if isinstance(number, ir.Const):
                return "编码是文本，请加引号，如 \"201\"", 'codes are text: quote them, e.g. "201"'
        return None, None

    @staticmethod
    def _arith_help(left: ir.Expr, right: ir.Expr) -> tuple[str | None, str | None]:
        if TIMESTAMP in (left.dtype, right.dtype) and INT in (left.dtype, right.dtype):
            return "时间加减需带单位，如 “24 小时”", 'add a unit to time arithmetic, e.g. "24 hours"'
        return None, None

    def _expr_InList(self, node: n.InList, env: Env) -> ir.Expr:
        operand = self.expr(node.operand, env)
        items = self.expr(node.items, env)
        if UNKNOWN in (operand.dtype, items.dtype):
            return self._unknown()
        if not isinstance(items.dtype, ListType | SetType):
            self.error("E0301", node.items, f"“在” 的右边应为列表或集合参数，实为{items.dtype.label}",
                       f"the right side of in must be a list or a set parameter, found {items.dtype}")
            return self._unknown()
        if not comparable(operand.dtype, items.dtype.item):
            self.error("E0301", node, f"{operand.dtype.label}不能与{items.dtype.item.label}比较",
                       f"cannot compare {operand.dtype} with {items.dtype.item}",
                       *self._compare_help(operand, ir.Const(None, dtype=items.dtype.item)))
            return self._unknown()
        return ir.InList(operand, items, node.negated, dtype=BOOL)

    def _expr_Between(self, node: n.Between, env: Env) -> ir.Expr:
        operand = self.expr(node.operand, env)
        low, high = self.expr(node.low, env), self.expr(node.high, env)
        if UNKNOWN in (operand.dtype, low.dtype, high.dtype):
            return self._unknown()
        if not (comparable(operand.dtype, low.dtype) and comparable(operand.dtype, high.dtype)):
            self.error("E0301", node, f"“介于” 的边界与{operand.dtype.label}类型不符",
                       f"between bounds do not match {operand.dtype}")
            return self._unknown()
        return ir.Call("and", (ir.Call(">=", (operand, low), dtype=BOOL),
                               ir.Call("<=", (operand, high), dtype=BOOL)), dtype=BOOL)

    def _expr_IsNull(self, node: n.IsNull, env: Env) -> ir.Expr:
        operand = self.expr(node.operand, env)
        return ir.Call("is_not_null" if node.negated else "is_null", (operand,), dtype=BOOL)

    def _expr_Before(self, node: n.Before, env: Env) -> ir.Expr:
        left, right = self.expr(node.left, env), self.expr(node.right, env)
        if UNKNOWN in (left.dtype, right.dtype):
            return self._unknown()
        ok = isinstance(left.dtype, RowType) and left.dtype == right.dtype
        table = self.schema.tables[left.dtype.table] if ok else None  # type: ignore[union-attr]
        if table is None or not table.order:
            self.error("E0301", node, "“早于/晚于” 两边应为同一张有时间顺序的表（明细、就诊、结算）的记录",
                       "before/after compare two rows of one ordered table (fee, visit, settlement)")
            return self._unknown()
        first, second = (right, left) if node.after else (left, right)
        return ir.Before(first, second, table.name, table.order, dtype=BOOL)

    def _expr_InCodeSet(self, node: n.InCodeSet, env: Env) -> ir.Expr:
        operand, set_id = self.expr(node.operand, env), self.expr(node.set_id, env)
        for side, expr in ((node.operand, operand), (node.set_id, set_id)):
            if expr.dtype not in (STR, NULL, UNKNOWN):
                self.error("E0301", side, f"编码与编码集名称应为文本，实为{expr.dtype.label}",
                           f"codes and set ids are text, found {expr.dtype}")
                return self._unknown()
        return ir.InCodeSet(operand, set_id, dtype=BOOL)

    def _expr_InCodeRange(self, node: n.InCodeRange, env: Env) -> ir.Expr:
        operand = self.expr(node.operand, env)
        low, high = self.expr(node.low, env), self.expr(node.high, env)
        for side, expr in ((node.operand, operand), (node.low, low), (node.high, high)):
            if expr.dtype not in (STR, NULL, UNKNOWN):
                self.error("E0301", side, f"编码范围应为文本，实为{expr.dtype.label}",
                           f"code ranges are text, found {expr.dtype}")
                return self._unknown()
        if not all(isinstance(b, ir.Const | ir.Param) for b in (low, high)):
            self.error("E0305", node, "编码范围的起点和终点应为常量或参数",
                       "the bounds of a code range must be constants or parameters")
            return self._unknown()
        if isinstance(low, ir.Const) and isinstance(high, ir.Const) and low.value and high.value:
            lo, hi = str(low.value).upper(), str(high.value).upper()
            if lo[: len(hi)] > hi:
                self.error("E0305", node, f"编码范围的起点 “{low.value}” 大于终点 “{high.value}”",
                           f'code range starts at "{low.value}" after its end "{high.value}"')
                return self._unknown()
        return ir.InCodeRange(operand, low, high, dtype=BOOL)

    def _expr_Duration(self, node: n.Duration, env: Env) -> ir.Expr:
        value = self.expr(node.value, env)
        if value.dtype == UNKNOWN:
            return self._unknown()
        if not value.dtype.is_numeric:
            self.error("E0301", node, f"时长应为数值，实为{value.dtype.label}",
                       f"a duration needs a number, found {value.dtype}")
            return self._unknown()
        seconds = ir.Const(UNIT_SECONDS[node.unit], dtype=INT)
        return ir.Call("*", (value, seconds), dtype=DURATION)

    def _expr_If(self, node: n.If, env: Env) -> ir.Expr:
        return self._case(((node.cond, node.then),), node.else_, node, env)

    def _expr_Case(self, node: n.Case, env: Env) -> ir.Expr:
        return self._case(tuple((w.cond, w.value) for w in node.whens), node.else_, node, env)

    def _case(self, whens: tuple[tuple[n.Expr, n.Expr], ...], else_: n.Expr, node: n.Node,
              env: Env) -> ir.Expr:
        branches = tuple((self.condition(c, env), self.expr(v, env)) for c, v in whens)
        otherwise = self.expr(else_, env)
        dtype: DataType | None = otherwise.dtype
        for _, value in branches:
            dtype = unify(dtype, value.dtype) if dtype is not None else None
        if dtype is None:
            self.error("E0301", node, "各分支的值类型不一致", "branches have different types")
            return self._unknown()
        return ir.Case(branches, otherwise, dtype=dtype)

    # -------------------------------------------------------------- examples --
    def example(self, node: n.Example, params: dict[str, ParamInfo]) -> ExampleCase | None:
        """Check an example block and convert its values."""
        rows: dict[str, list[dict[str, Any]]] = {}
        values: dict[str, Any] = {}
        expect: list[dict[str, Any]] = []
        for item in node.items:
            if isinstance(item, n.ExampleRow):
                table = self.schema.table(item.table)
                if table is None:
                    hz, he = self.did_you_mean(item.table, self.schema.names())
                    self.error("E0501", item, f"示例中未知的表 “{item.table}”",
                               f'unknown table "{item.table}" in example', hz, he)
                    continue
                row = {}
                for field in item.fields:
                    column = _example_column(table, field.name)
                    if column is None:
                        names = [c.name for c in table.columns] + [c.label for c in table.columns]
                        hz, he = self.did_you_mean(field.name, names)
                        self.error("E0501", field, f"表 “{table.label}” 没有列 “{field.name}”",
                                   f'table "{table.name}" has no column "{field.name}"', hz, he)
                        continue
                    row[column.name] = self._cell(field, column.dtype)
                rows.setdefault(table.name, []).append(row)
            elif isinstance(item, n.ExampleParams):
                for field in item.fields:
                    info = params.get(field.name)
                    if info is None:
                        hz, he = self.did_you_mean(field.name, list(params))
                        self.error("E0204", field, f"规则没有参数 “{field.name}”",
                                   f'the rule has no parameter "{field.name}"', hz, he)
                        continue
                    values[field.name] = self.constant(field.value, info.dtype, field)
            elif isinstance(item, n.Expect):
                firing = {}
                for field in item.fields:
                    col = output_column(field.name)
                    if col is None:
                        from ..schema import OUTPUT_COLUMNS

                        names = [c.name for c in OUTPUT_COLUMNS] + [c.label for c in OUTPUT_COLUMNS]
                        hz, he = self.did_you_mean(field.name, names)
                        self.error("E0501", field, f"违规结果没有列 “{field.name}”",
                                   f'the violations table has no column "{field.name}"', hz, he)
                        continue
                    firing[col.name] = self._cell(field, col.dtype)
                expect.append(firing)
        return ExampleCase(node.name, node.title, {k: tuple(v) for k, v in rows.items()},
                           values, tuple(expect), span=node.span)

    def _cell(self, field: n.FieldValue, dtype: DataType) -> Any:
        value = _const_value(field.value, dtype)
        if value is Checker._MISSING:
            hint = ("编码等文本值请加引号", "quote text values") if dtype == STR else (None, None)
            self.error("E0501", field.value, f"列 “{field.name}” 的值应为{dtype.label}",
                       f'column "{field.name}" takes a {dtype} value', *hint)
            return None
        return value


def _shadow(env: Env, name: str) -> Env:
    """``env`` without the value names a new binding called ``name`` hides (a ``令`` value,
    a group-key name or a definition's parameter of the same name)."""
    if name not in env.lets and name not in env.keys:
        return env
    return env.bind(lets={k: v for k, v in env.lets.items() if k != name},
                    keys={k: v for k, v in env.keys.items() if k != name})


def _example_column(table: Table, name: str) -> Any:
    column = table.column(name)
    if column is not None:
        return column
    for derived in table.derived:  # a derived alias of one column, e.g. 金额 → det_item_fee_sumamt
        if name in (derived.name, derived.label) and derived.expr.startswith(f"{table.name}."):
            rest = derived.expr[len(table.name) + 1 :]
            if rest.isidentifier():
                return table.column(rest)
    return None


def _row_table(bindings: tuple[tuple[str, ir.Source], ...]) -> str | None:
    if len(bindings) == 1 and isinstance(bindings[0][1], ir.TableSource):
        return bindings[0][1].table
    return None


def _const_value(node: n.Expr, dtype: DataType) -> Any:
    """A constant node as a Python value of ``dtype``, or ``Checker._MISSING``."""
    missing = Checker._MISSING
    if isinstance(node, n.ListLit):
        if not isinstance(dtype, SetType | ListType):
            return missing
        items = tuple(_const_value(i, dtype.item) for i in node.items)
        return missing if any(i is missing for i in items) else items
    if not isinstance(node, n.Literal):
        return missing
    kind, value = node.kind, node.value
    if kind == "null":
        return None
    if isinstance(dtype, ListType) and kind == "str":
        return (value,)
    if dtype == STR:
        return value if kind == "str" else missing
    if dtype in (FLOAT, MONEY):
        return float(value) if kind in ("int", "decimal") else missing
    if dtype == INT:
        return int(value) if kind == "int" else missing
    if dtype == BOOL:
        return value if kind == "bool" else missing
    if dtype == DATE:
        if kind == "date":
            return value
        if kind == "str":
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                return missing
        return missing
    if dtype == TIMESTAMP:
        if kind == "ts":
            return value
        if kind == "date":
            return dt.datetime(value.year, value.month, value.day)
        if kind == "str":
            try:
                return dt.datetime.fromisoformat(value)
            except ValueError:
                return missing
        return missing
    return missing


def _is_number(value: Any) -> bool:
    """Whether a text constant spells a plain decimal number (``"2"``, ``"-10.5"``)."""
    return isinstance(value, str) and re.fullmatch(r"\s*-?\d+(\.\d+)?\s*", value) is not None
