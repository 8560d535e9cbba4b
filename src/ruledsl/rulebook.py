"""Rulebooks: folders of rule files, composed by ``包含`` and ``继承``, checked as a whole.

A rulebook is a folder.  Its entry file is ``rulebook.rules`` when present
(which ``包含``/includes the other files); otherwise every ``*.rules`` file
below the folder is read, in path order.  ``继承 "../ningxia"`` extends another
rulebook folder: its rules and parameters come first, then this folder's
``覆盖`` (override) and ``停用`` (disable) items and rules apply; a rule with the
same id as a base rule replaces it.  A rulebook only ever reads ``.rules`` files
inside its own folder (an include that leaves the folder is an error) and never
executes anything: it is data.

Example:
    >>> book = load_text('''
    ... 规则 R-1 "示例" {
    ...     类别 药品类  结果类型 可疑  环节 事后  层级 明细
    ...     参数 上限: 小数 = 7
    ...     对每条 明细 x
    ...     当 x.数量 > 参数.上限
    ... }''')
    >>> [r.id for r in book.rules], book.params["R-1.上限"].default
    (['R-1'], 7.0)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from .ast import nodes as n
from .check.checker import Checker
from .check.model import CheckedRule, ParamInfo
from .diagnostics.model import Diagnostic
from .errors import CheckError, ParseError
from .source import SourceFile, Span, UndecodableSource, decode_rule_text

ENTRY_FILE = "rulebook.rules"


@attrs.frozen
class Rulebook:
    """A checked rulebook: its rules and parameters (with overrides applied)."""

    name: str
    title: str | None
    path: Path | None
    rules: tuple[CheckedRule, ...]
    params: dict[str, ParamInfo]
    """Every parameter by qualified name, with the rulebook's own overrides applied."""
    disabled: frozenset[str] = frozenset()

    @property
    def enabled_rules(self) -> tuple[CheckedRule, ...]:
        """The rules that run: enabled and not disabled by an overlay."""
        return tuple(r for r in self.rules if r.enabled and r.id not in self.disabled)

    def rule(self, rule_id: str) -> CheckedRule:
        """The rule with id ``rule_id``."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def param_values(self, overrides: Mapping[str, Any] | None = None,
                     base: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Parameter values by qualified name, with ``overrides`` applied.

        An override key may be qualified (``GL-02.max_visits``) or a bare name,
        which sets every parameter of that name. ``base``: the values to apply them
        to (default: every parameter's default).
        """
        values = dict(base) if base is not None else {
            name: info.default for name, info in self.params.items()}
        for key, value in (overrides or {}).items():
            targets = [key] if key in self.params else [
                name for name, info in self.params.items() if info.local == key
            ]
            if not targets:
                raise KeyError(key)
            for name in targets:
                values[name] = value
        return values

    def compile(self, **options: Any) -> Any:
        """Compile the enabled rules into one vectorised plan (:class:`ruledsl.execute.CompiledRulebook`);
        ``options``: ``rules``, ``params``, ``stage`` (``事前`` compiles the rules a 事前 check runs)."""
        from .execute.compiled import CompiledRulebook

        return CompiledRulebook(self, **options)


@attrs.define
class _Collected:
    header: n.RulebookHeader | None = None
    params: list[n.ParamDecl] = attrs.field(factory=list)
    defines: list[n.Define] = attrs.field(factory=list)
    rules: list[n.Rule] = attrs.field(factory=list)
    overrides: list[n.Override] = attrs.field(factory=list)
    disables: list[n.Disable] = attrs.field(factory=list)


