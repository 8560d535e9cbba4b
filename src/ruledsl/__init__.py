"""ruledsl: medical-insurance audit rules as a checked language, run as vectorised plans.

The public API::

    import ruledsl
    book = ruledsl.load_rulebook("rulebooks/ningxia")      # parse + check every file
    plan = book.compile()                                   # or ruledsl.compile(book)
    violations = plan.run("claims/", "kb/")                 # folders or dicts of Arrow tables

    ruledsl.parse(text)     # the syntax tree of one file (raises ParseError)
    ruledsl.check(text)     # a checked rulebook from rule text (raises CheckError)

Every error is a :class:`RuleDslError`; parse, check and data errors carry
``.diagnostics`` with file, line and column.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .check.model import CheckedRule as CheckedRule
from .data.build import make_table as make_table
from .diagnostics.model import Diagnostic as Diagnostic
from .errors import CheckError as CheckError
from .errors import DataError as DataError
from .errors import ExecutionError as ExecutionError
from .errors import ParseError as ParseError
from .errors import RuleDslError as RuleDslError
from .execute.compiled import CompiledRulebook as CompiledRulebook
from .rulebook import Rulebook as Rulebook
from .rulebook import load_rulebook as load_rulebook
from .rulebook import load_text as check
from .syntax.parser import parse as parse

__version__ = "0.1.0"

__all__ = [
    "CheckError", "CheckedRule", "CompiledRulebook", "DataError", "Diagnostic", "ExecutionError",
    "ParseError", "RuleDslError", "Rulebook", "check", "compile", "load_rulebook", "make_table",
    "parse",
]


def compile(rulebook: Rulebook | str | Path, **options: Any) -> CompiledRulebook:  # noqa: A001
    """Compile a rulebook (or the rulebook folder at a path) into one vectorised plan."""
    book = rulebook if isinstance(rulebook, Rulebook) else load_rulebook(rulebook)
    return CompiledRulebook(book, **options)
