"""The registry of stable diagnostic codes.

Every :class:`~ruledsl.diagnostics.model.Diagnostic` names one code from
:data:`CODES`. A code is stable (``E0201``) and has a kebab-case name
(``unknown-field``) that users may use instead of the number, e.g. to disable
or promote it. The Sphinx page of codes is generated from this table, so a new
code is documented by adding one :class:`ErrorCode` entry to ``_ALL``.

Code ranges: ``E00xx`` syntax, ``E01xx`` rulebook structure, ``E02xx`` name
resolution, ``E03xx`` types, ``E04xx`` scopes and aggregates, ``E05xx``
embedded examples, ``Dxxxx`` data files, ``Xxxxx`` execution.

Example:
    >>> describe("E0201").name
    'unknown-table'
    >>> describe("unknown-field").code
    'E0202'
"""

from __future__ import annotations

import re

import attrs

from .model import Severity

CATEGORIES: dict[str, tuple[str, str]] = {
    "syntax": ("语法错误", "Syntax"),
    "rulebook": ("规则集结构", "Rulebook structure"),
    "name": ("名称解析", "Name resolution"),
    "type": ("类型检查", "Types"),
    "scope": ("作用范围与聚合", "Scopes and aggregates"),
    "example": ("规则示例", "Rule examples"),
    "data": ("数据文件", "Data files"),
    "execution": ("执行", "Execution"),
}
"""Category id → (Chinese title, English title), in catalogue order."""

_CODE_RE = re.compile(r"^[EDX]\d{4}$")
_NAME_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


@attrs.frozen
class ErrorCode:
    """One registered diagnostic code with its bilingual documentation."""

    code: str
    """Stable code, e.g. ``E0201``."""
    name: str
    """Kebab-case name, e.g. ``unknown-table``."""
    category: str
    """A key of :data:`CATEGORIES`."""
    summary_zh: str
    summary_en: str
    description_zh: str
    description_en: str
    severity: Severity = Severity.ERROR
    """Default severity of diagnostics with this code."""

    def summary(self, lang: str = "zh") -> str:
        """The one-line summary in ``lang`` (``zh`` or ``en``)."""
        return self.summary_en if lang == "en" else self.summary_zh

    def description(self, lang: str = "zh") -> str:
        """The longer description in ``lang`` (``zh`` or ``en``)."""
        return self.description_en if lang == "en" else self.description_zh


_C = ErrorCode

