"""Schema model: the shape of the tables a rulebook reads.

The schema is data, not code: :mod:`ruledsl.schema.contract` declares the
tables of ``data-contract.md`` with these classes, each column with its
national interface name, its Chinese label and its type.  Derived fields
(``fee_date``, ``los_days``, navigation such as ``fee.service``) are written in
the rule language itself and parsed when the schema is built, so both
executions (the reference interpreter and the vectorised plan) treat them like
any other expression.
"""

from __future__ import annotations

import attrs

from ..types import DataType


@attrs.frozen
class Column:
    """A physical column of a table."""

    name: str
    """National interface name, e.g. ``med_list_codg``."""
    label: str
    """Chinese label, e.g. ``医疗目录编码``; usable in rules as an alias."""
    dtype: DataType
    nullable: bool = False
    """Whether the contract marks the column ``null``.  Loading accepts nulls
    everywhere (see the loader); this flag documents the contract."""
    doc: str = ""


@attrs.frozen
class Derived:
    """A derived field, defined by an expression in the rule language.

    ``expr`` refers to the row itself by the table's name (``fee.cnt``).
    """

    name: str
    label: str
    expr: str
    doc: str = ""


@attrs.frozen
class Table:
    """A claim or knowledge-base table."""

    name: str
    """File stem and English name, e.g. ``fee``."""
    label: str
    """Chinese name, e.g. ``明细``."""
    kind: str
    """``claims`` or ``kb``."""
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    """Columns that identify a row; duplicates are a load error."""
    optional: bool = False
    """An optional table may be absent; rules that need it are not evaluable."""
    order: tuple[str, ...] = ()
    """The table's natural order (``早于`` / ``first`` / ``last``), key last."""
    derived: tuple[Derived, ...] = ()
    aliases: tuple[str, ...] = ()
    """Further accepted names (e.g. ``费用明细`` for ``明细``)."""
    doc: str = ""

    @property
    def natural_order(self) -> tuple[str, ...]:
        """The columns of the natural order: ``order``, else the key, else every column.

        Rows equal on these columns keep their input order (both engines), so
        output never depends on it for tables with an order or a key.
        """
        return self.order or self.key or tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column | None:
        """The physical column called ``name`` (national name or label)."""
        for col in self.columns:
            if name in (col.name, col.label):
                return col
        return None
