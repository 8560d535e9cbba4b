"""Grouped reductions (:mod:`ruledsl.execute.reduce`) against plain Python."""

from __future__ import annotations

import contextlib
from collections import Counter
from unittest import mock

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from ruledsl.execute import reduce as reduce_module
from ruledsl.execute.reduce import PairCounts, reduce
from ruledsl.execute.vec import Vec
from ruledsl.types import FLOAT, INT

_VALUES = st.one_of(st.integers(-3, 3), st.integers(-(2**40), 2**40))
_ELEMENTS = st.lists(st.tuples(st.integers(0, 6), _VALUES, st.booleans()), max_size=120)


def _expected(elements: list[tuple[int, int, bool]], n_groups: int
              ) -> tuple[list[int], list[int | None]]:
    """Distinct non-null values per group, and the most frequent (smallest of those tied)."""
    per_group: list[Counter[int]] = [Counter() for _ in range(n_groups)]
    for g, v, ok in elements:
        if ok:
            per_group[g][v] += 1
    modes = [min(c, key=lambda v: (-c[v], v)) if c else None for c in per_group]
    return [len(c) for c in per_group], modes


@given(_ELEMENTS, st.booleans(), st.booleans())
def test_count_distinct_and_mode_are_read_off_the_pair_counts(
        elements: list[tuple[int, int, bool]], floats: bool, sort: bool) -> None:
    """Pairs in a small span are counted in a presence table; ``sort`` sorts them, as pairs
    of a wide span are (a few hundred elements never span that wide)."""
    n_groups = 7
    group = np.array([g for g, _, _ in elements], dtype=np.int64)
    values = np.array([v for _, v, _ in elements], dtype=np.float64 if floats else np.int64)
    value = Vec(values, np.array([ok for _, _, ok in elements], dtype=bool), FLOAT if floats else INT)
    distinct_counts, modes = _expected(elements, n_groups)
    with mock.patch.object(reduce_module, "dense_span", lambda _: None) if sort \
            else contextlib.nullcontext():
        pairs = PairCounts.of(group, value)
    for got in (pairs.reduce("count_distinct", n_groups, value),
                reduce("count_distinct", group, n_groups, value)):
        assert got.values.tolist() == distinct_counts
    for got in (pairs.reduce("mode", n_groups, value), reduce("mode", group, n_groups, value)):
        assert [v if ok else None for v, ok in zip(got.values.tolist(), got.valid_mask().tolist(),
                                                   strict=True)] == modes
