"""The keyword table: every keyword in Chinese and in English.

The grammar declares keyword terminals without spelling them; the lexer reads
every word as ``NAME`` and :func:`keyword_type` retypes the words listed here.
English keywords are matched case-insensitively; multi-word English keywords
(``for each``, ``order by``, ``is not null`` …) are joined by the post-lexer.
The first spelling of each language is the canonical one that ``ruledsl fmt``
writes.

Example:
    >>> keyword_type("规则"), keyword_type("Rule"), keyword_type("规则名")
    ('RULE', 'RULE', None)
    >>> spell("WHERE", "zh"), spell("WHERE", "en")
    ('满足', 'where')
"""

from __future__ import annotations

KEYWORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # terminal: ((Chinese spellings…), (English spellings…))
    "RULEBOOK": (("规则库",), ("rulebook",)),
    "INCLUDE": (("包含",), ("include",)),
    "EXTENDS": (("继承",), ("extends",)),
    "OVERRIDE": (("覆盖",), ("override",)),
    "DISABLE": (("停用",), ("disable",)),
    "PARAM": (("参数",), ("param",)),
    "DEFINE": (("定义",), ("define",)),
    "RULE": (("规则",), ("rule",)),
    "CATEGORY": (("类别",), ("category",)),
    "RESULT": (("结果类型",), ("result",)),
    "STAGES": (("环节",), ("stages",)),
    "LEVEL": (("层级",), ("level",)),
    "SEVERITY": (("严重程度",), ("severity",)),
    "EFFECTIVE": (("生效",), ("effective",)),
    "TO": (("至",), ("to",)),
    "ENABLED": (("启用",), ("enabled",)),
    "SOURCE": (("依据",), ("source",)),
    "DESCRIPTION": (("说明",), ("description",)),
    "FOREACH": (("对每条", "对每个"), ("for each",)),
    "FOREACHGROUP": (("对每组",), ("for each group of",)),
    "WHERE": (("满足",), ("where",)),
    "BY": (("按",), ("by",)),
    "AS": (("记为",), ("as",)),
    "LET": (("令",), ("let",)),
    "WHEN": (("当",), ("when",)),
    "AMOUNT": (("违规金额",), ("amount",)),
    "MESSAGE": (("提示",), ("message",)),
    "OUTPUT": (("输出",), ("output",)),
    "LINES": (("明细行",), ("lines",)),
    "EXAMPLE": (("示例",), ("example",)),
    "PROPERTY": (("性质",), ("property",)),
    "EXPECT": (("预期",), ("expect",)),
    "NONE": (("无",), ("none",)),
    "IF": (("若", "如果"), ("if",)),
    "THEN": (("则",), ("then",)),
    "ELSE": (("否则",), ("else",)),
    "OR": (("或",), ("or",)),
    "AND": (("且", "与", "并且"), ("and",)),
    "NOT": (("非",), ("not",)),
    "IN": (("在",), ("in",)),
    "NOTIN": (("不在",), ("not in",)),
    "BETWEEN": (("介于",), ("between",)),
    "SAME": (("等同",), ("same as",)),
    "ISNULL": (("为空",), ("is null",)),
    "ISNOTNULL": (("不为空",), ("is not null",)),
    "BEFORE": (("早于",), ("before",)),
    "AFTER": (("晚于",), ("after",)),
    "INCODESET": (("在编码集",), ("in code_set",)),
    "INCODERANGE": (("在编码范围",), ("in code_range",)),
    "NOTEXISTS": (("不存在",), ("not exists",)),
    "CASE": (("情形",), ("case",)),
    "END": (("结束",), ("end",)),
    "FOR": (("对于",), ("for",)),
    "ORDERBY": (("排序",), ("order by",)),
    "ASC": (("升序",), ("asc",)),
    "DESC": (("降序",), ("desc",)),
    "TRUE": (("真", "是"), ("true", "yes")),
    "FALSE": (("假", "否"), ("false", "no")),
    "NULL": (("空",), ("null",)),
}

UNITS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # duration unit: (Chinese, English); the value is a UNIT token
    "day": (("天",), ("days", "day")),
    "hour": (("小时",), ("hours", "hour")),
    "minute": (("分钟",), ("minutes", "minute")),
    "second": (("秒",), ("seconds", "second")),
}
UNIT_SECONDS = {"day": 86400, "hour": 3600, "minute": 60, "second": 1}

_SINGLE: dict[str, str] = {}
_MULTI: dict[tuple[str, ...], str] = {}
for _type, (_zh, _en) in KEYWORDS.items():
    for _word in _zh:
        _SINGLE[_word] = _type
    for _word in _en:
        parts = tuple(_word.split())
        if len(parts) == 1:
            _SINGLE[parts[0]] = _type
        else:
            _MULTI[parts] = _type
_UNIT_WORDS: dict[str, str] = {}
for _unit, (_zh, _en) in UNITS.items():
    for _word in (*_zh, *_en):
        _UNIT_WORDS[_word] = _unit

MULTI_WORD: dict[tuple[str, ...], str] = dict(sorted(_MULTI.items(), key=lambda kv: -len(kv[0])))
"""Multi-word English keywords, longest first."""


def keyword_type(word: str) -> str | None:
    """The keyword terminal a single word spells, or ``None``."""
    return _SINGLE.get(word) or _SINGLE.get(word.lower()) if word.isascii() else _SINGLE.get(word)


def unit_of(word: str) -> str | None:
    """The duration unit a word spells (``天`` → ``day``), or ``None``."""
    return _UNIT_WORDS.get(word if not word.isascii() else word.lower())


def spell(terminal: str, lang: str) -> str:
    """The canonical spelling of a keyword terminal in ``lang``."""
    zh, en = KEYWORDS[terminal]
    return en[0] if lang == "en" else zh[0]


def spell_unit(unit: str, lang: str) -> str:
    """The canonical spelling of a duration unit in ``lang``."""
    zh, en = UNITS[unit]
    return en[0] if lang == "en" else zh[0]


def describe(terminal: str, lang: str = "zh") -> str:
    """Words for a terminal in error messages, e.g. ``“当”/“when”`` or ``名称``/``a name``."""
    if terminal in KEYWORDS:
        zh, en = KEYWORDS[terminal]
        return f"“{zh[0]}”/“{en[0]}”"
    if terminal in WORDS:
        return WORDS[terminal][1 if lang == "en" else 0]
    return PUNCTUATION.get(terminal, terminal.lower())


WORDS: dict[str, tuple[str, str]] = {
    # terminal: (Chinese, English)
    "NAME": ("名称", "a name"),
    "STRING": ("字符串", "text"),
    "INT": ("整数", "an integer"),
    "DECIMAL": ("小数", "a decimal"),
    "DATE": ("日期", "a date"),
    "TIMESTAMP": ("时间", "a date-time"),
    "UNIT": ("时间单位（天/小时/分钟）", "a time unit (days/hours/minutes)"),
    "COMP_OP": ("比较符", "a comparison"),
    "MUL_OP": ("“*”或“/”", "“*” or “/”"),
    "$END": ("文件结尾", "the end of the file"),
}

PUNCTUATION: dict[str, str] = {
    "EQ": "“=”",
    "LT": "“<”",
    "GT": "“>”",
    "PLUS": "“+”",
    "MINUS": "“-”",
    "_LPAR": "“(”",
    "_RPAR": "“)”",
    "_LBRACKET": "“[”",
    "_RBRACKET": "“]”",
    "_LBRACE": "“{”",
    "_RBRACE": "“}”",
    "_COMMA": "“,”",
    "_COLON": "“:”",
    "_DOT": "“.”",
}
