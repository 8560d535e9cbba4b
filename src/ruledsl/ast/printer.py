"""AST → canonical rule text in one keyword language (``zh`` or ``en``).

:func:`to_source` is the formatter behind ``ruledsl fmt``.  Its output is
*canonical*: 4-space indentation, one clause per line, each example row on
its own line(s), the first spelling of every keyword and builtin in the chosen
language, minimal parentheses from operator precedence (with two exceptions for
readers: an ``且`` operand of ``或`` keeps its parentheses, ``(a 且 b) 或 c``, and
so does a comparison under ``非``, ``非 (a 在 S)``).  For every
tree the parser can produce, ``parse(to_source(m, lang)) == m`` (spans aside)
and ``to_source`` is idempotent.

Layout:

* a blank line separates top-level items, except that runs of parameter,
  override, disable, include, extends and define lines of one kind stay
  together (a parameter file reads as a table); elsewhere a single blank line
  the source had between items, clauses, example rows or comments is kept;
* a line wider than :data:`WIDTH` columns (CJK characters count two) is broken
  before ``且``/``或``, before ``排序`` in an aggregate, before ``按`` in a group
  scope, and after the commas of lists and ``输出``: the outermost of these
  first, all of one level at once, deeper levels only where a line is still too
  wide; continuation lines are indented four spaces more than the clause, and
  four more for each further level;
  template placeholders are never broken;
* an example row wider than :data:`WIDTH` is filled: as many cells per line as
  fit, continuation lines four spaces deeper;
* a ``情形`` that is a whole clause (``令``, ``定义``, ``违规金额`` …) with several
  branches gets one line per branch;
* comments are kept: a comment that trailed an item, clause or example row on
  its last line stays at the end of that line; every other comment goes on its
  own line before the first item, clause or row that starts after it (or
  before the closing ``}``, or at the end of the file).

Example:
    >>> from ruledsl.syntax.parser import parse
    >>> m = parse('规则 R-1 "示例" { 对每条 明细 x 当 x.数量 > 0 且 非 (x.a 或 x.b)  # 注 \\n }')
    >>> print(to_source(m, "en"), end="")
    rule R-1 "示例" {
        for each 明细 x
        when x.数量 > 0 and not (x.a or x.b)  # 注
    }
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Callable, Sequence

import attrs

from ..diagnostics.render import display_width
from ..syntax.keywords import spell, spell_unit
from ..syntax.vocab import spell_function, spell_value
from . import nodes as n
from .visitor import walk

WIDTH = 100
"""Display width above which a line is broken (where it can be)."""

INDENT = "    "

# Binding strength, loosest first (grammar: expr > or > and > not > comparison > sum > product
# > unary > postfix > atom).
_IF, _OR, _AND, _NOT, _CMP, _SUM, _PRODUCT, _UNARY, _POSTFIX, _ATOM = range(10)
_BINARY_PREC = {"or": _OR, "and": _AND, "+": _SUM, "-": _SUM, "*": _PRODUCT, "/": _PRODUCT}
_COMPARISONS = {"=": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_COMPARISON_NODES = (n.InList, n.Between, n.IsNull, n.Before, n.InCodeSet, n.InCodeRange)
_BOOL_OPS = ("and", "or")
_GROUPED = (n.ParamDecl, n.Override, n.Disable, n.Include, n.Extends, n.Define)
_WORD = re.compile(r"[^\W\d]\w*")
_LAST_WORD = re.compile(r"[^\W\d]\w*$")
_BLANK_LINE = re.compile(r"\n[ \t\r\f\u3000]*\n")


def to_source(module: n.Module, lang: str = "zh") -> str:
    """Print ``module`` as canonical rule text with keywords in ``lang`` (``zh`` or ``en``).

    Args:
        module: A parsed (or built) module; its comments are re-emitted.
        lang: Keyword language of the output.

    Returns:
        The text, ending in a newline (empty for an empty module).

    Example:
        >>> from ruledsl.syntax.parser import parse
        >>> print(to_source(parse("参数 上限: 整数 = 3 # 次"), "en"), end="")
        param 上限: int = 3  # 次
    """
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', not {lang!r}")
    source = module.span.source
    printer = _Printer(lang, module.comments, source.text if source else None, _mark(module))
    return printer.module(module)


def expr_to_source(expr: n.Expr, lang: str = "zh") -> str:
    """Print one expression.

    Example:
        >>> from ruledsl.syntax.parser import parse
        >>> rule = parse('规则 R "r" { 当 a - (b - c) * 2 介于 1 与 参数.上限 }').items[0]
        >>> expr_to_source(rule.clauses[0].cond, "en")
        'a - (b - c) * 2 between 1 and param.上限'
    """
    printer = _Printer(lang, (), None, None)
    return printer.strip(printer.expr(expr))


def quote(text: str, braces: bool = False) -> str:
    """``text`` as a ``"…"`` string literal; ``braces`` doubles ``{``/``}`` (template text).

    Example:
        >>> print(quote('说 "是"\\n{x}', braces=True))
        "说 \\"是\\"\\n{{x}}"
    """
    out = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    if braces:
        out = out.replace("{", "{{").replace("}", "}}")
    return f'"{out}"'


def format_decimal(value: float | decimal.Decimal) -> str:
    """A decimal literal that reads back as the same value (never in exponent form).

    A :class:`decimal.Decimal` keeps its written digits (``80.00``).

    Example:
        >>> format_decimal(80.0), format_decimal(0.005), format_decimal(1e-7), format_decimal(2e16)
        ('80.0', '0.005', '0.0000001', '20000000000000000.0')
        >>> format_decimal(decimal.Decimal("80.00"))
        '80.00'
    """
    if isinstance(value, decimal.Decimal):
        text = format(value, "f")
    else:
        text = repr(float(value))
        if "e" in text or "E" in text:
            text = format(decimal.Decimal(text), "f")
    if "." not in text and text.lstrip("-").isdigit():
        text += ".0"
    return text


class _Printer:
    """Prints one module; holds the comments not yet emitted."""

    def __init__(
        self, lang: str, comments: Sequence[n.Comment], text: str | None, mark: str | None
    ) -> None:
        self.lang = lang
        self.pending = sorted(comments, key=lambda c: c.span.start)
        self.lines: list[str] = []
        self.text = text  # the parsed source, to keep deliberate blank lines
        self.last: int | None = None  # end offset of the last element printed in this block
        # Line breaks: expressions are printed with "<mark><depth><mark>" after the space where a
        # line may break (before 且/或/排序, after a list comma); ``fit`` breaks or removes them.
        # ``mark`` is a private-use character that occurs in no name or string of the module.
        self.mark = mark
        self.breaks = re.compile(f"{mark}(\\d+){mark}") if mark else None
        self.depth = 0  # brackets around the expression being printed
        self.flat = False  # inside a template placeholder: never break

    # ------------------------------------------------------------- words --
    def kw(self, terminal: str) -> str:
        return spell(terminal, self.lang)

    def value(self, kind: str, word: str) -> str:
        return spell_value(kind, word, self.lang)

    # ------------------------------------------------------- line breaks --
    def brk(self) -> str:
        """A possible line break at the current depth (goes right after a space)."""
        if self.mark is None or self.flat:
            return ""
        return f"{self.mark}{self.depth}{self.mark}"

    def strip(self, text: str) -> str:
        """``text`` with its possible line breaks removed."""
        return self.breaks.sub("", text) if self.breaks else text

    def fit(self, head: str, text: str, indent: str, level: int = 1) -> list[str]:
        """``head + text`` as lines no wider than :data:`WIDTH` where possible.

        The outermost possible breaks are taken first, all of them at once;
        lines still too wide are broken at their next level.  Continuation
        lines are indented four spaces more than ``indent`` per ``level``.
        """
        line = head + text
        found = [int(d) for d in self.breaks.findall(text)] if self.breaks else []
        if not found or display_width(self.strip(line)) <= WIDTH:
            return [self.strip(line)]
        depth = min(found)
        pieces = text.split(f" {self.mark}{depth}{self.mark}")
        cont = indent + INDENT * level
        lines = self.fit(head, pieces[0], indent, level + 1)
        for piece in pieces[1:]:
            lines.extend(self.fit(cont, piece, indent, level + 1))
        return lines

    def nested(self, print_: Callable[[], str]) -> str:
        """Run ``print_`` one bracket deeper."""
        self.depth += 1
        try:
            return print_()
        finally:
            self.depth -= 1

    # ---------------------------------------------------------- comments --
    def leading(self, before: int, indent: str, then_blank: bool = True) -> None:
        """Emit, on their own lines, the comments that start before offset ``before``.

        A blank line the source had before a comment is kept, and (with
        ``then_blank``) one between the last comment and the node at ``before``.
        """
        emitted = False
        while self.pending and self.pending[0].span.start < before:
            c = self.pending.pop(0)
            if self.lines and self.lines[-1] and self.blank(self.last, c.span.start):
                self.lines.append("")
            self.lines.append(indent + c.text.rstrip())
            self.last, emitted = max(self.last or 0, c.span.end), True
        if emitted and then_blank and self.lines[-1] and self.blank(self.last, before):
            self.lines.append("")

    def blank(self, start: int | None, end: int) -> bool:
        """Did the source have an empty line between offsets ``start`` and ``end``?"""
        if self.text is None or start is None:
            return False
        return _BLANK_LINE.search(self.text, start, end) is not None

    def separate(self, node: n.Node, always: bool) -> None:
        """Blank line before ``node`` if ``always`` or if the source had one there."""
        first = node.span.start
        if self.pending and self.pending[0].span.start < first:
            first = self.pending[0].span.start
        if self.lines and self.lines[-1] and (always or self.blank(self.last, first)):
            self.lines.append("")

    def trailing(self, end: int, limit: int | None) -> None:
        """Append the next comment to the last line if it trailed the node ending at ``end``."""
        if not self.pending:
            return
        c = self.pending[0]
        source = c.span.source
        if source is None or c.span.start < end or (limit is not None and c.span.start >= limit):
            return
        if "\n" in source.text[end : c.span.start]:
            return
        self.pending.pop(0)
        self.lines[-1] += "  " + c.text.rstrip()

    # ------------------------------------------------------------ module --
    def module(self, module: n.Module) -> str:
        items = module.items
        for i, item in enumerate(items):
            if i:
                grouped = type(item) is type(items[i - 1]) and isinstance(item, _GROUPED)
                self.separate(item, always=not grouped)
            self.leading(item.span.start, "")
            self.item(item)
            limit = items[i + 1].span.start if i + 1 < len(items) else None
            self.trailing(item.span.end, limit)
            self.last = item.span.end
        self.leading(2**62, "", then_blank=False)
        return "".join(self.strip(line).rstrip() + "\n" for line in self.lines)

    def item(self, item: n.Decl) -> None:
        if isinstance(item, n.Rule):
            self.rule(item)
        elif isinstance(item, n.RulebookHeader):
            title = f" {quote(item.title)}" if item.title is not None else ""
            self.lines.append(f"{self.kw('RULEBOOK')} {item.name}{title}")
        elif isinstance(item, n.Include):
            self.lines.append(f"{self.kw('INCLUDE')} {quote(item.path)}")
        elif isinstance(item, n.Extends):
            self.lines.append(f"{self.kw('EXTENDS')} {quote(item.path)}")
        elif isinstance(item, n.Override):
            path = f"{item.rule_id}.{item.name}" if item.rule_id is not None else item.name
            self.lines.append(
                f"{self.kw('OVERRIDE')} {self.kw('PARAM')} {path} = {self.const(item.value)}"
            )
        elif isinstance(item, n.Disable):
            self.lines.append(f"{self.kw('DISABLE')} {self.kw('RULE')} {item.rule_id}")
        else:
            self.lines.extend(self.clause(item, ""))

    def rule(self, rule: n.Rule) -> None:
        self.lines.append(f"{self.kw('RULE')} {rule.id} {quote(rule.name)} {{")
        self.block(rule.clauses, rule.span.end, INDENT, self.clause_into)
        self.lines.append("}")

    def block(
        self,
        children: Sequence[n.Node],
        close: int,
        indent: str,
        emit: Callable[[n.Node, str], None],
    ) -> None:
        """Print ``children`` one per line (with their comments) up to the ``}`` at ``close``.

        Blank lines between children are kept where the source had them.
        """
        self.last = None
        for i, child in enumerate(children):
            if i:
                self.separate(child, always=False)
            self.leading(child.span.start, indent)
            emit(child, indent)
            limit = children[i + 1].span.start if i + 1 < len(children) else close
            self.trailing(child.span.end, limit)
            self.last = child.span.end
        self.leading(close, indent, then_blank=False)

    # ----------------------------------------------------------- clauses --
    def clause_into(self, clause: n.Node, indent: str) -> None:
        if isinstance(clause, n.Example):
            self.example(clause, indent)
        else:
            self.lines.extend(self.clause(clause, indent))  # type: ignore[arg-type]

    def clause(self, c: n.Decl, indent: str) -> list[str]:
        """The line(s) of a one-line clause or a top-level declaration."""
        kw = self.kw
        if isinstance(c, n.WhenClause):
            return self.layout(f"{indent}{kw('WHEN')} ", c.cond, indent)
        if isinstance(c, n.Category):
            text = f"{kw('CATEGORY')} {c.value}"
        elif isinstance(c, n.ResultType):
            text = f"{kw('RESULT')} {self.value('result', c.value)}"
        elif isinstance(c, n.Stages):
            text = f"{kw('STAGES')} " + ", ".join(self.value("stage", s) for s in c.values)
        elif isinstance(c, n.Level):
            text = f"{kw('LEVEL')} {self.value('level', c.value)}"
        elif isinstance(c, n.Severity):
            text = f"{kw('SEVERITY')} {self.value('severity', c.value)}"
        elif isinstance(c, n.Effective):
            parts = [kw("EFFECTIVE")]
            if c.start is not None:
                parts.append(c.start.isoformat())
            parts.append(kw("TO"))
            if c.end is not None:
                parts.append(c.end.isoformat())
            text = " ".join(parts)
        elif isinstance(c, n.Enabled):
            text = f"{kw('ENABLED')} {kw('TRUE' if c.value else 'FALSE')}"
        elif isinstance(c, n.SourceText):
            text = f"{kw('SOURCE')} {quote(c.text)}"
        elif isinstance(c, n.Description):
            text = f"{kw('DESCRIPTION')} {quote(c.text)}"
        elif isinstance(c, n.ParamDecl):
            doc = f" {quote(c.doc)}" if c.doc is not None else ""
            text = f"{kw('PARAM')} {c.name}: {self.type_ref(c.type)} = {self.const(c.default)}{doc}"
        elif isinstance(c, n.Define):
            head = f"{kw('DEFINE')} {c.name}({', '.join(c.params)}) = "
            return self.layout(indent + head, c.body, indent)
        elif isinstance(c, n.Scope):
            text = self.scope(c)
        elif isinstance(c, n.Let):
            return self.layout(f"{indent}{kw('LET')} {c.name} = ", c.expr, indent)
        elif isinstance(c, n.Amount):
            return self.layout(f"{indent}{kw('AMOUNT')} ", c.expr, indent)
        elif isinstance(c, n.Message):
            text = f"{kw('MESSAGE')} {self.expr(c.template)}"
        elif isinstance(c, n.Output):
            assigns = f", {self.brk()}".join(
                f"{a.column} = {self.expr(a.expr)}" for a in c.assignments
            )
            text = f"{kw('OUTPUT')} {assigns}"
        elif isinstance(c, n.Lines):
            return self.layout(f"{indent}{kw('LINES')} ", c.expr, indent)
        elif type(c).__name__ == "Property":  # 性质 递减(参数.x); newer than this printer
            kind, param = getattr(c, "kind"), getattr(c, "param")  # noqa: B009
            text = f"{kw('PROPERTY')} {self.value('property', kind)}({self.expr(param)})"
        else:
            raise TypeError(f"cannot print {type(c).__name__} as a clause")
        return self.fit(indent, text, indent)

    def layout(self, head: str, e: n.Expr, indent: str) -> list[str]:
        """``head e`` on one line, or on several (see :meth:`fit`).

        A ``情形`` with several branches, or too wide, gets one line per branch.
        """
        kw, inner = self.kw, indent + INDENT
        text = self.expr(e)
        if isinstance(e, n.Case) and (
            len(e.whens) > 1 or display_width(self.strip(head + text)) > WIDTH
        ):
            lines = [head + kw("CASE")]
            for w in e.whens:
                branch = f"{self.expr(w.cond)} {kw('THEN')} {self.expr(w.value)}"
                lines.extend(self.fit(f"{inner}{kw('WHEN')} ", branch, inner))
            lines.extend(self.fit(f"{inner}{kw('ELSE')} ", self.expr(e.else_), inner))
            return [*lines, indent + kw("END")]
        return self.fit(head, text, indent)

    def scope(self, c: n.Scope) -> str:
        bindings = ", ".join(self.binding(b) for b in c.bindings)
        if c.group_by is None:
            text = f"{self.kw('FOREACH')} {bindings}"
        else:
            text = f"{self.kw('FOREACHGROUP')} {bindings}"
        if c.where is not None:
            where = self.expr(c.where)
            if c.group_by is not None and self._glues(where, last=True, words=("order",)):
                where = f"({where})"  # en: "… x.order by k" would lex as ORDER BY
            text += f" {self.kw('WHERE')} {where}"
        if c.group_by is not None:
            keys = ", ".join(
                self.expr(k.expr) + (f" {self.kw('AS')} {k.name}" if k.name is not None else "")
                for k in c.group_by
            )
            text += f" {self.brk()}{self.kw('BY')} {keys}"
        return text

    def binding(self, b: n.Binding) -> str:
        return f"{self.expr(b.source, _POSTFIX)} {b.alias}"

    def type_ref(self, t: n.TypeRef) -> str:
        arg = f"<{self.value('type', t.arg)}>" if t.arg is not None else ""
        return self.value("type", t.name) + arg

    def example(self, ex: n.Example, indent: str) -> None:
        head = [self.kw("EXAMPLE")]
        if ex.name is not None:
            head.append(ex.name)
        if ex.title is not None:
            head.append(quote(ex.title))
        self.lines.append(f"{indent}{' '.join(head)} {{")
        self.block(ex.items, ex.span.end, indent + INDENT, self.example_item)
        self.lines.append(indent + "}")

    def example_item(self, item: n.Node, indent: str) -> None:
        if isinstance(item, n.ExpectNone):
            self.lines.append(f"{indent}{self.kw('EXPECT')} {self.kw('NONE')}")
            return
        if isinstance(item, n.ExampleRow):
            head = item.table
        elif isinstance(item, n.ExampleParams):
            head = self.kw("PARAM")
        elif isinstance(item, n.Expect):
            head = self.kw("EXPECT")
        else:
            raise TypeError(f"cannot print {type(item).__name__} in an example")
        cells = [self.strip(f"{f.name}={self.const(f.value)}") for f in item.fields]
        self.lines.extend(self.fill(f"{indent}{head}(", cells, ")", indent + INDENT))

    @staticmethod
    def fill(head: str, parts: list[str], tail: str, cont: str) -> list[str]:
        """``head`` + ``parts`` joined by ``, `` + ``tail``, filling lines up to :data:`WIDTH`
        columns and continuing on lines that start with ``cont``."""
        lines, line = [], head
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            piece = part + (tail if last else ",")
            if line not in (head, cont) and display_width(f"{line} {piece}") > WIDTH:
                lines.append(line)
                line = cont
            line += piece if line in (head, cont) else f" {piece}"
        if not parts:
            line += tail
        lines.append(line)
        return lines

    # ------------------------------------------------------- expressions --
    def const(self, e: n.Expr) -> str:
        """A constant: a literal (negative numbers allowed) or a list of constants."""
        if isinstance(e, n.ListLit):
            return self.list_(e.items)
        return self.expr(e)

    def list_(self, items: Sequence[n.Expr]) -> str:
        return "[" + self.nested(lambda: f", {self.brk()}".join(self.const(i) for i in items)) + "]"

    def expr(self, e: n.Expr, min_prec: int = _IF) -> str:
        """``e`` printed, in parentheses if it binds looser than ``min_prec``."""
        if _prec(e) < min_prec:
            return f"({self.nested(lambda: self._expr(e))})"
        return self._expr(e)

    def _expr(self, e: n.Expr) -> str:  # noqa: C901 - one branch per node class
        kw = self.kw
        if isinstance(e, n.Literal):
            return self.literal(e)
        if isinstance(e, n.Name):
            return e.id
        if isinstance(e, n.Attribute):
            return f"{self.expr(e.obj, _POSTFIX)}.{e.name}"
        if isinstance(e, n.ParamRef):
            return f"{kw('PARAM')}.{e.name}"
        if isinstance(e, n.Binary):
            if e.op in _COMPARISONS or e.op == "same":
                left, right = self.expr(e.left, _SUM), self.expr(e.right, _SUM)
                op = kw("SAME") if e.op == "same" else _COMPARISONS[e.op]
                return f"{left} {op} {right}"
            prec = _BINARY_PREC[e.op]
            op = kw(e.op.upper()) if e.op in ("and", "or") else e.op
            if e.op == "or":  # not minimal, but "a 且 b 或 c" misleads readers: (a 且 b) 或 c
                left = self.expr(e.left, _or_side(e.left))
                return f"{left} {self.brk()}{op} {self.expr(e.right, _NOT)}"
            brk = self.brk() if e.op == "and" else ""
            return f"{self.expr(e.left, prec)} {brk}{op} {self.expr(e.right, prec + 1)}"
        if isinstance(e, n.Unary):
            if e.op == "neg":
                return "-" + self.expr(e.operand, _UNARY)
            if _is_not_exists(e):
                assert isinstance(e.operand, n.Comprehension)
                body = e.operand
                return f"{kw('NOTEXISTS')}({self.nested(lambda: self.comprehension_body(body))})"
            # not minimal either: "非 a 在 S" reads as "(非 a) 在 S"; a comparison keeps its ()
            operand = self.expr(e.operand, _CMP + 1 if _prec(e.operand) == _CMP else _NOT)
            if self._glues(operand, words=("exists",)):
                operand = f"({operand})"  # en: "not exists" is one keyword
            return f"{kw('NOT')} {operand}"
        if isinstance(e, n.InList):
            items = self.expr(e.items, _SUM)
            if not e.negated and self._glues(items, words=("code_set", "code_range")):
                items = f"({items})"  # en: "in code_set" is one keyword
            return f"{self.expr(e.operand, _SUM)} {kw('NOTIN' if e.negated else 'IN')} {items}"
        if isinstance(e, n.Between):
            and_ = "与" if self.lang == "zh" else kw("AND")
            return (
                f"{self.expr(e.operand, _SUM)} {kw('BETWEEN')} {self.expr(e.low, _SUM)} "
                f"{and_} {self.expr(e.high, _SUM)}"
            )
        if isinstance(e, n.IsNull):
            return f"{self.expr(e.operand, _SUM)} {kw('ISNOTNULL' if e.negated else 'ISNULL')}"
        if isinstance(e, n.Before):
            op = kw("AFTER" if e.after else "BEFORE")
            return f"{self.expr(e.left, _SUM)} {op} {self.expr(e.right, _SUM)}"
        if isinstance(e, n.InCodeSet):
            return f"{self.expr(e.operand, _SUM)} {kw('INCODESET')} {self.expr(e.set_id, _SUM)}"
        if isinstance(e, n.InCodeRange):
            return (
                f"{self.expr(e.operand, _SUM)} {kw('INCODERANGE')} {self.expr(e.low, _SUM)} "
                f"{kw('TO')} {self.expr(e.high, _SUM)}"
            )
        if isinstance(e, n.Duration):
            return f"{self.expr(e.value, _POSTFIX)} {spell_unit(e.unit, self.lang)}"
        if isinstance(e, n.If | n.Case | n.Call | n.Comprehension | n.GroupAgg):
            return self.nested(lambda: self._bracketed(e))
        if isinstance(e, n.ListExpr | n.ListLit):
            return self.list_(e.items)
        if isinstance(e, n.Template):
            return self.template(e)
        raise TypeError(f"cannot print {type(e).__name__} as an expression")

    def _bracketed(self, e: n.Expr) -> str:
        """Expressions whose parts are one level deeper for line breaking."""
        kw = self.kw
        if isinstance(e, n.If):
            return (
                f"{kw('IF')} {self.expr(e.cond)} {kw('THEN')} {self.expr(e.then)} "
                f"{kw('ELSE')} {self.expr(e.else_)}"
            )
        if isinstance(e, n.Case):
            whens = " ".join(
                f"{kw('WHEN')} {self.expr(w.cond)} {kw('THEN')} {self.expr(w.value)}"
                for w in e.whens
            )
            return f"{kw('CASE')} {whens} {kw('ELSE')} {self.expr(e.else_)} {kw('END')}"
        if isinstance(e, n.Call):
            args = ", ".join(self.expr(a) for a in e.args)
            return f"{spell_function(e.func, self.lang)}({args})"
        if isinstance(e, n.Comprehension):
            return f"{spell_function(e.func, self.lang)}({self.comprehension_body(e)})"
        assert isinstance(e, n.GroupAgg)
        parts = [] if e.value is None else [self.expr(e.value)]
        if e.where is not None:
            parts += [kw("WHERE"), self.expr(e.where)]
        return f"{spell_function(e.func, self.lang)}({' '.join(parts)})"

    def comprehension_body(self, e: n.Comprehension) -> str:
        parts = []
        if e.value is not None:
            parts += [self.expr(e.value), self.kw("FOR")]
        parts.append(self.binding(e.binding))
        if e.where is not None:
            parts += [self.kw("WHERE"), self.expr(e.where)]
        if e.order:
            keys = ", ".join(
                self.expr(k.expr) + (f" {self.kw('DESC')}" if k.descending else "") for k in e.order
            )
            parts += [self.brk() + self.kw("ORDERBY"), keys]
        return " ".join(parts)

    def literal(self, e: n.Literal) -> str:
        v = e.value
        if e.kind == "str":
            return quote(str(v), braces=True)
        if e.kind == "int":
            return str(int(v))  # type: ignore[call-overload]
        if e.kind == "decimal":
            return format_decimal(v)  # type: ignore[arg-type]
        if e.kind == "ts":
            assert isinstance(v, dt.datetime)
            return v.isoformat(sep=" ", timespec="seconds")
        if e.kind == "date":
            assert isinstance(v, dt.date)
            return v.isoformat()
        if e.kind == "bool":
            return self.kw("TRUE" if v else "FALSE")
        if e.kind == "null":
            return self.kw("NULL")
        raise ValueError(f"unknown literal kind {e.kind!r}")

    def template(self, t: n.Template) -> str:
        # A placeholder holding a string needs the “…” quotes (no escapes inside them).
        curly = any(_has_string(p.expr) for p in t.parts if isinstance(p, n.Placeholder))
        out = []
        for part in t.parts:
            if isinstance(part, str):
                out.append(
                    part.replace("{", "{{").replace("}", "}}") if curly else quote(part, True)[1:-1]
                )
            else:
                filt = f"|{self.value('filter', part.filter)}" if part.filter is not None else ""
                flat, self.flat = self.flat, True
                try:
                    out.append(f"{{{self.expr(part.expr)}{filt}}}")
                finally:
                    self.flat = flat
        body = "".join(out)
        return f"“{body}”" if curly else f'"{body}"'

    def _glues(self, text: str, words: tuple[str, ...], last: bool = False) -> bool:
        """In English, does the first (or last) word of ``text`` fuse with a keyword next to it?"""
        if self.lang != "en":
            return False
        found = (_LAST_WORD.search if last else _WORD.match)(self.strip(text))
        return found is not None and found.group().lower() in words


def _mark(node: n.Node) -> str | None:
    """A private-use character that occurs in no string of ``node`` (the line-break marker)."""
    used: set[str] = set()
    for x in walk(node):
        for value in attrs.asdict(x, recurse=False).values():
            for v in value if isinstance(value, tuple) else (value,):
                if isinstance(v, str):
                    used.update(v)
    return next((chr(c) for c in range(0xE000, 0xF900) if chr(c) not in used), None)


def _or_side(e: n.Expr) -> int:
    """Minimum binding strength of the left operand of ``或``: ``且`` gets parentheses."""
    return _NOT if isinstance(e, n.Binary) and e.op == "and" else _OR


def _is_not_exists(e: n.Expr) -> bool:
    return (
        isinstance(e, n.Unary)
        and e.op == "not"
        and isinstance(e.operand, n.Comprehension)
        and e.operand.func == "exists"
    )


def _has_string(e: n.Node) -> bool:
    return any(
        isinstance(x, n.Template) or (isinstance(x, n.Literal) and x.kind == "str") for x in walk(e)
    )


def _prec(e: n.Expr) -> int:
    """How tightly ``e``'s printed form binds (see the constants above)."""
    if isinstance(e, n.If):
        return _IF
    if isinstance(e, n.Binary):
        return _BINARY_PREC.get(e.op, _CMP)
    if isinstance(e, n.Unary):
        if e.op == "neg":
            return _UNARY
        return _ATOM if _is_not_exists(e) else _NOT
    if isinstance(e, _COMPARISON_NODES):
        return _CMP
    if isinstance(e, n.Attribute | n.Duration):
        return _POSTFIX
    if isinstance(e, n.Literal) and e.kind in ("int", "decimal") and e.value < 0:  # type: ignore[operator]
        return _UNARY
    return _ATOM
