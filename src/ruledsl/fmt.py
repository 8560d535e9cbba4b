"""``ruledsl fmt``: rewrite rule files canonically, in one keyword language.

:func:`format_text` formats one text; :func:`format_paths` formats files and
rulebook folders (every ``*.rules`` file below them).  Nothing is written when
any file fails to parse: the :class:`~ruledsl.errors.ParseError` raised then
carries the diagnostics of every failing file.

Example:
    >>> print(format_text('rule R "r" { when a and (b or c) }', lang="zh"), end="")
    规则 R "r" {
        当 a 且 (b 或 c)
    }
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .ast.printer import to_source
from .diagnostics.model import Diagnostic
from .errors import ParseError, UsageError
from .rulebook import undecodable_diagnostic
from .source import UndecodableSource, decode_rule_text
from .syntax.parser import parse

RULE_SUFFIX = ".rules"
"""Files under a folder that ``fmt`` formats."""


def format_text(text: str, name: str = "<string>", lang: str = "zh") -> str:
    """Canonical form of rule text ``text`` with keywords in ``lang``.

    Args:
        text: Rule file contents.
        name: File name for diagnostics.
        lang: ``zh`` or ``en``.

    Raises:
        ParseError: The text does not parse.

    Example:
        >>> format_text("参数 上限: 整数 = 3", lang="en")
        'param 上限: int = 3\\n'
    """
    return to_source(parse(text, name), lang)


def rule_files(paths: Iterable[str | Path]) -> list[Path]:
    """The files ``paths`` name: files as given, folders expanded to their ``*.rules`` files.

    Raises:
        UsageError: A path does not exist.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob(f"*{RULE_SUFFIX}") if p.is_file()))
        elif path.is_file():
            found.append(path)
        else:
            raise UsageError(f"no such file or folder: {path}")
    unique: dict[Path, None] = dict.fromkeys(found)
    return list(unique)


def format_paths(paths: Iterable[str | Path], lang: str = "zh", check: bool = False) -> list[Path]:
    """Format rule files in place; return the files that changed (or would change).

    Args:
        paths: Files and rulebook folders (searched recursively for ``*.rules``).
        lang: Keyword language of the output, ``zh`` or ``en``.
        check: Write nothing; only report which files are not canonical.

    Raises:
        ParseError: Some file does not parse (no file is written).
        UsageError: A path does not exist.

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> _ = (folder / "a.rules").write_text('规则 R "r" {\\n    当 x\\n}\\n', encoding="utf-8")
        >>> [p.name for p in format_paths([folder], lang="en", check=True)]
        ['a.rules']
        >>> [p.name for p in format_paths([folder], lang="zh", check=True)]
        []
    """
    results: list[tuple[Path, str, str]] = []
    problems: list[Diagnostic] = []
    for path in rule_files(paths):
        try:
            text = decode_rule_text(path.read_bytes())
        except UndecodableSource as exc:
            problems.append(undecodable_diagnostic(str(path), exc))
            continue
        try:
            results.append((path, text, format_text(text, str(path), lang)))
        except ParseError as exc:
            problems.extend(exc.diagnostics)
    if problems:
        raise ParseError(problems)
    changed = [path for path, old, new in results if old != new]
    if not check:
        for path, old, new in results:
            if old != new:
                with path.open("w", encoding="utf-8", newline="") as fh:
                    fh.write(new)
    return changed