class _Loader:
    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []
        self.stack: list[Path] = []

    def error(self, code: str, span: Span | None, zh: str, en: str, file: str | None = None) -> None:
        if span is None and file is not None:
            span = Span(0, 0, SourceFile(file, ""))
        self.diagnostics.append(Diagnostic.error(code, span, zh=zh, en=en))

    def parse_file(self, path: Path, display: str) -> n.Module | None:
        from .syntax.parser import parse

        try:
            data = path.read_bytes()
        except OSError as exc:
            self.error("E0005", None, f"无法读取 {display}：{exc.strerror}",
                       f"cannot read {display}: {exc.strerror}", display)
            return None
        try:
            text = decode_rule_text(data)
        except UndecodableSource as exc:
            self.diagnostics.append(undecodable_diagnostic(display, exc))
            return None
        try:
            return parse(text, display)
        except ParseError as exc:
            self.diagnostics.extend(exc.diagnostics)
            return None

    def folder(self, folder: Path, into: _Collected, root: Path) -> None:
        folder = folder.resolve()
        if folder in self.stack:
            self.error("E0105", None, f"继承关系成环：{folder}", f"rulebooks extend each other in a cycle: {folder}")
            return
        self.stack.append(folder)
        entry = folder / ENTRY_FILE
        if entry.is_file():
            self.file(entry, folder, into, root, set())
        else:
            files = [p for p in sorted(folder.rglob("*.rules")) if p.resolve().is_relative_to(folder)]
            if not files:  # a mistyped folder must not pass as a rulebook with no rules
                shown = _display(folder, root)
                self.error("E0005", None, f"文件夹 {shown} 中没有规则文件（*.rules）",
                           f"no rule files (*.rules) in the folder {shown}", shown)
            for path in files:
                self.file(path, folder, into, root, set())
        self.stack.pop()

    def file(self, path: Path, folder: Path, into: _Collected, root: Path, seen: set[Path]) -> None:
        real = path.resolve()
        if real in seen:
            return
        seen.add(real)
        display = _display(path, root)
        module = self.parse_file(path, display)
        if module is None:
            return
        base_items: list[n.Decl] = []
        for item in module.items:
            if isinstance(item, n.Include):
                target = (path.parent / item.path).resolve()
                if not target.is_relative_to(folder):
                    self.error("E0105", item.span, f"包含的文件 “{item.path}” 不在规则库目录内",
                               f'included file "{item.path}" is outside the rulebook folder')
                elif not target.is_file():
                    self.error("E0105", item.span, f"找不到包含的文件 “{item.path}”",
                               f'included file "{item.path}" not found')
                else:
                    self.file(target, folder, into, root, seen)
            elif isinstance(item, n.Extends):
                base = (folder / item.path).resolve()
                if not (base / ENTRY_FILE).is_file() and not any(base.glob("*.rules")):
                    self.error("E0105", item.span, f"继承的规则库 “{item.path}” 不存在",
                               f'extended rulebook "{item.path}" not found')
                else:
                    base_collected = _Collected()
                    self.folder(base, base_collected, root)
                    _merge_base(into, base_collected)
            else:
                base_items.append(item)
        for item in base_items:
            _collect(item, into)


_NOT_UTF8 = ("从此处起不是 UTF-8 编码（混入了 GBK 等其他编码的文字，或二进制内容？）：请将文件保存为 UTF-8",
             "not UTF-8 from here on (text in GBK or another encoding, or binary data, mixed in?): "
             "save the file as UTF-8")


def undecodable_diagnostic(name: str, exc: UndecodableSource) -> Diagnostic:
    """``E0005`` for the rule file ``name`` that is not text, at the first character that is not."""
    span = Span(exc.offset, exc.offset + 1, SourceFile(name, exc.text))
    hint = _NOT_UTF8 if exc.not_utf8 else (None, None)
    return Diagnostic.error("E0005", span, zh=exc.zh, en=exc.en, help_zh=hint[0], help_en=hint[1])


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root))
    except ValueError:
        return str(path)


def _collect(item: n.Decl, into: _Collected) -> None:
    if isinstance(item, n.RulebookHeader):
        into.header = item
    elif isinstance(item, n.ParamDecl):
        into.params.append(item)
    elif isinstance(item, n.Define):
        into.defines.append(item)
    elif isinstance(item, n.Rule):
        into.rules.append(item)
    elif isinstance(item, n.Override):
        into.overrides.append(item)
    elif isinstance(item, n.Disable):
        into.disables.append(item)


def _merge_base(into: _Collected, base: _Collected) -> None:
    """Put a base rulebook's items before this one's; this one's rules replace same-id rules."""
    own_ids = {r.id for r in into.rules}
    into.params[:0] = base.params
    into.defines[:0] = base.defines
    into.rules[:0] = [r for r in base.rules if r.id not in own_ids]
    into.overrides[:0] = base.overrides
    into.disables[:0] = base.disables
    if into.header is None:
        into.header = base.header


