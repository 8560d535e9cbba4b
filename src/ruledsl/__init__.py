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

from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import CheckError as CheckError
from .errors import DataError as DataError
from .errors import ExecutionError as ExecutionError
from .errors import ParseError as ParseError
from .errors import RuleDslError as RuleDslError

# ``ruledsl.check`` is the function below (``rulebook.load_text``), not the subpackage of that
# name: the subpackage is imported now, so that importing it later cannot rebind the name
import_module(".check", __name__)
globals().pop("check", None)

if TYPE_CHECKING:
    from .check.model import CheckedRule as CheckedRule
    from .data.build import make_table as make_table
    from .diagnostics.model import Diagnostic as Diagnostic
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

_LAZY = {
    "CheckedRule": (".check.model", "CheckedRule"),
    "make_table": (".data.build", "make_table"),
    "Diagnostic": (".diagnostics.model", "Diagnostic"),
    "CompiledRulebook": (".execute.compiled", "CompiledRulebook"),
    "Rulebook": (".rulebook", "Rulebook"),
    "load_rulebook": (".rulebook", "load_rulebook"),
    "check": (".rulebook", "load_text"),
    "parse": (".syntax.parser", "parse"),
}
"""Exported names imported on first use: ``import ruledsl`` (and so ``ruledsl run``) loads
no numpy or pyarrow, whose imports start threads; ``ruledsl run`` sets the C heap up
before any thread exists (:func:`ruledsl.execute.memory.keep_freed_memory`)."""


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'ruledsl' has no attribute {name!r}") from None
    value = getattr(import_module(module, __name__), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


def compile(rulebook: Rulebook | str | Path, **options: Any) -> CompiledRulebook:  # noqa: A001
    """Compile a rulebook (or the rulebook folder at a path) into one vectorised plan;
    ``options``: ``rules``, ``params``, ``stage`` (see
    :class:`~ruledsl.execute.compiled.CompiledRulebook`)."""
    from .execute.compiled import CompiledRulebook
    from .rulebook import Rulebook, load_rulebook

    book = rulebook if isinstance(rulebook, Rulebook) else load_rulebook(rulebook)
    return CompiledRulebook(book, **options)
