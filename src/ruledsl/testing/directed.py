"""Rule-directed data: batches on and around a rule's boundaries.

A rule's examples already sit next to its boundaries (the spec gives a firing
case and a near-miss for each).  :func:`rule_directed_batches` starts from the
completed tables of one example and moves a few values a small step: dates and
timestamps by a day or a second, money by a cent, quantities by 0.0001 or 1,
codes to another code of the same column in the example — so that generated
data lands exactly on, just before and just after each threshold.  It is
constructive (no filtering), so hypothesis shrinks it back towards the
example itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pyarrow as pa
from hypothesis import strategies as st

from ..check.model import CheckedRule
from ..schema import SCHEMA
from .examples import complete_example

_DATE_STEPS = (-1, 1, -30, 30)
_SECOND_STEPS = (-1, 1, -3600, 3600)
_NUMBER_STEPS = (-0.01, 0.01, -0.0001, 0.0001, -1.0, 1.0)


def _step(value: Any, choice: int) -> Any:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value + dt.timedelta(seconds=_SECOND_STEPS[choice % len(_SECOND_STEPS)])
    if isinstance(value, dt.date):
        return value + dt.timedelta(days=_DATE_STEPS[choice % len(_DATE_STEPS)])
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + (1 if choice % 2 else -1)
    if isinstance(value, float):
        return round(value + _NUMBER_STEPS[choice % len(_NUMBER_STEPS)], 6)
    return value


@st.composite
def rule_directed_batches(draw: Callable[[st.SearchStrategy[Any]], Any], rule: CheckedRule,
                          max_changes: int = 3) -> tuple[dict[str, pa.Table], dict[str, pa.Table]]:
    """``(claims, kb)`` near one of ``rule``'s examples, with a few values nudged."""
    if not rule.examples:
        raise ValueError(f"rule {rule.id} has no examples to start from")
    case = rule.examples[draw(st.integers(0, len(rule.examples) - 1))]
    claims, kb = complete_example(case)
    tables = {**claims, **kb}
    cells = [(name, col, i) for name, t in tables.items() for col in t.column_names
             if t.num_rows and col not in SCHEMA.tables[name].key  # keys stay unique
             and not pa.types.is_string(t.schema.field(col).type)
             for i in range(t.num_rows)]
    changes = draw(st.integers(0, min(max_changes, len(cells))))
    edits: dict[tuple[str, str], dict[int, Any]] = {}
    for _ in range(changes):
        name, col, row = cells[draw(st.integers(0, len(cells) - 1))]
        value = edits.get((name, col), {}).get(row, tables[name].column(col)[row].as_py())
        edits.setdefault((name, col), {})[row] = _step(value, draw(st.integers(0, 5)))
    for (name, col), rows in edits.items():
        table = tables[name]
        values = table.column(col).to_pylist()
        for row, value in rows.items():
            values[row] = value
        index = table.schema.get_field_index(col)
        tables[name] = table.set_column(index, table.schema.field(col),
                                        pa.array(values, table.schema.field(col).type))
    return ({n: tables[n] for n in claims}, {n: tables[n] for n in kb})
