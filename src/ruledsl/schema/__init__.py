"""The claim schema, declared as data: tables, columns, keys and derived fields.

:data:`SCHEMA` is the data contract with the derived fields of
:mod:`ruledsl.schema.derived` attached; the checker resolves every name
against it.
"""

from __future__ import annotations

import attrs

from .contract import OUTPUT_COLUMNS as OUTPUT_COLUMNS
from .contract import TABLES as _CONTRACT_TABLES
from .derived import DEFAULT_OUTPUTS as DEFAULT_OUTPUTS
from .derived import derived_fields
from .model import Column as Column
from .model import Derived as Derived
from .model import Table as Table


@attrs.frozen
class Schema:
    """Tables by national name, with lookup by any name."""

    tables: dict[str, Table]

    def table(self, name: str) -> Table | None:
        """The table called ``name`` (national name, Chinese label or alias)."""
        for table in self.tables.values():
            if name in (table.name, table.label, *table.aliases):
                return table
        return None

    def names(self) -> list[str]:
        """Every accepted table name (for suggestions)."""
        return [n for t in self.tables.values() for n in (t.name, t.label, *t.aliases)]


SCHEMA = Schema(
    {name: attrs.evolve(t, derived=derived_fields(name)) for name, t in _CONTRACT_TABLES.items()}
)
"""The data contract with its derived fields."""


def output_column(name: str) -> Column | None:
    """The violations-table column called ``name`` (national name or Chinese label)."""
    for col in OUTPUT_COLUMNS:
        if name in (col.name, col.label):
            return col
    return None
