"""Reading claim batches and knowledge bases: validation, types and hygiene."""

from __future__ import annotations

from .load import MAX_PROBLEMS as MAX_PROBLEMS
from .load import HygieneReport as HygieneReport
from .load import apply_hygiene as apply_hygiene
from .load import load_tables as load_tables
from .load import missing_tables as missing_tables
from .load import normalize_table as normalize_table
from .load import table_file as table_file

__all__ = [
    "MAX_PROBLEMS",
    "HygieneReport",
    "apply_hygiene",
    "load_tables",
    "missing_tables",
    "normalize_table",
    "table_file",
]
