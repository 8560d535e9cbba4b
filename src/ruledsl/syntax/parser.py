"""The parser: a cached LALR Lark parser, a post-lexer for keywords, and error mapping.

Example:
    >>> m = parse('规则 R-1 "示例" { 对每条 明细 x 当 x.数量 > 0 }')
    >>> m.items[0].id, type(m.items[0].clauses[1].cond).__name__
    ('R-1', 'Binary')
"""

from __future__ import annotations

import collections
import difflib
import functools
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from ..ast import nodes as n
from ..diagnostics.model import Diagnostic
from ..errors import ParseError
from ..source import SourceFile, Span
from .keywords import KEYWORDS, MULTI_WORD, describe, keyword_type, unit_of

GRAMMAR_PATH = Path(__file__).resolve().parent.parent / "grammar" / "ruledsl.lark"
MAX_SOURCE_CHARS = 20_000_000
_LITERALS = ("TRUE", "FALSE", "NULL")
_FIRST_WORDS = {key[0] for key in MULTI_WORD}


class KeywordPostLex:
    """Retype keyword words (Chinese or English) and join multi-word English keywords."""

    always_accept = ("NAME",)

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        """Yield tokens with keywords retyped.

        A word right after ``.`` (``fee.amount``), or a name being assigned in
        ``(… , name = …)`` / ``输出 name = …``, stays a name even when it spells
        a keyword, unless it spells a literal: ``(假 = 空)`` compares two literals.
        Tokens are read as the parser asks for them (with a few tokens of look-ahead), so
        a file that goes wrong early is not lexed to its end first.
        """
        tokens = _Lookahead(stream)
        prev: str | None = None
        for tok in tokens:
            if tok.type == "NAME":
                tok = self._retype(tok, prev, tokens)
            prev = tok.type
            yield tok

    def _retype(self, tok: Token, prev: str | None, tokens: _Lookahead) -> Token:
        nxt = tokens.peek(0)
        if prev == "_DOT" or (prev in ("_LPAR", "_COMMA", "OUTPUT") and nxt is not None
                              and nxt.type == "EQ" and keyword_type(tok.value) not in _LITERALS):
            return tok
        merged = self._multi_word(tok, tokens)
        if merged is not None:
            return merged
        kw = keyword_type(tok.value)
        if kw is not None:
            return Token.new_borrow_pos(kw, tok.value, tok)
        if unit_of(tok.value) is not None:
            return Token.new_borrow_pos("UNIT", tok.value, tok)
        return tok

    @staticmethod
    def _multi_word(first: Token, tokens: _Lookahead) -> Token | None:
        if first.value.lower() not in _FIRST_WORDS:
            return None
        for key, terminal in MULTI_WORD.items():
            part = [first]
            while len(part) < len(key) and (nxt := tokens.peek(len(part) - 1)) is not None:
                part.append(nxt)
            if len(part) == len(key) and all(
                t.type == "NAME" and t.value.lower() == w for t, w in zip(part, key, strict=True)
            ):
                tokens.skip(len(key) - 1)
                last = part[-1]
                tok = Token.new_borrow_pos(terminal, " ".join(t.value for t in part), first)
                tok.end_pos = last.end_pos
                tok.end_line, tok.end_column = last.end_line, last.end_column
                return tok
        return None


class _Lookahead:
    """An iterator over tokens that can peek at the next few without consuming them."""

    def __init__(self, stream: Iterator[Token]) -> None:
        self._stream = iter(stream)
        self._buffer: collections.deque[Token] = collections.deque()

    def __iter__(self) -> _Lookahead:
        return self

    def __next__(self) -> Token:
        return self._buffer.popleft() if self._buffer else next(self._stream)

    def peek(self, k: int) -> Token | None:
        """The token ``k`` places ahead (0: the next one), or ``None`` at the end."""
        while len(self._buffer) <= k:
            tok = next(self._stream, None)
            if tok is None:
                return None
            self._buffer.append(tok)
        return self._buffer[k]

    def skip(self, k: int) -> None:
        """Drop the next ``k`` tokens (already peeked at)."""
        for _ in range(k):
            self._buffer.popleft()


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
        raise ParseError((syntax_diagnostic(exc, source, offset, offset + len(text)),)) from None
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


def syntax_diagnostic(exc: UnexpectedInput, source: SourceFile, offset: int = 0,
                      end: int | None = None) -> Diagnostic:
    """Turn a Lark exception into a diagnostic that names what was expected in words.

    ``offset`` and ``end``: where the parsed text starts and ends in ``source`` when it is
    a template placeholder; by default it is the whole file.
    """
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
        at = len(source.text) if end is None else end
        whole, part = ("文件", "input") if end is None else ("占位符", "placeholder")
        accepts = getattr(exc, "expected", None) or getattr(exc, "accepts", set())
        return Diagnostic.error(
            "E0003",
            Span(at, at, source),
            zh=f"{whole}意外结束，应为 {_expected(accepts)}",
            en=f"unexpected end of {part}, expected {_expected(accepts, 'en')}",
            help_zh="检查括号、引号和“{”“}”是否成对" ,
            help_en='check that brackets, quotes and "{" "}" are balanced',
        )
    assert isinstance(exc, UnexpectedToken)
    tok = exc.token
    start = offset + (tok.start_pos or 0)
    stop = offset + tok.end_pos if tok.end_pos is not None else start + len(str(tok))
    accepts = exc.accepts or exc.expected
    found = f"“{_clip(str(tok.value))}”"
    return Diagnostic.error(
        "E0002",
        Span(start, max(stop, start + 1), source),
        zh=f"此处不应出现 {found}，应为 {_expected(accepts)}",
        en=f"unexpected {found}, expected {_expected(accepts, 'en')}",
        help_zh=_token_help(tok, accepts, "zh"),
        help_en=_token_help(tok, accepts, "en"),
    )


