"""The parser: a cached LALR Lark parser, a post-lexer for keywords, and error mapping.

Example:
    >>> m = parse('规则 R-1 "示例" { 对每条 明细 x 当 x.数量 > 0 }')
    >>> m.items[0].id, type(m.items[0].clauses[1].cond).__name__
    ('R-1', 'Binary')
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from ..ast import nodes as n
from ..diagnostics.model import Diagnostic
from ..errors import ParseError
from ..source import SourceFile, Span
from .keywords import MULTI_WORD, describe, keyword_type, unit_of

GRAMMAR_PATH = Path(__file__).resolve().parent.parent / "grammar" / "ruledsl.lark"
MAX_SOURCE_CHARS = 20_000_000
_LITERALS = ("TRUE", "FALSE", "NULL")


class KeywordPostLex:
    """Retype keyword words (Chinese or English) and join multi-word English keywords."""

    always_accept = ("NAME",)

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        """Yield tokens with keywords retyped.

        A word right after ``.`` (``fee.amount``), or a name being assigned in
        ``(… , name = …)`` / ``输出 name = …``, stays a name even when it spells
        a keyword, unless it spells a literal: ``(假 = 空)`` compares two literals.
        """
        tokens = list(stream)
        out: list[Token] = []
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            if tok.type != "NAME":
                out.append(tok)
                i += 1
                continue
            prev = out[-1].type if out else None
            nxt = tokens[i + 1].type if i + 1 < len(tokens) else None
            if prev == "_DOT" or (prev in ("_LPAR", "_COMMA", "OUTPUT") and nxt == "EQ"
                                  and keyword_type(tok.value) not in _LITERALS):
                out.append(tok)
                i += 1
                continue
            merged = self._multi_word(tokens, i)
            if merged is not None:
                out.append(merged[0])
                i += merged[1]
                continue
            kw = keyword_type(tok.value)
            if kw is not None:
                tok = Token.new_borrow_pos(kw, tok.value, tok)
            elif unit_of(tok.value) is not None:
                tok = Token.new_borrow_pos("UNIT", tok.value, tok)
            out.append(tok)
            i += 1
        yield from out

    @staticmethod
    def _multi_word(tokens: list[Token], i: int) -> tuple[Token, int] | None:
        for key, terminal in MULTI_WORD.items():
            part = tokens[i : i + len(key)]
            if len(part) == len(key) and all(
                t.type == "NAME" and t.value.lower() == w for t, w in zip(part, key, strict=True)
            ):
                first, last = part[0], part[-1]
                tok = Token.new_borrow_pos(terminal, " ".join(t.value for t in part), first)
                tok.end_pos = last.end_pos
                tok.end_line, tok.end_column = last.end_line, last.end_column
                return tok, len(key)
        return None


@functools.cache
def _lark() -> Lark:
    return Lark(
        GRAMMAR_PATH.read_text(encoding="utf-8"),
        parser="lalr",
        lexer="basic",
        postlex=KeywordPostLex(),
        propagate_positions=True,
        maybe_placeholders=True,
        start=["module", "expr"],
    )


def parse(text: str, name: str = "<string>") -> n.Module:
    """Parse one rule file.

    Raises:
        ParseError: with one diagnostic (the LALR parser stops at the first
            syntax error) carrying a span.
    """
    from .transformer import to_ast

    source = SourceFile(name, text)
    if len(text) > MAX_SOURCE_CHARS:
        raise ParseError((_too_large(source),))
    comments: list[Token] = []
    try:
        tree = _parse_tree(text, "module", comments)
    except UnexpectedInput as exc:
        raise ParseError((syntax_diagnostic(exc, source),)) from None
    return to_ast(tree, source, comments)


def parse_expr(text: str, source: SourceFile, offset: int = 0) -> n.Expr:
    """Parse an expression (a template placeholder) found at ``offset`` of ``source``."""
    from .transformer import to_ast_expr

    try:
        tree = _parse_tree(text, "expr", [])
    except UnexpectedInput as exc:
        raise ParseError((syntax_diagnostic(exc, source, offset),)) from None
    return to_ast_expr(tree, source, offset)


def _parse_tree(text: str, start: str, comments: list[Token]):  # type: ignore[no-untyped-def]
    parser = _lark()
    # Comments are ignored by the grammar; collect them through a second, cheap lexer pass.
    tree = parser.parse(text, start=start)
    if start == "module":
        comments.extend(_comments(text))
    return tree


def _comments(text: str) -> list[Token]:
    """The ``#`` comments of ``text`` (outside strings)."""
    out: list[Token] = []
    i, size = 0, len(text)
    while i < size:
        ch = text[i]
        if ch == '"':
            j = i + 1
            while j < size and text[j] not in '"\n':
                j += 2 if text[j] == "\\" else 1
            i = j + 1
        elif ch == "“":
            j = text.find("”", i + 1)
            i = size if j < 0 else j + 1
        elif ch == "#":
            j = text.find("\n", i)
            j = size if j < 0 else j
            tok = Token("COMMENT", text[i:j])
            tok.start_pos, tok.end_pos = i, j
            out.append(tok)
            i = j
        else:
            i += 1
    return out


