"""The claim-batch strategies reach what rules must be tested on: nulls, refunds, cancelled
rows, CJK text, boundary dates (each is found within a bounded number of draws)."""

from __future__ import annotations

import datetime as dt

import pyarrow.compute as pc
import pytest
from hypothesis import Phase, find, settings

from ruledsl.testing.data import claim_batches

LIMIT = settings(max_examples=300, database=None, phases=[Phase.generate])


def _has_null_time(b) -> bool:  # type: ignore[no-untyped-def]
    return b[0]["fee"].column("fee_ocur_time").null_count > 0


def _has_refund(b) -> bool:  # type: ignore[no-untyped-def]
    cnt = b[0]["fee"].column("cnt")
    return bool(pc.any(pc.less(cnt, 0)).as_py())


def _has_cancelled(b) -> bool:  # type: ignore[no-untyped-def]
    return "0" in b[0]["settlement"].column("vali_flag").to_pylist() \
        or "0" in b[0]["fee"].column("vali_flag").to_pylist()


def _has_cjk(b) -> bool:  # type: ignore[no-untyped-def]
    names = b[1]["drug"].column("drug_name").to_pylist()
    return any(n and any("\u4e00" <= ch <= "\u9fff" for ch in n) for n in names)


def _has_month_end(b) -> bool:  # type: ignore[no-untyped-def]
    times = b[0]["visit"].column("begntime").to_pylist()
    return any(t and (t + dt.timedelta(days=1)).day == 1 for t in times)


@pytest.mark.parametrize("feature", [_has_null_time, _has_refund, _has_cancelled, _has_cjk,
                                     _has_month_end], ids=lambda f: f.__name__[5:])
def test_strategies_reach(feature) -> None:  # type: ignore[no-untyped-def]
    assert feature(find(claim_batches(), feature, settings=LIMIT))
