"""What the checker produces: checked rules with typed IR, parameters and examples."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import attrs

from .. import ir
from ..source import Span
from ..types import DataType


@attrs.frozen
class ParamInfo:
    """A declared parameter: qualified name, type, default value (a Python value)."""

    name: str
    """Qualified name: ``GL-02.max_visits`` for a rule parameter, ``x`` for a rulebook one."""
    local: str
    dtype: DataType
    default: Any
    doc: str | None = None
    span: Span | None = attrs.field(default=None, eq=False)


@attrs.frozen
class ExampleCase:
    """One ``示例`` block, with values converted to the column types."""

    name: str | None
    title: str | None
    rows: dict[str, tuple[dict[str, Any], ...]]
    """Table (national name) → rows (national column name → value)."""
    params: dict[str, Any]
    """Local parameter name → value."""
    expect: tuple[dict[str, Any], ...]
    """Expected firings (output column → value); empty with ``预期 无``."""
    span: Span | None = attrs.field(default=None, eq=False)


@attrs.frozen
class CheckedRule:
    """A rule after checking: metadata and typed, resolved expressions."""

    id: str
    name: str
    category: str
    result_type: str
    stages: tuple[str, ...]
    level: str
    severity: str | None
    effective: tuple[dt.date | None, dt.date | None]
    enabled: bool
    source_text: str | None
    description: str | None
    bindings: tuple[tuple[str, ir.Source], ...]
    """The scope's variables and what they range over."""
    where: ir.Expr | None
    group_keys: tuple[ir.Expr, ...] | None
    """``None`` for a row rule; the group keys of a group rule."""
    when: ir.Expr
    amount: ir.Expr
    message: ir.Expr
    outputs: tuple[tuple[str, ir.Expr], ...]
    lines: ir.Expr
    params: tuple[ParamInfo, ...]
    examples: tuple[ExampleCase, ...]
    properties: tuple[tuple[str, str], ...] = ()
    """``(kind, qualified parameter)``: ``decreasing`` or ``increasing`` in the parameter."""
    span: Span | None = attrs.field(default=None, eq=False)

    @property
    def is_group(self) -> bool:
        """Whether one firing is a group of rows (``对每组``)."""
        return self.group_keys is not None

    def expressions(self) -> tuple[ir.Expr, ...]:
        """Every top-level expression of the rule."""
        exprs: list[ir.Expr] = [self.when, self.amount, self.message, self.lines]
        exprs += [e for _, e in self.outputs]
        exprs += list(self.group_keys or ())
        if self.where is not None:
            exprs.append(self.where)
        for _, src in self.bindings:
            if isinstance(src, ir.RangeSource):
                exprs += [src.low, src.high]
        return tuple(exprs)

    def tables(self) -> frozenset[str]:
        """The tables the rule reads."""
        return self._tables

    def columns(self) -> dict[str, frozenset[str]]:
        """The physical columns the rule's expressions name, by table (every table the
        rule reads is a key, possibly with no column)."""
        return self._columns

    @functools.cached_property
    def _columns(self) -> dict[str, frozenset[str]]:
        read = ir.columns_read(self.expressions())
        for table in self.tables():
            read.setdefault(table, frozenset())
        return read

    @functools.cached_property
    def _tables(self) -> frozenset[str]:
        out = {src.table for _, src in self.bindings if isinstance(src, ir.TableSource)}
        for expr in self.expressions():
            for sub in ir.walk(expr):
                if isinstance(sub, ir.Agg) and isinstance(sub.source, ir.TableSource):
                    out.add(sub.source.table)
                if isinstance(sub, ir.InCodeSet):
                    out.add("code_set")
        return frozenset(out)
