"""Scalar semantics of the rule language, as small pure functions.

These functions are the definition of the builtins (``rules-46.md`` §0.3–§0.5)
and of message formatting (§0.7.5, §0.10.16).  The reference interpreter calls
them value by value; the vectorised engine must produce the same results (its
message formatting reuses :func:`format_value`).

Value representation (the same in both executions):

* dates are ``int`` days since 1970-01-01;
* timestamps are ``int`` seconds since 1970-01-01 00:00:00 (naive local time,
  so ``date(ts) = floor(ts / 86400)``);
* calendar months are ``int`` months since 1970-01
  (``month(d) = (year - 1970) * 12 + month - 1``);
* durations are seconds; null is ``None``.

Every function returns ``None`` when an argument is ``None``.

Example:
    >>> r2(2.675), r2(-0.125), r4(1.00005)
    (2.68, -0.13, 1.0001)
    >>> d = days_from_date(dt.date(2025, 3, 1))
    >>> age(days_from_date(dt.date(2010, 3, 1)), d), format_value(d, "date")
    (15, '2025-03-01')
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from typing import Any

__all__ = [
    "EPOCH",
    "FORMATS",
    "age",
    "age_days",
    "date_from_days",
    "date_of_ts",
    "datetime_from_ts",
    "days_from_date",
    "format_value",
    "icd3",
    "in_code_range",
    "month_end",
    "month_from_date",
    "month_of_days",
    "month_start",
    "normalize_code",
    "r2",
    "r4",
    "round_half_away",
    "sex_label",
    "ts_from_datetime",
]

EPOCH = dt.date(1970, 1, 1)
_EPOCH_TS = dt.datetime(1970, 1, 1)
_DAY = 86400

FORMATS = ("str", "int", "number", "money", "date", "ts", "month", "bool", "sex", "list")
"""Placeholder formats of :class:`ruledsl.ir.Template`."""


# ------------------------------------------------------------------ rounding --
def round_half_away(x: float | int | None, digits: int) -> float | None:
    """``sign(x) · floor(|x| · 10^digits + 0.5 + 1e-6) / 10^digits`` (rules-46 §0.5).

    Example:
        >>> round_half_away(0.125, 2), round_half_away(-1.5, 0), round_half_away(0.0, 2)
        (0.13, -2.0, 0.0)
    """
    if x is None:
        return None
    scale = 10**digits
    magnitude = math.floor(abs(x) * scale + 0.5 + 1e-6) / scale
    if magnitude == 0:
        return 0.0
    return magnitude if x > 0 else -magnitude


def r2(x: float | int | None) -> float | None:
    """Round to 0.01, half away from zero, guarded by 1e-6 (money).

    Example:
        >>> r2(1.005), r2(-1.005), r2(0.1 + 0.2), r2(-0.001)
        (1.01, -1.01, 0.3, 0.0)
    """
    return round_half_away(x, 2)


def r4(x: float | int | None) -> float | None:
    """Round to 0.0001, half away from zero, guarded by 1e-6 (quantities).

    Example:
        >>> r4(2.00005), r4(1 / 3), r4(3)
        (2.0001, 0.3333, 3.0)
    """
    return round_half_away(x, 4)


# ------------------------------------------------------------- dates & times --
def days_from_date(value: dt.date | None) -> int | None:
    """A calendar date as days since 1970-01-01.

    Example:
        >>> days_from_date(dt.date(1970, 1, 2)), days_from_date(dt.date(1969, 12, 31))
        (1, -1)
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    return (value - EPOCH).days


def date_from_days(days: int | None) -> dt.date | None:
    """Days since 1970-01-01 as a calendar date.

    Example:
        >>> date_from_days(0), date_from_days(20148)
        (datetime.date(1970, 1, 1), datetime.date(2025, 3, 1))
    """
    if days is None:
        return None
    return EPOCH + dt.timedelta(days=int(days))


