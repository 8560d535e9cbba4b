"""Words of the language that are not keywords: builtins and metadata values.

Each entry maps a canonical (English) name to its Chinese spellings.  The
parser stores canonical names in the tree; ``ruledsl fmt`` prints the spelling
of the chosen language.

Example:
    >>> canonical_function("求和"), canonical_function("sum"), canonical_function("foo")
    ('sum', 'sum', 'foo')
    >>> canonical_value("level", "明细")
    'fee'
"""

from __future__ import annotations

FUNCTIONS: dict[str, tuple[str, ...]] = {
    # aggregates (over a comprehension, or over the members of a group)
    "count": ("计数",),
    "sum": ("求和",),
    "min": ("最小",),
    "max": ("最大",),
    "avg": ("平均",),
    "count_distinct": ("去重计数",),
    "exists": ("存在",),
    "any": ("任一",),
    "all": ("全部",),
    "first": ("首条",),
    "last": ("末条",),
    "collect": ("收集",),
    "mode": ("众数",),
    "longest_run": ("最长连续",),
    # generators (the source of a binding)
    "dates": ("日期序列",),
    "range": ("序列",),
    # scalar functions
    "r2": ("r2",),
    "r4": ("r4",),
    "abs": ("绝对值",),
    "least": ("较小值",),
    "greatest": ("较大值",),
    "coalesce": ("取非空",),
    "age": ("周岁",),
    "age_days": ("日龄",),
    "date": ("日期",),
    "month": ("月份",),
    "month_start": ("月初",),
    "month_end": ("月末",),
    "icd3": ("icd3",),
    "normalize_code": ("规范编码",),
    "left": ("左取",),
    "length": ("长度",),
    "upper": ("大写",),
}

VALUES: dict[str, dict[str, tuple[str, ...]]] = {
    "level": {
        "fee": ("明细",),
        "visit": ("就诊",),
        "settlement": ("结算",),
        "person": ("参保人",),
        "institution": ("机构",),
        "doctor": ("医师",),
    },
    "stage": {"pre": ("事前",), "during": ("事中",), "post": ("事后",)},
    "result": {"definite": ("明确违规", "明确"), "suspicious": ("可疑",)},
    "severity": {"high": ("高",), "medium": ("中",), "low": ("低",)},
    "filter": {"sex": ("性别",), "money": ("金额",), "number": ("数值",)},
    "property": {"decreasing": ("递减",), "increasing": ("递增",)},
    "type": {
        "int": ("整数",),
        "float": ("小数", "数值"),
        "money": ("金额",),
        "str": ("文本",),
        "date": ("日期",),
        "bool": ("真假",),
        "set": ("集合",),
    },
}

CATEGORIES: tuple[str, ...] = ("诊疗项目类", "医保管理类", "临床诊断类", "药品类", "临床路径类")

_FUNC_ALIASES = {alias: name for name, zh in FUNCTIONS.items() for alias in zh}
_VALUE_ALIASES = {
    kind: {alias: name for name, zh in table.items() for alias in zh}
    for kind, table in VALUES.items()
}


def canonical_function(name: str) -> str:
    """The canonical name of a builtin spelled ``name``; unknown names unchanged."""
    if name in FUNCTIONS:
        return name
    if name.isascii() and name.lower() in FUNCTIONS:
        return name.lower()
    return _FUNC_ALIASES.get(name, _FUNC_ALIASES.get(name.lower(), name))


def canonical_value(kind: str, word: str) -> str:
    """The canonical form of a metadata word (``明细`` → ``fee``); unknown unchanged."""
    if word in VALUES[kind]:
        return word
    return _VALUE_ALIASES[kind].get(word, word)


def stage_name(word: str) -> str:
    """The canonical name (``pre``, ``during``, ``post``) of a stage spelled ``word``
    (``事前``, ``pre`` …); a ``ValueError`` naming the stages for any other word.

    Example:
        >>> stage_name("事前"), stage_name("post")
        ('pre', 'post')
    """
    name = canonical_value("stage", word)
    if name not in VALUES["stage"]:
        known = ", ".join(f"{zh[0]}/{en}" for en, zh in VALUES["stage"].items())
        raise ValueError(f"未知环节 {word!r}，可选：{known} / unknown stage {word!r}; "
                         f"choose one of {known}")
    return name


def spell_function(name: str, lang: str) -> str:
    """A builtin's name in ``lang``."""
    if lang == "zh" and name in FUNCTIONS:
        return FUNCTIONS[name][0]
    return name


def spell_value(kind: str, word: str, lang: str) -> str:
    """A metadata word in ``lang``."""
    if lang == "zh" and word in VALUES[kind]:
        return VALUES[kind][word][0]
    return word