_EXPRESSION_START = {"NAME", "INT", "STRING", "_LPAR"}
_SHOWN_CHARS = 40


def _clip(text: str) -> str:
    """``text`` as quoted in a message: a long word or string is cut short (it is underlined)."""
    return text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS] + "…"


def _expected(terminals: set[str] | frozenset[str], lang: str = "zh") -> str:
    terminals = {t for t in terminals if not t.startswith("__")}
    lead: list[str] = []
    if _EXPRESSION_START <= terminals:
        lead = ["表达式（名称、数值、字符串、“(”…）" if lang == "zh"
                else "an expression (name, number, text, “(”…)"]
        terminals = {t for t in terminals if t in ("_RPAR", "_RBRACE", "_RBRACKET", "_COMMA")}
    # in the order of the Chinese words, so that both languages list the same first eight
    words = lead + [word for _, word in sorted({(describe(t), describe(t, lang)) for t in terminals})]
    if not words:
        return "其他内容" if lang == "zh" else "something else"
    if len(words) > 8:
        words = words[:8] + ["…"]
    return "、".join(words) if lang == "zh" else ", ".join(words)


_GRAMMAR_PUNCTUATION = set('=<>!+-*/(){}[],.:#"')
_TOP_LEVEL = {"RULE", "RULEBOOK", "INCLUDE", "EXTENDS", "OVERRIDE", "DISABLE"}
"""Keywords that only start a top-level item: met inside a block, its "}" is likely missing."""


def _char_help(ch: str, lang: str) -> str | None:
    zh = lang == "zh"
    if not ch:
        return None
    if ch in "‘’'":
        return "字符串请使用双引号 \"…\"" if zh else 'use double quotes "…" for text'
    if ch in '"“':
        close = "”" if ch == "“" else '"'
        return (f"字符串缺少结尾的 “{close}”（字符串须在同一行内结束）" if zh
                else f"the text is not closed: add its closing {close} on the same line")
    if ch in ";；":
        return "规则子句之间不需要分号" if zh else "clauses need no semicolon"
    if unicodedata.category(ch) in ("Cc", "Cf", "Zs", "Zl", "Zp"):
        return ("不可见的字符（零宽空格、不间断空格、控制符等，常随复制粘贴带入）：请删除或改为普通空格"
                if zh else "an invisible character (zero-width or no-break space, a control "
                "character; often pasted in): delete it or type an ordinary space")
    ascii_ch = unicodedata.normalize("NFKC", ch)
    if ascii_ch != ch and ascii_ch in _GRAMMAR_PUNCTUATION:
        return f"请使用半角 “{ascii_ch}”" if zh else f"use the ASCII “{ascii_ch}”"
    return None


def _token_help(tok: Token, accepts: set[str], lang: str) -> str | None:
    zh = lang == "zh"
    if tok.type == "NAME" and any(k in tok.value for k in ("且", "或", "满足", "当")):
        return (
            "关键字与名称之间需要空格，如 “a 且 b”"
            if zh
            else "put spaces around keywords, e.g. “a 且 b”"
        )
    if tok.type in _TOP_LEVEL and "_RBRACE" in accepts:
        return "上一个块是否缺少结尾的 “}”？" if zh else 'is the "}" that closes the block above missing?'
    if "TO" in accepts and "PLUS" in accepts:  # after 在编码范围 <code>: only a code range gets here
        return ('编码范围写作 在编码范围 "O00" 至 "O9A"' if zh
                else 'write a code range as in code_range "O00" to "O9A"')
    guess = _keyword_like(str(tok.value), accepts) if tok.type == "NAME" else None
    if guess is not None:
        return f"是否想写 “{guess}”？" if zh else f'did you mean "{guess}"?'
    return None


def _keyword_like(word: str, accepts: set[str]) -> str | None:
    """The spelling of an expected keyword that ``word`` is likely a typo of (``一节`` → ``环节``)."""
    english = word.isascii()
    if english and len(word) < 3:  # "L" is a name, not a typo of "let"
        return None
    spellings = [w for t in accepts if t in KEYWORDS for w in KEYWORDS[t][1 if english else 0]]
    close = difflib.get_close_matches(word.lower() if english else word, spellings, n=1, cutoff=0.5)
    return close[0] if close else None