def ts_from_datetime(value: dt.datetime | None) -> int | None:
    """A naive timestamp as whole seconds since 1970-01-01 00:00:00.

    Example:
        >>> ts_from_datetime(dt.datetime(1970, 1, 2, 0, 0, 1))
        86401
    """
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    return int((value.replace(tzinfo=None) - _EPOCH_TS).total_seconds() // 1)


def datetime_from_ts(seconds: int | float | None) -> dt.datetime | None:
    """Seconds since 1970-01-01 00:00:00 as a naive timestamp.

    Example:
        >>> datetime_from_ts(86401)
        datetime.datetime(1970, 1, 2, 0, 0, 1)
    """
    if seconds is None:
        return None
    return _EPOCH_TS + dt.timedelta(seconds=int(math.floor(seconds)))


def date_of_ts(seconds: int | float | None) -> int | None:
    """``date(ts)``: the day of a timestamp, ``floor(ts / 86400)``.

    Example:
        >>> date_of_ts(86399), date_of_ts(86400), date_of_ts(-1)
        (0, 1, -1)
    """
    if seconds is None:
        return None
    return int(math.floor(seconds / _DAY))


def month_from_date(value: dt.date) -> int:
    """The month of a calendar date, counted from 1970-01 (= 0)."""
    return (value.year - 1970) * 12 + value.month - 1


def month_of_days(days: int | None) -> int | None:
    """``month(d)`` for a date given as days.

    Example:
        >>> month_of_days(days_from_date(dt.date(2025, 3, 31)))
        662
    """
    if days is None:
        return None
    return month_from_date(date_from_days(days))  # type: ignore[arg-type]


def _month_date(month: int) -> dt.date:
    year, index = divmod(int(month), 12)
    return dt.date(1970 + year, index + 1, 1)


def month_start(month: int | None) -> int | None:
    """The first day (as days) of a month.

    Example:
        >>> date_from_days(month_start(662))
        datetime.date(2025, 3, 1)
    """
    if month is None:
        return None
    return days_from_date(_month_date(month))


def month_end(month: int | None) -> int | None:
    """The last day (as days) of a month.

    Example:
        >>> date_from_days(month_end(661)), date_from_days(month_end(659))
        (datetime.date(2025, 2, 28), datetime.date(2024, 12, 31))
    """
    if month is None:
        return None
    return month_start(int(month) + 1) - 1  # type: ignore[operator]


def age(birth: int | None, at: int | None) -> int | None:
    """Age in whole years at ``at`` (both dates as days), rules-46 §0.4.5.

    A 29 February birthday is completed on 1 March in common years.

    Example:
        >>> b = days_from_date(dt.date(2016, 2, 29))
        >>> age(b, days_from_date(dt.date(2025, 2, 28))), age(b, days_from_date(dt.date(2025, 3, 1)))
        (8, 9)
    """
    if birth is None or at is None:
        return None
    b, a = date_from_days(birth), date_from_days(at)
    assert a is not None and b is not None
    before_birthday = (a.month, a.day) < (b.month, b.day)
    return a.year - b.year - (1 if before_birthday else 0)


def age_days(birth: int | None, at: int | None) -> int | None:
    """Age in days: ``at - birth``.

    Example:
        >>> age_days(10, 38)
        28
    """
    if birth is None or at is None:
        return None
    return at - birth


# --------------------------------------------------------------------- codes --
def normalize_code(code: str | None) -> str | None:
    """Upper-case, every U+0020 space removed (§0.3.1, §0.10.4).

    Example:
        >>> normalize_code(" i63. 900"), normalize_code("A\\u3000B")
        ('I63.900', 'A\\u3000B')
    """
    if code is None:
        return None
    return code.upper().replace(" ", "")


def icd3(code: str | None) -> str | None:
    """The first 3 characters of the normalised code.

    Example:
        >>> icd3("o 80.001"), icd3("a0")
        ('O80', 'A0')
    """
    norm = normalize_code(code)
    return None if norm is None else norm[:3]


def in_code_range(code: str | None, low: str | None, high: str | None) -> bool | None:
    """``code`` lies in ``[low, high]`` with code_set semantics (contract §3).

    All three are normalised; TRUE when ``low <= code[:len(low)]`` and
    ``code[:len(high)] <= high`` (string order, by code point).

    Example:
        >>> in_code_range("O99.812", "O00", "O99"), in_code_range("e11.21", "E11.2", "E11.2")
        (True, True)
        >>> in_code_range("P00", "O00", "O9A"), in_code_range(None, "A", "B")
        (False, None)
    """
    c, lo, hi = normalize_code(code), normalize_code(low), normalize_code(high)
    if c is None or lo is None or hi is None:
        return None
    return lo <= c[: len(lo)] and c[: len(hi)] <= hi


# ---------------------------------------------------------------- formatting --
SEX_LABELS = {"1": "男", "2": "女"}


def sex_label(code: Any) -> str:
    """The ``|sex`` filter: ``'1'`` → 男, ``'2'`` → 女, anything else → the code; null → "".

    Example:
        >>> sex_label("1"), sex_label("2"), sex_label("9"), sex_label(None)
        ('男', '女', '9', '')
    """
    if code is None:
        return ""
    text = code if isinstance(code, str) else str(code)
    return SEX_LABELS.get(text, text)


def _number(value: float | int) -> str:
    rounded = r4(value)
    assert rounded is not None
    text = f"{rounded + 0.0:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_value(value: Any, fmt: str, item_fmt: str = "str") -> str:
    """Format one placeholder value of a message template (§0.7.5, §0.10.16).

    Args:
        value: The value (dates as days, timestamps as seconds, months as
            months since 1970-01, lists as tuples); ``None`` prints as "".
        fmt: One of :data:`FORMATS`: ``money`` (r2, exactly two decimals),
            ``number`` (r4, trailing zeros and point cut), ``int`` (decimal),
            ``date`` (``YYYY-MM-DD``), ``ts`` (``YYYY-MM-DD HH:MM:SS``),
            ``month`` (``YYYY-MM``), ``bool`` (是/否), ``sex`` (男/女/the code),
            ``str``, ``list`` (items formatted with ``item_fmt``, joined by ",").
        item_fmt: The format of the items of a ``list``.

    Example:
        >>> format_value(1234.5, "money"), format_value(-0.001, "money"), format_value(7.0, "number")
        ('1234.50', '0.00', '7')
        >>> format_value(0.50004, "number"), format_value(20148, "date"), format_value(None, "int")
        ('0.5', '2025-03-01', '')
        >>> format_value(662, "month"), format_value(0, "ts"), format_value(True, "bool")
        ('2025-03', '1970-01-01 00:00:00', '是')
        >>> format_value(("F1", None, "F2"), "list"), format_value((20148, 20149), "list", "date")
        ('F1,,F2', '2025-03-01,2025-03-02')
    """
    if value is None:
        return ""
    if fmt == "list":
        items: Iterable[Any] = value if isinstance(value, tuple | list) else (value,)
        return ",".join(format_value(item, item_fmt) for item in items)
    if fmt == "money":
        rounded = r2(value)
        assert rounded is not None
        return f"{rounded + 0.0:.2f}"
    if fmt == "number":
        return _number(value)
    if fmt == "int":
        if isinstance(value, bool):
            return str(int(value))
        if isinstance(value, float):
            return str(int(value)) if value.is_integer() else _number(value)
        return str(value)
    if fmt == "date":
        day = date_from_days(value) if not isinstance(value, dt.date) else value
        assert day is not None
        return day.isoformat()
    if fmt == "ts":
        moment = datetime_from_ts(value) if not isinstance(value, dt.datetime) else value
        assert moment is not None
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    if fmt == "month":
        first = _month_date(value)
        return f"{first.year:04d}-{first.month:02d}"
    if fmt == "bool":
        return "是" if value else "否"
    if fmt == "sex":
        return sex_label(value)
    return value if isinstance(value, str) else str(value)
