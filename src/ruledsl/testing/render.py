"""Counterexamples as ready-to-paste example blocks (``示例 … { … 预期 … }``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from ..schema import SCHEMA

_SHOWN = ("rule_id", "feedetl_sn", "mdtrt_id", "setl_id", "psn_no", "fixmedins_code", "dr_codg",
          "item_code", "period_start", "period_end", "vola_amt", "lines")


def literal(value: Any) -> str:
    """A constant as rule text."""
    if value is None:
        return "空"
    if isinstance(value, bool):
        return "真" if value else "假"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value) if "e" not in repr(value) else f"{value:.6f}"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def example_block(name: str, claims: Mapping[str, pa.Table], kb: Mapping[str, pa.Table],
                  expected: pa.Table | None, title: str = "反例") -> str:
    """An example block holding every non-null value of the tables, and the expected firings.

    Example:
        >>> from ruledsl.data.build import make_table
        >>> fee = make_table("fee", {"feedetl_sn": ["F1"], "cnt": [2.0]})
        >>> print(example_block("反例", {"fee": fee}, {}, None))
        示例 反例 "反例" {
            明细(feedetl_sn="F1", cnt=2.0)
            预期 无
        }
    """
    lines = [f'示例 {name} "{title}" {{']
    for source in (claims, kb):
        for table_name, table in source.items():
            label = SCHEMA.tables[table_name].label
            for row in table.to_pylist():
                cells = ", ".join(f"{k}={literal(v)}" for k, v in row.items() if v is not None)
                if cells:
                    lines.append(f"    {label}({cells})")
    firings = expected.to_pylist() if expected is not None else []
    if not firings:
        lines.append("    预期 无")
    for firing in firings:
        cells = ", ".join(f"{k}={literal(firing[k])}" for k in _SHOWN[1:]
                          if firing.get(k) is not None and firing.get(k) != [])
        lines.append(f"    预期({cells})")
    lines.append("}")
    return "\n".join(lines)
