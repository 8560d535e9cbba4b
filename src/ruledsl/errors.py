"""The exceptions ruledsl raises.

Every exception is a :class:`RuleDslError`, so callers can catch one type.
Errors about user input carry their :class:`~ruledsl.diagnostics.model.Diagnostic`
records: the parser and the checker collect every problem and raise once
(:class:`ParseError`, :class:`CheckError`), the data loaders likewise
(:class:`DataError`). Their ``str()`` is the short rendering of all of them,
sorted by position and capped after :data:`MAX_MESSAGES`.

Example:
    >>> from ruledsl.diagnostics.model import Diagnostic
    >>> from ruledsl.source import SourceFile, Span
    >>> src = SourceFile("a.rules", "当 x > 1")
    >>> err = CheckError([Diagnostic.error("E0203", Span(2, 3, src),
    ...                   zh='未知名称 "x"', en='unknown name "x"')], lang="en")
    >>> print(err)
    a.rules:1:3: error: unknown name "x" [E0203]
    >>> isinstance(err, RuleDslError), len(err.diagnostics)
    (True, 1)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .diagnostics.model import Diagnostic, Text
from .diagnostics.render import render_all
from .source import Span

MAX_MESSAGES = 20
"""How many diagnostics ``str()`` of an error shows before ``... and N more``."""


class RuleDslError(Exception):
    """Base class of every error ruledsl raises."""


class DiagnosticError(RuleDslError):
    """An error that carries one or more diagnostics.

    Args:
        diagnostics: The problems found; they are kept sorted by file and
            position (:meth:`~ruledsl.diagnostics.model.Diagnostic.sort_key`).
        lang: Language of ``str()``: ``zh`` (default) or ``en``.
    """

    diagnostics: tuple[Diagnostic, ...]
    """The problems, sorted by file and position."""

    def __init__(self, diagnostics: Iterable[Diagnostic], *, lang: str = "zh") -> None:
        self.diagnostics = tuple(sorted(diagnostics, key=Diagnostic.sort_key))
        self.lang = lang
        super().__init__(self.diagnostics)

    def __str__(self) -> str:
        return render_all(self.diagnostics, "short", self.lang, limit=MAX_MESSAGES)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.diagnostics, self.lang))


def _rebuild(cls: type[DiagnosticError], diagnostics: tuple[Diagnostic, ...], lang: str) -> Any:
    """Unpickle a :class:`DiagnosticError` (keyword-only ``lang`` needs help)."""
    return cls(diagnostics, lang=lang)


class ParseError(DiagnosticError):
    """Rule text could not be read or parsed (codes ``E00xx``)."""


class CheckError(DiagnosticError):
    """A parsed rulebook failed static checking (codes ``E01xx``–``E05xx``)."""


class DataError(DiagnosticError):
    """Claim or knowledge-base data failed to load or validate (codes ``Dxxxx``).

    Each diagnostic names the file, the row and the column at fault: in its
    message, or through a span into the file's text where there is one (CSV).
    """


class ExecutionError(RuleDslError):
    """A compiled plan failed while running.

    Args:
        message: What went wrong.
        rule: Id of the rule being evaluated, if known.
        step: The failing plan step (e.g. ``r3``), if known.
        span: The rule source the step came from, if known.

    Example:
        >>> print(ExecutionError("division by zero", rule="YP-01", step="r3"))
        rule YP-01, step r3: division by zero
    """

    def __init__(
        self,
        message: str,
        *,
        rule: str | None = None,
        step: str | None = None,
        span: Span | None = None,
    ) -> None:
        self.message, self.rule, self.step, self.span = message, rule, step, span
        super().__init__(message)

    def __str__(self) -> str:
        where = self._where().en
        return f"{where}: {self.message}" if where else self.message

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_execution, (self.message, self.rule, self.step, self.span))

    def _where(self) -> Text:
        """The rule and step, as ``rule YP-01, step r3`` (empty if unknown)."""
        zh = [f"规则 {self.rule}"] if self.rule else []
        en = [f"rule {self.rule}"] if self.rule else []
        if self.step:
            zh.append(f"步骤 {self.step}")
            en.append(f"step {self.step}")
        return Text("，".join(zh), ", ".join(en))

    def to_diagnostic(self) -> Diagnostic:
        """This error as an ``X0001`` (execution-failed) diagnostic.

        Example:
            >>> ExecutionError("boom", step="r1").to_diagnostic().message("zh")
            '执行失败（步骤 r1）：boom'
        """
        where, msg = self._where(), self.message
        return Diagnostic.error(
            "X0001",
            self.span,
            zh=f"执行失败（{where.zh}）：{msg}" if where.zh else f"执行失败：{msg}",
            en=f"execution failed ({where.en}): {msg}" if where.en else f"execution failed: {msg}",
        )


def _rebuild_execution(
    message: str, rule: str | None, step: str | None, span: Span | None
) -> ExecutionError:
    return ExecutionError(message, rule=rule, step=step, span=span)


class UsageError(RuleDslError):
    """The command line or an API call was used wrongly (CLI exit code 2)."""
