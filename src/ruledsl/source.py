"""Source files and spans: where a piece of rule text came from.

A :class:`Span` is a half-open character range ``[start, end)`` into a
:class:`SourceFile`; line and column numbers (both 1-based) are computed on
demand, so nodes carry only two integers.

Example:
    >>> src = SourceFile("a.rules", "规则 X\\n  当 y")
    >>> src.line_col(7)
    (2, 3)
"""

from __future__ import annotations

import bisect
import codecs

import attrs


@attrs.frozen
class SourceFile:
    """A named piece of rule text."""

    name: str
    text: str
    _line_starts: tuple[int, ...] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        starts = [0]
        starts.extend(i + 1 for i, ch in enumerate(self.text) if ch == "\n")
        object.__setattr__(self, "_line_starts", tuple(starts))

    def line_col(self, offset: int) -> tuple[int, int]:
        """Return the 1-based (line, column) of a character offset."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self._line_starts, offset) - 1
        return line + 1, offset - self._line_starts[line] + 1

    def line_text(self, line: int) -> str:
        """Return the text of a 1-based line, without its newline."""
        if line < 1 or line > len(self._line_starts):
            return ""
        start = self._line_starts[line - 1]
        end = self.text.find("\n", start)
        return self.text[start : end if end >= 0 else len(self.text)]


@attrs.frozen
class Span:
    """A half-open character range ``[start, end)`` in a source file."""

    start: int
    end: int
    source: SourceFile | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def name(self) -> str:
        """The file name, or ``<unknown>``."""
        return self.source.name if self.source is not None else "<unknown>"

    @property
    def line(self) -> int:
        """1-based line of the start."""
        return self.source.line_col(self.start)[0] if self.source is not None else 0

    @property
    def column(self) -> int:
        """1-based column of the start."""
        return self.source.line_col(self.start)[1] if self.source is not None else 0

    def to(self, other: Span) -> Span:
        """The smallest span covering ``self`` and ``other``."""
        return Span(min(self.start, other.start), max(self.end, other.end), self.source)

    def __str__(self) -> str:
        return f"{self.name}:{self.line}:{self.column}"


NO_SPAN = Span(0, 0)
"""A placeholder span for synthesised nodes that have no source text."""


class UndecodableSource(ValueError):
    """A rule file that is not text (binary content, or neither UTF-8 nor GB18030).

    ``text`` is the file read as UTF-8 with the bad bytes replaced, ``offset`` the character
    of ``text`` where it stops being text, and ``not_utf8`` whether that is a byte that is
    not UTF-8 (text in another encoding mixed in?) rather than a NUL.
    """

    def __init__(self, zh: str, en: str, text: str = "", offset: int = 0,
                 not_utf8: bool = False) -> None:
        super().__init__(en)
        self.zh, self.en = zh, en
        self.text, self.offset, self.not_utf8 = text, offset, not_utf8


def decode_rule_text(data: bytes) -> str:
    """Rule-file bytes as text: UTF-8 (with or without a byte-order mark), else GB18030/GBK.

    Raises:
        UndecodableSource: binary content (a NUL byte) or neither encoding fits.

    Example:
        >>> decode_rule_text("\ufeff规则".encode()), decode_rule_text("规则".encode("gbk"))
        ('规则', '规则')
    """
    body = data.removeprefix(codecs.BOM_UTF8)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise UndecodableSource(f"不是文本文件（第 {exc.start} 字节无法按 UTF-8 解码）",
                                    f"not a text file (byte {exc.start} is not UTF-8)",
                                    body.decode("utf-8", errors="replace"),
                                    len(body[: exc.start].decode("utf-8")), True) from None
    if "\x00" in text:
        raise UndecodableSource("含有二进制内容（NUL 字符）", "contains binary data (NUL)",
                                text, text.index("\x00"))
    return text