# Append new codes at the end of their range; never renumber or rename one.
_ALL: tuple[ErrorCode, ...] = (
    # -- syntax ---------------------------------------------------------------
    _C("E0001", "unexpected-character", "syntax",
       "意外的字符", "Unexpected character",
       "源文本中出现了语言不认识的字符，例如全角标点或不成对的引号。",
       "The rule text contains a character the language does not recognise, "
       "such as full-width punctuation or an unmatched quote."),
    _C("E0002", "unexpected-token", "syntax",
       "意外的记号", "Unexpected token",
       "此处出现的词不符合语法；诊断会列出此处可以出现的内容（应为以下之一：…）。",
       "A word appears where the grammar does not allow it; the diagnostic lists "
       "what may appear there (expected one of …)."),
    _C("E0003", "unexpected-end-of-input", "syntax",
       "意外的输入结束", "Unexpected end of input",
       "文件在一条规则或表达式尚未结束时就结束了，常见原因是缺少右括号或右花括号。",
       "The file ends before a rule or an expression is complete, usually because "
       "a closing parenthesis or brace is missing."),
    _C("E0004", "invalid-literal", "syntax",
       "无效的字面量", "Invalid literal",
       "日期、时间或数字字面量的写法无效，例如 2024-02-30 或 1.2.3。",
       "A date, time or number literal is malformed, e.g. 2024-02-30 or 1.2.3."),
    _C("E0005", "unreadable-source", "syntax",
       "无法读取规则文件", "Unreadable source",
       "规则文件无法读取或解码：文件不存在、不是 UTF-8 文本、是二进制文件或过大。",
       "A rule file cannot be read or decoded: it does not exist, is not UTF-8 "
       "text, is binary, or is too large."),
    _C("E0006", "too-deeply-nested", "syntax",
       "嵌套过深", "Too deeply nested",
       "表达式或括号嵌套层数超过上限；请拆分为多个定义。",
       "An expression or parenthesis nesting exceeds the limit; split it into "
       "several definitions."),
    # -- rulebook structure ---------------------------------------------------
    _C("E0101", "duplicate-rule", "rulebook",
       "规则编号重复", "Duplicate rule",
       "同一规则集中有两条规则使用了相同的编号。",
       "Two rules in one rulebook have the same id."),
    _C("E0102", "missing-clause", "rulebook",
       "缺少或重复的子句", "Missing or duplicate clause",
       "规则缺少必需的子句（例如没有“当”/when 条件），或同一子句写了两次。",
       "A rule lacks a required clause (e.g. no `当`/`when` condition), or has "
       "the same clause twice."),
    _C("E0103", "invalid-metadata", "rulebook",
       "无效的规则属性", "Invalid metadata",
       "规则的类别、环节、级别或结果类型不是允许的取值之一。",
       "A rule's category, stage, level or result type is not one of the "
       "allowed values."),
    _C("E0104", "duplicate-name", "rulebook",
       "名称重复声明", "Duplicate name",
       "同一作用域中的参数、局部定义（let）或共享定义（define）被声明了两次。",
       "A parameter, local (`let`) or shared definition (`define`) is declared "
       "twice in the same scope."),
    _C("E0105", "bad-include", "rulebook",
       "无效的引用文件", "Bad include",
       "被引用的文件不存在、位于规则集目录之外，或引用形成了循环。",
       "An included file does not exist, lies outside the rulebook folder, or "
       "the includes form a cycle."),
    _C("E0106", "unknown-override", "rulebook",
       "覆盖或停用的对象不存在", "Unknown override",
       "覆盖了不存在的参数，或停用了不存在的规则。",
       "An override names an unknown parameter, or a disable names an unknown rule."),
    # -- name resolution ------------------------------------------------------
    _C("E0201", "unknown-table", "name",
       "未知的表", "Unknown table",
       "引用的表（或知识库目录）不在数据模式中。",
       "The referenced table (or knowledge-base catalogue) is not in the schema."),
    _C("E0202", "unknown-field", "name",
       "未知的字段", "Unknown field",
       "表中没有这个字段（中文名或接口名都没有匹配）；诊断会给出相近的字段名。",
       "The table has no such field (neither its Chinese label nor its interface "
       "name matches); the diagnostic suggests close matches."),
    _C("E0203", "unknown-name", "name",
       "未知的名称", "Unknown name",
       "名称既不是局部定义、共享定义，也不是可用的记录。",
       "A name is neither a local nor a shared definition nor a record in scope."),
    _C("E0204", "unknown-parameter", "name",
       "未知的参数", "Unknown parameter",
       "引用的参数（参数.xxx / param.xxx）没有在规则集中声明。",
       "The referenced parameter (`参数.x` / `param.x`) is not declared in the rulebook."),
    _C("E0205", "unknown-function", "name",
       "未知的函数", "Unknown function",
       "调用了不存在的内置函数。",
       "A call names a built-in function that does not exist."),
    _C("E0206", "wrong-arity", "name",
       "参数个数错误", "Wrong number of arguments",
       "函数调用的实参个数与函数的定义不符。",
       "A function is called with the wrong number of arguments."),
    # -- types ----------------------------------------------------------------
    _C("E0301", "type-mismatch", "type",
       "类型不匹配", "Type mismatch",
       "运算或比较两侧的类型不兼容，例如把日期与金额相比较。",
       "The operands of an operation or comparison have incompatible types, "
       "e.g. a date compared with an amount."),
    _C("E0302", "condition-not-boolean", "type",
       "条件不是布尔值", "Condition not boolean",
       "“当”/when 条件或过滤条件的结果不是真/假。",
       "A `当`/`when` condition or a filter does not evaluate to true/false."),
    _C("E0303", "bad-parameter-value", "type",
       "参数值无效", "Bad parameter value",
       "参数的默认值或覆盖值与参数声明的类型不符。",
       "A parameter's default or override value does not match its declared type."),
    _C("E0304", "amount-not-numeric", "type",
       "违规金额不是数值", "Amount not numeric",
       "“违规金额”/amount 子句的表达式不是金额或数值。",
       "The `违规金额`/`amount` clause is not a money or numeric expression."),
    _C("E0305", "invalid-code-range", "type",
       "无效的编码范围", "Invalid code range",
       "编码范围的写法无效，或起点大于终点，例如 O9A–O00。",
       "A code range is malformed or its start is after its end, e.g. O9A–O00."),
    # -- scopes and aggregates ------------------------------------------------
    _C("E0401", "aggregate-without-group", "scope",
       "聚合缺少分组", "Aggregate without group",
       "在没有分组（就诊、就诊日、人员期间、机构月份等）的位置使用了聚合函数。",
       "An aggregate is used where there is no group (visit, visit-day, "
       "person-period, institution-month, …) to aggregate over."),
    _C("E0402", "ungrouped-field", "scope",
       "字段未分组", "Ungrouped field",
       "分组规则中，成员记录的字段只能在聚合函数内使用。",
       "In a group rule, a field of the member records may only be used inside "
       "an aggregate."),
    _C("E0403", "bad-scope", "scope",
       "作用范围无法产生输出", "Bad scope",
       "规则的作用范围（对每条/层级）无法到达所需的字段或产生所需的输出键。",
       "The rule's scope (for each / level) cannot reach the needed fields or "
       "produce the required output keys."),
    _C("E0404", "recursive-definition", "scope",
       "递归定义", "Recursive definition",
       "定义直接或间接地引用了自身。",
       "A definition refers to itself, directly or indirectly."),
    _C("E0405", "unknown-output-column", "scope",
       "未知的输出列", "Unknown output column",
       "证据或输出中列出的列不是违规结果中允许的列。",
       "An evidence or output clause names a column the violations output does "
       "not have."),
    # -- examples -------------------------------------------------------------
    _C("E0501", "bad-example", "example",
       "规则示例无效", "Bad example",
       "规则内嵌的示例表格式不正确，或其预期结果与规则不一致。",
       "A rule's embedded example table is malformed, or its expected firings "
       "do not match the rule."),
    # -- data files -----------------------------------------------------------
    _C("D0001", "missing-table", "data",
       "缺少数据表", "Missing table",
       "规则需要的数据表或知识库表在数据目录中不存在；诊断会列出需要它的规则。",
       "A claim or knowledge-base table that rules need is not in the data "
       "folder; the diagnostic lists the rules that need it."),
    _C("D0002", "missing-column", "data",
       "缺少数据列", "Missing column",
       "数据文件缺少数据约定要求的列。",
       "A data file lacks a column the data contract requires."),
    _C("D0003", "bad-value", "data",
       "数据值无效", "Bad value",
       "某行某列的值类型错误或无法解析，例如日期不是 YYYY-MM-DD 格式。",
       "A value in a row and column has the wrong type or cannot be parsed, "
       "e.g. a date not in YYYY-MM-DD form."),
    _C("D0004", "duplicate-key", "data",
       "主键重复", "Duplicate key",
       "数据表中两行的主键相同。",
       "Two rows of a table have the same key."),
    _C("D0005", "empty-file", "data",
       "数据文件为空", "Empty file",
       "数据文件为空，连表头都没有。",
       "A data file is empty, without even a header row."),
    _C("D0006", "unreadable-file", "data",
       "无法读取数据文件", "Unreadable file",
       "数据文件无法打开或解码（不是 Parquet/UTF-8 CSV，或已损坏）。",
       "A data file cannot be opened or decoded (not Parquet or UTF-8 CSV, or corrupt)."),
    # -- execution ------------------------------------------------------------
    _C("X0001", "execution-failed", "execution",
       "执行失败", "Execution failed",
       "已编译的执行计划在运行时失败；诊断会指出失败的步骤和规则。",
       "A compiled plan failed while running; the diagnostic names the failing "
       "step and rule."),
)  # fmt: skip