def _check(collected: _Collected, loader_diags: list[Diagnostic], path: Path | None) -> Rulebook:
    checker = Checker()
    checker.diagnostics.extend(loader_diags)
    params: dict[str, ParamInfo] = {}
    for decl in collected.params:
        if decl.name in params:
            checker.error("E0104", decl, f"参数 “{decl.name}” 重复声明", f'parameter "{decl.name}" declared twice')
            continue
        info = checker.param(decl, decl.name)
        if info is not None:
            params[decl.name] = info
    defines = {}
    for define in collected.defines:
        if define.name in defines:
            checker.error("E0104", define, f"定义 “{define.name}” 重复", f'definition "{define.name}" given twice')
        defines[define.name] = define
    rules: list[CheckedRule] = []
    seen: dict[str, n.Rule] = {}
    for rule in collected.rules:
        if rule.id in seen:
            checker.error("E0101", rule, f"规则编号 “{rule.id}” 重复", f'rule id "{rule.id}" used twice')
            continue
        seen[rule.id] = rule
        try:
            checked = checker.rule(rule, params, defines)
        except RecursionError:
            checker.error("E0006", rule, "表达式嵌套过深", "expression nested too deeply")
            continue
        if checked is not None:
            rules.append(checked)
    all_params = dict(params)
    for rule in rules:
        all_params.update({p.name: p for p in rule.params})
    for override in collected.overrides:
        key = f"{override.rule_id}.{override.name}" if override.rule_id else override.name
        info = all_params.get(key)
        if info is None:
            if override.rule_id is None or override.rule_id in seen:
                checker.error("E0106", override, f"覆盖了不存在的参数 “{key}”",
                              f'override of unknown parameter "{key}"',
                              *checker.did_you_mean(key, list(all_params)))
            else:
                checker.error("E0106", override, f"覆盖了不存在的规则 “{override.rule_id}” 的参数",
                              f'override of a parameter of unknown rule "{override.rule_id}"',
                              *checker.did_you_mean(override.rule_id, sorted(seen)))
            continue
        value = checker.constant(override.value, info.dtype, override)
        all_params[key] = attrs.evolve(info, default=value)
    disabled = set()
    for disable in collected.disables:
        if disable.rule_id not in seen:
            checker.error("E0106", disable, f"停用了不存在的规则 “{disable.rule_id}”",
                          f'disable of unknown rule "{disable.rule_id}"',
                          *checker.did_you_mean(disable.rule_id, sorted(seen)))
        disabled.add(disable.rule_id)
    if checker.diagnostics:
        raise CheckError(checker.diagnostics)
    header = collected.header
    name = header.name if header else (path.name if path else "rules")
    return Rulebook(name, header.title if header else None, path, tuple(rules), all_params,
                    frozenset(disabled))


def load_rulebook(path: str | Path) -> Rulebook:
    """Load and check a rulebook folder (or a single ``.rules`` file).

    Raises:
        CheckError: with every diagnostic of every file.
    """
    path = Path(path)
    loader = _Loader()
    collected = _Collected()
    root = Path.cwd().resolve()
    if path.is_dir():
        loader.folder(path, collected, root)
    elif path.is_file():
        loader.file(path, path.resolve().parent, collected, root, set())
    else:
        raise CheckError([Diagnostic.error("E0005", None, zh=f"找不到 {path}", en=f"{path} not found")])
    return _check(collected, loader.diagnostics, path if path.is_dir() else None)


def load_text(text: str, name: str = "<string>") -> Rulebook:
    """Check rule text given as a string (no includes or extends)."""
    from .syntax.parser import parse

    collected = _Collected()
    for item in parse(text, name).items:
        _collect(item, collected)
    return _check(collected, [], None)


def check_paths(paths: Iterable[str | Path]) -> list[Diagnostic]:
    """Check each path (rulebook folder or file); return every diagnostic."""
    out: list[Diagnostic] = []
    for path in paths:
        try:
            load_rulebook(path)
        except CheckError as exc:
            out.extend(exc.diagnostics)
    return out
