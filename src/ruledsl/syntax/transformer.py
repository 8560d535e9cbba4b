"""Parse tree → AST (:mod:`ruledsl.ast.nodes`), with a span on every node.

Each method is named after its grammar rule or alias; the production is in the
comment above it.  Positions are character offsets into the source (plus an
``offset`` when a template placeholder is parsed on its own).
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

from lark import Token, Transformer, Tree, v_args
from lark.exceptions import VisitError

from ..ast import nodes as n
from ..diagnostics.model import Diagnostic
from ..errors import ParseError
from ..source import SourceFile, Span
from .keywords import unit_of
from .vocab import canonical_function, canonical_value


class _Invalid(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message("en"))
        self.diagnostic = diagnostic


@v_args(inline=True, meta=True)
class ToAst(Transformer[Token, Any]):
    """Builds AST nodes; every node gets the span of its production."""

    def __init__(self, source: SourceFile, offset: int = 0) -> None:
        super().__init__()
        self.file = source
        self.offset = offset

    # ---------------------------------------------------------------- spans --
    def _span(self, meta: Any) -> Span:
        if getattr(meta, "empty", True):
            return Span(self.offset, self.offset, self.file)
        return Span(self.offset + meta.start_pos, self.offset + meta.end_pos, self.file)

    def _tok_span(self, tok: Token) -> Span:
        start = self.offset + (tok.start_pos or 0)
        return Span(start, start + len(tok.value), self.file)

    def _text(self, tok: Token | None) -> str | None:
        """The text of a STRING token used as plain text (a name, a title, a path)."""
        if tok is None:
            return None
        raw = str(tok)
        return raw[1:-1] if raw.startswith("“") else _unescape(raw[1:-1])

    def _invalid(self, span: Span, zh: str, en: str) -> _Invalid:
        return _Invalid(Diagnostic.error("E0004", span, zh=zh, en=en))

    # --------------------------------------------------------------- module --
    # module: _item*
    def module(self, meta: Any, *items: n.Decl) -> n.Module:
        return n.Module(tuple(items), span=self._span(meta))

    # rulebook_header: RULEBOOK NAME STRING?
    def rulebook_header(self, meta: Any, _kw: Token, name: Token, title: Any = None) -> n.Decl:
        return n.RulebookHeader(str(name), self._text(title), span=self._span(meta))

    # include: INCLUDE STRING
    def include(self, meta: Any, _kw: Token, path: Token) -> n.Decl:
        return n.Include(self._text(path) or "", span=self._span(meta))

    # extends: EXTENDS STRING
    def extends(self, meta: Any, _kw: Token, path: Token) -> n.Decl:
        return n.Extends(self._text(path) or "", span=self._span(meta))

    # override: OVERRIDE PARAM param_path EQ const
    def override(self, meta: Any, _kw: Token, _p: Token, path: tuple, _eq: Token, value: n.Expr) -> n.Decl:
        rule_id, name = path
        return n.Override(rule_id, name, value, span=self._span(meta))

    # disable: DISABLE RULE rule_id
    def disable(self, meta: Any, _kw: Token, _r: Token, rule_id: str) -> n.Decl:
        return n.Disable(rule_id, span=self._span(meta))

    # param_path: NAME | rule_id _DOT NAME
    def param_path(self, meta: Any, *parts: Any) -> tuple[str | None, str]:
        if len(parts) == 1:
            return None, str(parts[0])
        return parts[0], str(parts[1])

    # param_decl: PARAM NAME _COLON type_ref EQ const STRING?
    def param_decl(self, meta: Any, _kw: Token, name: Token, type_: n.TypeRef, _eq: Token,
                   default: n.Expr, doc: Any = None) -> n.Decl:
        return n.ParamDecl(str(name), type_, default, self._text(doc), span=self._span(meta))

    # type_ref: NAME (LT NAME GT)?
    def type_ref(self, meta: Any, name: Token, *rest: Token) -> n.TypeRef:
        arg = canonical_value("type", str(rest[1])) if rest else None
        return n.TypeRef(canonical_value("type", str(name)), arg, span=self._span(meta))

    # define: DEFINE NAME _LPAR [NAME (_COMMA NAME)*] _RPAR EQ expr
    def define(self, meta: Any, _kw: Token, name: Token, *rest: Any) -> n.Decl:
        body = rest[-1]
        params = tuple(str(p) for p in rest[:-2] if isinstance(p, Token) and p.type == "NAME")
        return n.Define(str(name), params, body, span=self._span(meta))

    # rule: RULE rule_id STRING _LBRACE _clause* _RBRACE
    def rule(self, meta: Any, _kw: Token, rule_id: str, name: Token, *clauses: n.Decl) -> n.Decl:
        return n.Rule(rule_id, self._text(name) or "", tuple(clauses), span=self._span(meta))

    # rule_id: NAME (MINUS (NAME | INT))*
    def rule_id(self, meta: Any, *parts: Token) -> str:
        return "".join(str(p) for p in parts)

    # ---------------------------------------------------------- rule clauses --
    # category: CATEGORY NAME
    def category(self, meta: Any, _kw: Token, value: Token) -> n.Decl:
        return n.Category(str(value), span=self._span(meta))

    # result_type: RESULT NAME
    def result_type(self, meta: Any, _kw: Token, value: Token) -> n.Decl:
        return n.ResultType(canonical_value("result", str(value)), span=self._span(meta))

    # stages: STAGES NAME (_COMMA NAME)*
    def stages(self, meta: Any, _kw: Token, *values: Token) -> n.Decl:
        return n.Stages(tuple(canonical_value("stage", str(v)) for v in values), span=self._span(meta))

    # level: LEVEL NAME
    def level(self, meta: Any, _kw: Token, value: Token) -> n.Decl:
        return n.Level(canonical_value("level", str(value)), span=self._span(meta))

    # severity: SEVERITY NAME
    def severity(self, meta: Any, _kw: Token, value: Token) -> n.Decl:
        return n.Severity(canonical_value("severity", str(value)), span=self._span(meta))

    # effective: EFFECTIVE DATE? TO DATE?
    def effective(self, meta: Any, *parts: Any) -> n.Decl:
        start = end = None
        seen_to = False
        for p in parts:
            if isinstance(p, Token) and p.type == "TO":
                seen_to = True
            elif isinstance(p, Token) and p.type == "DATE":
                value = self._date(p)
                if seen_to:
                    end = value
                else:
                    start = value
        return n.Effective(start, end, span=self._span(meta))

    # enabled: ENABLED boolean
    def enabled(self, meta: Any, _kw: Token, value: n.Literal) -> n.Decl:
        return n.Enabled(bool(value.value), span=self._span(meta))

    # source: SOURCE STRING
    def source(self, meta: Any, _kw: Token, text: Token) -> n.Decl:
        return n.SourceText(self._text(text) or "", span=self._span(meta))

    # description: DESCRIPTION STRING
    def description(self, meta: Any, _kw: Token, text: Token) -> n.Decl:
        return n.Description(self._text(text) or "", span=self._span(meta))

    # scope: FOREACH binding (WHERE expr)?
    def scope(self, meta: Any, _kw: Token, binding: n.Binding, *rest: Any) -> n.Decl:
        where = rest[1] if rest else None
        return n.Scope((binding,), where, None, span=self._span(meta))

    # group_scope: FOREACHGROUP binding (_COMMA binding)* (WHERE expr)? BY group_key (_COMMA group_key)*
    def group_scope(self, meta: Any, _kw: Token, *parts: Any) -> n.Decl:
        bindings = tuple(p for p in parts if isinstance(p, n.Binding))
        keys = tuple(p for p in parts if isinstance(p, n.GroupKey))
        where = None
        for i, p in enumerate(parts):
            if isinstance(p, Token) and p.type == "WHERE":
                where = parts[i + 1]
        return n.Scope(bindings, where, keys, span=self._span(meta))

    # group_key: expr (AS NAME)?
    def group_key(self, meta: Any, expr: n.Expr, *rest: Token) -> n.GroupKey:
        return n.GroupKey(expr, str(rest[1]) if rest else None, span=self._span(meta))

    # binding: source_ref NAME
    def binding(self, meta: Any, source: n.Expr, alias: Token) -> n.Binding:
        return n.Binding(source, str(alias), span=self._span(meta))

    # source_ref: NAME | call
    def source_ref(self, meta: Any, item: Any) -> n.Expr:
        if isinstance(item, Token):
            return n.Name(str(item), span=self._tok_span(item))
        return item

    # let: LET NAME EQ expr
    def let(self, meta: Any, _kw: Token, name: Token, _eq: Token, expr: n.Expr) -> n.Decl:
        return n.Let(str(name), expr, span=self._span(meta))

    # when: WHEN expr
    def when(self, meta: Any, _kw: Token, expr: n.Expr) -> n.Decl:
        return n.WhenClause(expr, span=self._span(meta))

    # amount: AMOUNT expr
    def amount(self, meta: Any, _kw: Token, expr: n.Expr) -> n.Decl:
        return n.Amount(expr, span=self._span(meta))

    # message: MESSAGE STRING
    def message(self, meta: Any, _kw: Token, text: Token) -> n.Decl:
        return n.Message(self.string(meta, text), span=self._span(meta))

    # output: OUTPUT out_assign (_COMMA out_assign)*
    def output(self, meta: Any, _kw: Token, *assigns: n.OutAssign) -> n.Decl:
        return n.Output(tuple(assigns), span=self._span(meta))

    # out_assign: NAME EQ expr
    def out_assign(self, meta: Any, name: Token, _eq: Token, expr: n.Expr) -> n.OutAssign:
        return n.OutAssign(str(name), expr, span=self._span(meta))

    # property: PROPERTY NAME _LPAR expr _RPAR
    def property(self, meta: Any, _kw: Token, kind: Token, param: n.Expr) -> n.Decl:
        return n.Property(canonical_value("property", str(kind)), param, span=self._span(meta))

    # lines: LINES expr
    def lines(self, meta: Any, _kw: Token, expr: n.Expr) -> n.Decl:
        return n.Lines(expr, span=self._span(meta))

    # example: EXAMPLE NAME? STRING? _LBRACE _example_item* _RBRACE
    def example(self, meta: Any, _kw: Token, *parts: Any) -> n.Decl:
        name = title = None
        items = []
        for p in parts:
            if isinstance(p, Token) and p.type == "NAME":
                name = str(p)
            elif isinstance(p, Token) and p.type == "STRING":
                title = self._text(p)
            elif p is not None:
                items.append(p)
        return n.Example(name, title, tuple(items), span=self._span(meta))

    def _fields(self, parts: tuple[Any, ...]) -> tuple[n.FieldValue, ...]:
        return tuple(p for p in parts if isinstance(p, n.FieldValue))

    # example_row: NAME _LPAR [field_value (_COMMA field_value)*] _RPAR
    def example_row(self, meta: Any, table: Token, *fields: Any) -> n.ExampleRow:
        return n.ExampleRow(str(table), self._fields(fields), span=self._span(meta))

    # example_params: PARAM _LPAR [field_value (_COMMA field_value)*] _RPAR
    def example_params(self, meta: Any, _kw: Token, *fields: Any) -> n.ExampleParams:
        return n.ExampleParams(self._fields(fields), span=self._span(meta))

    # expect: EXPECT _LPAR [field_value (_COMMA field_value)*] _RPAR
    def expect(self, meta: Any, _kw: Token, *fields: Any) -> n.Expect:
        return n.Expect(self._fields(fields), span=self._span(meta))

    # expect_none: EXPECT NONE
    def expect_none(self, meta: Any, *_: Token) -> n.ExpectNone:
        return n.ExpectNone(span=self._span(meta))

    # field_value: NAME EQ const
    def field_value(self, meta: Any, name: Token, _eq: Token, value: n.Expr) -> n.FieldValue:
        return n.FieldValue(str(name), value, span=self._span(meta))

    # ----------------------------------------------------------- expressions --
    # IF expr THEN expr ELSE expr
    def if_expr(self, meta: Any, _if: Token, cond: n.Expr, _t: Token, then: n.Expr, _e: Token,
                else_: n.Expr) -> n.Expr:
        return n.If(cond, then, else_, span=self._span(meta))

    def or_op(self, meta: Any, left: n.Expr, _op: Token, right: n.Expr) -> n.Expr:
        return n.Binary("or", left, right, span=self._span(meta))

    def and_op(self, meta: Any, left: n.Expr, _op: Token, right: n.Expr) -> n.Expr:
        return n.Binary("and", left, right, span=self._span(meta))

    def not_op(self, meta: Any, _op: Token, operand: n.Expr) -> n.Expr:
        return n.Unary("not", operand, span=self._span(meta))

    _COMPARE = {"==": "=", "=": "=", "!=": "!=", "<>": "!=", "≠": "!=", "<=": "<=", "≤": "<=",
                ">=": ">=", "≥": ">=", "<": "<", ">": ">"}

    # sum _cmp sum
    def compare(self, meta: Any, left: n.Expr, op: Token, right: n.Expr) -> n.Expr:
        return n.Binary(self._COMPARE[str(op)], left, right, span=self._span(meta))

    # sum SAME sum: null-safe equality (both null, or equal)
    def same(self, meta: Any, left: n.Expr, _op: Token, right: n.Expr) -> n.Expr:
        return n.Binary("same", left, right, span=self._span(meta))

    def in_op(self, meta: Any, left: n.Expr, _op: Token, right: n.Expr) -> n.Expr:
        return n.InList(left, right, False, span=self._span(meta))

    def not_in_op(self, meta: Any, left: n.Expr, _op: Token, right: n.Expr) -> n.Expr:
        return n.InList(left, right, True, span=self._span(meta))

    def between(self, meta: Any, operand: n.Expr, _b: Token, low: n.Expr, _a: Token,
                high: n.Expr) -> n.Expr:
        return n.Between(operand, low, high, span=self._span(meta))

    def is_null(self, meta: Any, operand: n.Expr, _op: Token) -> n.Expr:
        return n.IsNull(operand, False, span=self._span(meta))

    def is_not_null(self, meta: Any, operand: n.Expr, _op: Token) -> n.Expr:
        return n.IsNull(operand, True, span=self._span(meta))

    def before(self, meta: Any, left: n.Expr, _op: Token, right: n.Expr) -> n.Expr:
        return n.Before(left, right, False, span=self._span(meta))

    def after(self, meta: Any, left: n.Expr, _op: Token, right: n.Expr) -> n.Expr:
        return n.Before(left, right, True, span=self._span(meta))

    def in_code_set(self, meta: Any, operand: n.Expr, _op: Token, set_id: n.Expr) -> n.Expr:
        return n.InCodeSet(operand, set_id, span=self._span(meta))

    def in_code_range(self, meta: Any, operand: n.Expr, _op: Token, low: n.Expr, _to: Token,
                      high: n.Expr) -> n.Expr:
        return n.InCodeRange(operand, low, high, span=self._span(meta))

    _ARITH = {"+": "+", "-": "-", "*": "*", "×": "*", "/": "/", "÷": "/"}

    # sum (PLUS | MINUS) product | product MUL_OP unary
    def binary(self, meta: Any, left: n.Expr, op: Token, right: n.Expr) -> n.Expr:
        return n.Binary(self._ARITH[str(op)], left, right, span=self._span(meta))

    def neg(self, meta: Any, _op: Token, operand: n.Expr) -> n.Expr:
        return n.Unary("neg", operand, span=self._span(meta))

    # postfix _DOT NAME
    def attribute(self, meta: Any, obj: n.Expr, name: Token) -> n.Expr:
        return n.Attribute(obj, str(name), span=self._span(meta))

    # postfix UNIT
    def duration(self, meta: Any, value: n.Expr, unit: Token) -> n.Expr:
        return n.Duration(value, unit_of(str(unit)) or "day", span=self._span(meta))

    def name(self, meta: Any, tok: Token) -> n.Expr:
        return n.Name(str(tok), span=self._span(meta))

    # PARAM _DOT NAME
    def param_ref(self, meta: Any, _kw: Token, name: Token) -> n.Expr:
        return n.ParamRef(str(name), span=self._span(meta))

    # NOTEXISTS _LPAR comprehension_body _RPAR
    def not_exists(self, meta: Any, _kw: Token, body: dict[str, Any]) -> n.Expr:
        span = self._span(meta)
        inner = n.Comprehension("exists", span=span, **body)
        return n.Unary("not", inner, span=span)

    # _LBRACKET [expr (_COMMA expr)*] _RBRACKET
    def list_expr(self, meta: Any, *items: Any) -> n.Expr:
        return n.ListExpr(tuple(i for i in items if i is not None), span=self._span(meta))

    # CASE (WHEN expr THEN expr)+ ELSE expr END
    def case_expr(self, meta: Any, *parts: Any) -> n.Expr:
        exprs = [p for p in parts if not isinstance(p, Token)]
        else_ = exprs.pop()
        whens = tuple(
            n.When(exprs[i], exprs[i + 1], span=exprs[i].span.to(exprs[i + 1].span))
            for i in range(0, len(exprs), 2)
        )
        return n.Case(whens, else_, span=self._span(meta))

    # NAME _LPAR [expr (_COMMA expr)*] _RPAR
    def call(self, meta: Any, name: Token, *args: Any) -> n.Expr:
        return n.Call(canonical_function(str(name)), tuple(a for a in args if a is not None),
                      span=self._span(meta))

    # NAME _LPAR comprehension_body _RPAR
    def comprehension(self, meta: Any, name: Token, body: dict[str, Any]) -> n.Expr:
        return n.Comprehension(canonical_function(str(name)), span=self._span(meta), **body)

    # NAME _LPAR expr WHERE expr _RPAR
    def group_agg(self, meta: Any, name: Token, value: n.Expr, _w: Token, where: n.Expr) -> n.Expr:
        return n.GroupAgg(canonical_function(str(name)), value, where, span=self._span(meta))

    # NAME _LPAR WHERE expr _RPAR
    def group_count(self, meta: Any, name: Token, _w: Token, where: n.Expr) -> n.Expr:
        return n.GroupAgg(canonical_function(str(name)), None, where, span=self._span(meta))

    # comprehension_body: (expr FOR)? binding (WHERE expr)? (ORDERBY sort_key (_COMMA sort_key)*)?
    def comprehension_body(self, meta: Any, *parts: Any) -> dict[str, Any]:
        value = where = None
        binding = None
        order: list[n.SortKey] = []
        mode = "value"
        for p in parts:
            if isinstance(p, Token):
                mode = {"FOR": "binding", "WHERE": "where", "ORDERBY": "order"}.get(p.type, mode)
            elif isinstance(p, n.Binding):
                binding = p
            elif isinstance(p, n.SortKey):
                order.append(p)
            elif mode == "value":
                value = p
            elif mode == "where":
                where = p
        return {"value": value, "binding": binding, "where": where, "order": tuple(order)}

    # sort_key: expr (ASC | DESC)?
    def sort_key(self, meta: Any, expr: n.Expr, *rest: Token) -> n.SortKey:
        desc = bool(rest) and rest[0].type == "DESC"
        return n.SortKey(expr, desc, span=self._span(meta))

    # -------------------------------------------------------------- literals --
    def string(self, meta: Any, tok: Token) -> n.Expr:
        span = self._tok_span(tok)
        raw = str(tok)
        if raw.startswith("“"):
            return self._template(raw[1:-1], span.start + 1, span)
        return self._template(_unescape(raw[1:-1]), span.start + 1, span, escaped=raw[1:-1])

    def _template(self, text: str, start: int, span: Span, escaped: str | None = None) -> n.Expr:
        if "{" not in text and "}" not in text:
            return n.Literal(text, "str", span=span)
        # Placeholders are located in the raw text so their spans are exact.
        raw = escaped if escaped is not None else text
        parts = split_template(raw, start, self.file)
        if len(parts) == 1 and isinstance(parts[0], str):
            return n.Literal(_unescape(parts[0]) if escaped is not None else parts[0], "str", span=span)
        fixed = tuple(_unescape(p) if isinstance(p, str) and escaped is not None else p for p in parts)
        return n.Template(fixed, span=span)

    def int_lit(self, meta: Any, tok: Token) -> n.Expr:
        return n.Literal(self._number(tok, int), "int", span=self._tok_span(tok))

    def decimal_lit(self, meta: Any, tok: Token) -> n.Expr:
        return n.Literal(self._number(tok, Decimal), "decimal", span=self._tok_span(tok))

    def neg_int_lit(self, meta: Any, _m: Token, tok: Token) -> n.Expr:
        return n.Literal(-self._number(tok, int), "int", span=self._span(meta))

    def neg_decimal_lit(self, meta: Any, _m: Token, tok: Token) -> n.Expr:
        # copy_negate keeps the written digits and sign (-0.0), as unary minus would not
        return n.Literal(self._number(tok, Decimal).copy_negate(), "decimal", span=self._span(meta))

    def _number(self, tok: Token, kind: type[int] | type[Decimal]) -> Any:
        # int() refuses more than 4300 digits; a decimal must fit a float (f64) when used.
        try:
            value = kind(str(tok))
            finite = math.isfinite(float(value))
        except (ValueError, OverflowError):
            value, finite = None, False
        if value is None or not finite:
            shown = str(tok) if len(tok) <= 24 else f"{str(tok)[:20]}…"
            raise self._invalid(self._tok_span(tok), f"数值超出范围 “{shown}”",
                                f'number out of range "{shown}"')
        return value

    def date_lit(self, meta: Any, tok: Token) -> n.Expr:
        return n.Literal(self._date(tok), "date", span=self._tok_span(tok))

    def timestamp_lit(self, meta: Any, tok: Token) -> n.Expr:
        try:
            value = dt.datetime.fromisoformat(str(tok).replace("T", " "))
        except ValueError:
            raise self._invalid(self._tok_span(tok), f"无效的时间 “{tok}”",
                                f'invalid timestamp "{tok}"') from None
        return n.Literal(value, "ts", span=self._tok_span(tok))

    def _date(self, tok: Token) -> dt.date:
        try:
            return dt.date.fromisoformat(str(tok))
        except ValueError:
            raise self._invalid(self._tok_span(tok), f"无效的日期 “{tok}”",
                                f'invalid date "{tok}"') from None

    def boolean(self, meta: Any, tok: Token) -> n.Expr:
        return n.Literal(tok.type == "TRUE", "bool", span=self._tok_span(tok))

    def null_lit(self, meta: Any, tok: Token) -> n.Expr:
        return n.Literal(None, "null", span=self._tok_span(tok))

    def list_lit(self, meta: Any, *items: Any) -> n.Expr:
        return n.ListLit(tuple(i for i in items if i is not None), span=self._span(meta))


_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            out.append(_ESCAPES.get(text[i + 1], text[i + 1]))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def split_template(raw: str, start: int, source: SourceFile) -> list[str | n.Placeholder]:
    """Split template text into literal parts and parsed ``{expr|filter}`` placeholders.

    ``{{`` and ``}}`` stand for literal braces.  ``start`` is the offset of
    ``raw`` in ``source``.
    """
    from .parser import parse_expr

    parts: list[str | n.Placeholder] = []
    buf: list[str] = []
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch in "{}" and raw[i : i + 2] in ("{{", "}}"):
            buf.append(ch)
            i += 2
            continue
        if ch == "}":
            span = Span(start + i, start + i + 1, source)
            raise _Invalid(Diagnostic.error("E0004", span, zh="模板中多余的 “}”（字面的花括号请写作 “}}”）",
                                            en='stray "}" in template (write "}}" for a literal brace)'))
        if ch != "{":
            buf.append(ch)
            i += 1
            continue
        close = raw.find("}", i + 1)
        if close < 0:
            span = Span(start + i, start + len(raw), source)
            raise _Invalid(Diagnostic.error("E0004", span, zh="模板中的 “{” 没有对应的 “}”",
                                            en='unclosed "{" in template'))
        inner = raw[i + 1 : close]
        expr_text, _, filt = inner.partition("|")
        if not expr_text.strip():
            span = Span(start + i, start + close + 1, source)
            raise _Invalid(Diagnostic.error("E0004", span, zh="模板占位符为空",
                                            en="empty placeholder in template"))
        if buf:
            parts.append("".join(buf))
            buf = []
        expr = parse_expr(expr_text, source, start + i + 1)
        filt_name = canonical_value("filter", filt.strip()) if filt.strip() else None
        parts.append(n.Placeholder(expr, filt_name, span=Span(start + i, start + close + 1, source)))
        i = close + 1
    if buf:
        parts.append("".join(buf))
    return parts


def _run(transformer: ToAst, tree: Tree[Token]) -> Any:
    try:
        return transformer.transform(tree)
    except VisitError as exc:
        orig = exc.orig_exc
        if isinstance(orig, _Invalid):
            raise ParseError((orig.diagnostic,)) from None
        if isinstance(orig, ParseError):
            raise orig from None
        if isinstance(orig, RecursionError):
            raise ParseError((_too_deep(transformer.file, tree),)) from None
        raise
    except _Invalid as exc:
        raise ParseError((exc.diagnostic,)) from None
    except RecursionError:
        raise ParseError((_too_deep(transformer.file, tree),)) from None


def _too_deep(source: SourceFile, tree: Tree[Token]) -> Diagnostic:
    """``E0006`` at the start of the most deeply nested part of ``tree`` (found without
    recursion, which is what ran out)."""
    deepest, start = -1, 0
    stack: list[tuple[Tree[Token], int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > deepest and not node.meta.empty:
            deepest, start = depth, node.meta.start_pos
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tree))
    return Diagnostic.error("E0006", Span(start, start + 1, source), zh="表达式嵌套过深",
                            en="expression nested too deeply",
                            help_zh="把深层嵌套的条件拆成几个 令/定义",
                            help_en="split the deeply nested condition into several let/define")


def to_ast(tree: Tree[Token], source: SourceFile, comments: list[Token]) -> n.Module:
    """Transform a ``module`` parse tree."""
    module: n.Module = _run(ToAst(source), tree)
    kept = tuple(
        n.Comment(str(c), span=Span(c.start_pos or 0, c.end_pos or 0, source)) for c in comments
    )
    return n.Module(module.items, kept, span=module.span)


def to_ast_expr(tree: Tree[Token], source: SourceFile, offset: int) -> n.Expr:
    """Transform an ``expr`` parse tree whose text starts at ``offset`` of ``source``."""
    result: n.Expr = _run(ToAst(source, offset), tree)
    return result
