"""Parsing: rule text → :class:`ruledsl.ast.nodes.Module`."""

from __future__ import annotations

from .parser import parse as parse
from .parser import parse_expr as parse_expr