def _too_large(source: SourceFile) -> Diagnostic:
    return Diagnostic.error(
        "E0005",
        Span(0, 0, source),
        zh=f"文件过大（{len(source.text)} 个字符，上限 {MAX_SOURCE_CHARS}）",
        en=f"file too large ({len(source.text)} characters, limit {MAX_SOURCE_CHARS})",
    )


def syntax_diagnostic(exc: UnexpectedInput, source: SourceFile, offset: int = 0) -> Diagnostic:
    """Turn a Lark exception into a diagnostic that names what was expected in words."""
    pos = offset + (getattr(exc, "pos_in_stream", None) or 0)
    if isinstance(exc, UnexpectedCharacters):
        ch = source.text[pos : pos + 1] if pos < len(source.text) else ""
        shown = repr(ch) if not ch.isprintable() else f"“{ch}”"
        return Diagnostic.error(
            "E0001",
            Span(pos, pos + 1, source),
            zh=f"无法识别的字符 {shown}",
            en=f"unexpected character {shown}",
            help_zh=_char_help(ch, "zh"),
            help_en=_char_help(ch, "en"),
        )
    if isinstance(exc, UnexpectedEOF) or (
        isinstance(exc, UnexpectedToken) and exc.token.type == "$END"
    ):
        end = len(source.text)
        accepts = getattr(exc, "expected", None) or getattr(exc, "accepts", set())
        return Diagnostic.error(
            "E0003",
            Span(end, end, source),
            zh=f"文件意外结束，应为 {_expected(accepts)}",
            en=f"unexpected end of input, expected {_expected(accepts, 'en')}",
            help_zh="检查括号、引号和“{”“}”是否成对" ,
            help_en='check that brackets, quotes and "{" "}" are balanced',
        )
    assert isinstance(exc, UnexpectedToken)
    tok = exc.token
    start = offset + (tok.start_pos or 0)
    end = offset + (tok.end_pos if tok.end_pos is not None else start + len(str(tok)))
    accepts = exc.accepts or exc.expected
    found = f"“{tok.value}”"
    return Diagnostic.error(
        "E0002",
        Span(start, max(end, start + 1), source),
        zh=f"此处不应出现 {found}，应为 {_expected(accepts)}",
        en=f"unexpected {found}, expected {_expected(accepts, 'en')}",
        help_zh=_token_help(tok, "zh"),
        help_en=_token_help(tok, "en"),
    )


_EXPRESSION_START = {"NAME", "INT", "STRING", "_LPAR"}


def _expected(terminals: set[str] | frozenset[str], lang: str = "zh") -> str:
    terminals = {t for t in terminals if not t.startswith("__")}
    lead: list[str] = []
    if _EXPRESSION_START <= terminals:
        lead = ["表达式（名称、数值、字符串、“(”…）" if lang == "zh"
                else "an expression (name, number, text, “(”…)"]
        terminals = {t for t in terminals if t in ("_RPAR", "_RBRACE", "_RBRACKET", "_COMMA")}
    words = lead + sorted({describe(t) for t in terminals})
    if not words:
        return "其他内容"
    if len(words) > 8:
        words = words[:8] + ["…"]
    return "、".join(words) if lang == "zh" else ", ".join(words)


def _char_help(ch: str, lang: str) -> str | None:
    if ch in "‘’'":
        return "字符串请使用双引号 \"…\"" if lang == "zh" else 'use double quotes "…" for text'
    if ch == ";":
        return "规则子句之间不需要分号" if lang == "zh" else "clauses need no semicolon"
    return None


def _token_help(tok: Token, lang: str) -> str | None:
    if tok.type == "NAME" and any(k in tok.value for k in ("且", "或", "满足", "当")):
        return (
            "关键字与名称之间需要空格，如 “a 且 b”"
            if lang == "zh"
            else "put spaces around keywords, e.g. “a 且 b”"
        )
    return None
