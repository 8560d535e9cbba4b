"""The diagnostic record shared by the parser, the checker and the loaders.

A :class:`Diagnostic` carries its message in Chinese and in English; the
renderers (:mod:`ruledsl.diagnostics.render`) pick one by ``lang``.

Example:
    >>> from ruledsl.source import SourceFile, Span
    >>> src = SourceFile("a.rules", "当 x")
    >>> d = Diagnostic.error("E0201", Span(2, 3, src), zh='未知字段 "x"', en='unknown field "x"')
    >>> d.code, d.message("en")
    ('E0201', 'unknown field "x"')
"""

from __future__ import annotations

import enum

import attrs

from ..source import Span


class Severity(enum.Enum):
    """How serious a diagnostic is."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@attrs.frozen
class Text:
    """A message in both languages."""

    zh: str
    en: str

    def get(self, lang: str) -> str:
        """The message in ``lang`` (``zh`` or ``en``)."""
        return self.en if lang == "en" else self.zh


@attrs.frozen
class Label:
    """A span with a short message under it."""

    span: Span
    text: Text | None = None
    primary: bool = True


@attrs.frozen
class Diagnostic:
    """One problem found in a rule file or a data file."""

    code: str
    """Stable code, e.g. ``E0201`` (see :mod:`ruledsl.diagnostics.codes`)."""
    severity: Severity
    text: Text
    labels: tuple[Label, ...] = ()
    help: Text | None = None
    """A concrete suggestion, e.g. ``did you mean "amount"?``."""
    notes: tuple[Text, ...] = ()

    @classmethod
    def error(
        cls,
        code: str,
        span: Span | None,
        *,
        zh: str,
        en: str,
        help_zh: str | None = None,
        help_en: str | None = None,
        severity: Severity = Severity.ERROR,
    ) -> Diagnostic:
        """Build a diagnostic with one primary label."""
        labels = (Label(span),) if span is not None else ()
        hint = Text(help_zh, help_en or help_zh) if help_zh is not None else None
        return cls(code, severity, Text(zh, en), labels, hint)

    @property
    def span(self) -> Span | None:
        """The primary span, if any."""
        for label in self.labels:
            if label.primary:
                return label.span
        return None

    def message(self, lang: str = "zh") -> str:
        """The message in ``lang``."""
        return self.text.get(lang)

    def sort_key(self) -> tuple[str, int, str]:
        """Order diagnostics by file, position, then code."""
        span = self.span
        return (span.name if span else "", span.start if span else -1, self.code)