def _index(codes: tuple[ErrorCode, ...]) -> dict[str, ErrorCode]:
    """Index ``codes`` by code, checking formats, categories and uniqueness."""
    by_code: dict[str, ErrorCode] = {}
    names: set[str] = set()
    for c in codes:
        if not _CODE_RE.match(c.code) or not _NAME_RE.match(c.name):
            raise ValueError(f"malformed error code {c.code!r} / {c.name!r}")
        if c.category not in CATEGORIES:
            raise ValueError(f"{c.code}: unknown category {c.category!r}")
        if c.code in by_code or c.name in names:
            raise ValueError(f"duplicate error code {c.code!r} / {c.name!r}")
        by_code[c.code] = c
        names.add(c.name)
    return by_code


CODES: dict[str, ErrorCode] = _index(_ALL)
"""Every registered code, keyed by code (``E0201``), in catalogue order."""

_BY_NAME: dict[str, ErrorCode] = {c.name: c for c in _ALL}


def describe(code: str) -> ErrorCode:
    """Look up a registered code by its code (``E0201``) or its name (``unknown-table``).

    Args:
        code: A code such as ``E0201`` or a kebab-case name such as ``unknown-table``.

    Returns:
        The registered :class:`ErrorCode`.

    Raises:
        KeyError: If no such code or name is registered.

    Example:
        >>> describe("E0003").summary("en")
        'Unexpected end of input'
    """
    found = CODES.get(code) or _BY_NAME.get(code)
    if found is None:
        raise KeyError(f"unknown diagnostic code {code!r}")
    return found
