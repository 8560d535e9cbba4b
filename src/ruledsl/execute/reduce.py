"""Grouped reductions: one aggregate value per group, vectorised.

``group`` gives each element its group (``0 … n_groups-1``); elements are the
rows an aggregate kept.  Empty groups get the aggregate of the empty set:
``count``/``sum``/``count_distinct``/``longest_run`` 0, ``exists``/``any``
FALSE, ``all`` TRUE, ``collect`` an empty list, the rest null.

Example:
    >>> v = Vec(np.array([1.0, 2.0, 5.0]), None, FLOAT)
    >>> reduce("sum", np.array([0, 0, 2]), 3, v).values.tolist()
    [3.0, 0.0, 5.0]
"""

from __future__ import annotations

import attrs
import numpy as np

from ..types import BOOL, FLOAT, INT, MONEY, STR, DataType, ListType
from .vec import ListVec, Vec, dense_span, factorize, lexsort

_EMPTY_ZERO = ("count", "sum", "count_distinct", "longest_run")


def reduce(func: str, group: np.ndarray, n_groups: int, value: Vec | None,
           order: list[tuple[Vec, bool]] | None = None, tie: np.ndarray | None = None,
           dtype: DataType | None = None) -> Vec | ListVec:
    """Reduce ``value`` (or the elements themselves) per group.

    Args:
        func: the aggregate name.
        group: group of each element.
        n_groups: number of groups.
        value: the aggregated values (``None`` for ``count``/``exists``).
        order: sort keys ``(vec, descending)`` for ``first``/``last``/``collect``.
        tie: final tie-break key (natural order) for ordered aggregates.
        dtype: the result type (needed for sums of empty groups).
    """
    if func == "count":
        return Vec(np.bincount(group, minlength=n_groups).astype(np.int64), None, INT)
    if func == "exists":
        return Vec(np.bincount(group, minlength=n_groups) > 0, None, BOOL)
    assert value is not None
    valid = value.valid_mask()
    if func == "sum":
        g, v = group[valid], value.values[valid]
        sums = np.bincount(g, weights=v.astype(np.float64, copy=False), minlength=n_groups)
        if value.dtype == INT:
            return Vec(np.round(sums).astype(np.int64), None, INT)
        return Vec(sums, None, dtype or value.dtype)
    if func == "avg":
        g, v = group[valid], value.values[valid].astype(np.float64, copy=False)
        sums = np.bincount(g, weights=v, minlength=n_groups)
        counts = np.bincount(g, minlength=n_groups)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = sums / np.maximum(counts, 1)
        return Vec(means, counts > 0, MONEY if value.dtype == MONEY else FLOAT)
    if func in ("any", "all"):
        truth = value.true_mask()
        if func == "any":
            return Vec(np.bincount(group[truth], minlength=n_groups) > 0, None, BOOL)
        return Vec(np.bincount(group[~truth], minlength=n_groups) == 0, None, BOOL)
    if func in ("min", "max"):
        return _extreme(func, group[valid], n_groups, value, valid)
    if func in PAIR_AGGREGATES:
        return PairCounts.of(group, value).reduce(func, n_groups, value)
    if func in ("first", "last"):
        pick = _pick(func, group, n_groups, order or [], tie)
        return value.take(pick)
    if func == "collect":
        keys = _sort_keys(order or [], tie)
        sorter = lexsort([*keys, group]) if len(group) else np.zeros(0, dtype=np.int64)
        counts = np.bincount(group, minlength=n_groups)
        offsets = np.zeros(n_groups + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        return ListVec(offsets, value.take(sorter), ListType(value.dtype))
    raise NotImplementedError(func)  # pragma: no cover - the checker admits no other names


def _extreme(func: str, group: np.ndarray, n_groups: int, value: Vec, valid: np.ndarray) -> Vec:
    v = value.values[valid]
    present = np.bincount(group, minlength=n_groups) > 0
    if len(v) == 0:
        return Vec(np.zeros(n_groups, dtype=value.values.dtype), present, value.dtype,
                   value.dictionary)
    if value.values.dtype == np.float64:
        init = np.inf if func == "min" else -np.inf
        out = np.full(n_groups, init)
    else:
        info = np.iinfo(np.int64)
        out = np.full(n_groups, info.max if func == "min" else info.min, dtype=np.int64)
        v = v.astype(np.int64)
    (np.minimum if func == "min" else np.maximum).at(out, group, v)
    out = np.where(present, out, 0).astype(value.values.dtype)
    return Vec(out, present, value.dtype, value.dictionary)


def _sort_keys(order: list[tuple[Vec, bool]], tie: np.ndarray | None) -> list[np.ndarray]:
    """lexsort keys (last key is primary) for ascending/descending with nulls last."""
    keys: list[np.ndarray] = []
    if tie is not None:
        keys.append(tie)
    for vec, descending in reversed(order):
        valid = vec.valid_mask()
        values = vec.values
        if values.dtype == bool:
            values = values.astype(np.int64)
        values = np.where(valid, values, 0)  # nulls tie among themselves, whatever lies under them
        keys.append(-values if descending else values)
        keys.append(~valid)
    return keys


def _pick(func: str, group: np.ndarray, n_groups: int, order: list[tuple[Vec, bool]],
          tie: np.ndarray | None) -> np.ndarray:
    """Index of the first/last element of each group in sort order (-1 for empty groups)."""
    pick = np.full(n_groups, -1, dtype=np.int64)
    if len(group) == 0:
        return pick
    sorter = lexsort([*_sort_keys(order, tie), group])
    sorted_groups = group[sorter]
    if func == "first":
        boundary = np.ones(len(sorter), dtype=bool)
        boundary[1:] = sorted_groups[1:] != sorted_groups[:-1]
    else:
        boundary = np.ones(len(sorter), dtype=bool)
        boundary[:-1] = sorted_groups[1:] != sorted_groups[:-1]
    pick[sorted_groups[boundary]] = sorter[boundary]
    return pick


PAIR_AGGREGATES = ("count_distinct", "mode")
"""The aggregates read off how often each (group, value) pair occurs (:class:`PairCounts`)."""


@attrs.frozen
class PairCounts:
    """Each distinct (group, value) pair of non-null values, with how often it occurs: what
    ``count_distinct`` and ``mode`` are read from. Pairs are one integer each, sorted once
    (a presence table when their span is small); a rule asking both of the same values
    counts them once (3M lines, YP-12: 3.0M members, 112k distinct pairs, which
    ``np.unique(return_counts=True)`` and ``np.unique`` had each sorted).

    Example:
        >>> pc = PairCounts.of(np.array([0, 0, 1, 0]), Vec(np.array([5, 7, 5, 5]), None, INT))
        >>> pc.reduce("count_distinct", 2, None).values.tolist()
        [2, 1]
    """

    groups: np.ndarray
    """The group of each distinct pair, increasing."""
    codes: np.ndarray
    """Its value, as an offset into :attr:`decode`."""
    counts: np.ndarray
    decode: np.ndarray

    @classmethod
    def of(cls, group: np.ndarray, value: Vec) -> PairCounts:
        """The pairs of ``group`` and the non-null ``value`` of each element."""
        valid = value.valid_mask()
        combined, width, decode = _pair_codes(group[valid], value.values[valid])
        dense = dense_span(combined)
        if dense is not None:
            low, span = dense
            tally = np.bincount(combined - low, minlength=span)
            pairs = np.flatnonzero(tally)
            counts = tally[pairs]
            pairs += low
        else:
            ordered = np.sort(combined)
            starts = np.flatnonzero(ordered[1:] != ordered[:-1]) + 1
            starts = np.concatenate(([0], starts)) if len(ordered) else starts
            pairs = ordered[starts]
            counts = np.diff(np.append(starts, len(ordered)))
        return cls(pairs // width, pairs % width, counts, decode)

    def reduce(self, func: str, n_groups: int, value: Vec | None) -> Vec:
        """``count_distinct`` (values per group) or ``mode`` (per group, its most frequent
        value, the smallest of those tied; null for a group with no value)."""
        if func == "count_distinct":
            return Vec(np.bincount(self.groups, minlength=n_groups).astype(np.int64), None, INT)
        assert value is not None and func == "mode"
        out = Vec(np.zeros(n_groups, dtype=value.values.dtype), np.zeros(n_groups, dtype=bool),
                  value.dtype, value.dictionary)
        g = self.groups
        if len(g) == 0:
            return out
        # the pairs come by group, then value: each group's first pair of its highest
        # count is its mode (no second sort)
        starts = np.flatnonzero(np.concatenate(([True], g[1:] != g[:-1])))
        highest = np.repeat(np.maximum.reduceat(self.counts, starts),
                            np.diff(np.append(starts, len(g))))
        candidates = np.flatnonzero(self.counts == highest)
        cg = g[candidates]
        chosen = candidates[np.concatenate(([True], cg[1:] != cg[:-1]))]
        out.values[g[chosen]] = self.decode[self.codes[chosen]].astype(value.values.dtype)
        assert out.valid is not None
        out.valid[g[chosen]] = True
        return out


def _pair_codes(group: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, int, np.ndarray]:
    """One int64 per (group, value) pair, ordered like the pairs; and the value of each code
    (the distinct values, not their span: quantities a billion apart need two codes)."""
    uniq, codes = factorize(values)
    width = max(len(uniq), 1)
    return group.astype(np.int64) * width + codes, width, uniq


def longest_runs(group: np.ndarray, n_groups: int, flags: np.ndarray) -> Vec:
    """Longest run of consecutive TRUE ``flags`` per group (elements in sequence order).

    Example:
        >>> longest_runs(np.array([0, 0, 0, 1, 1]), 2, np.array([1, 1, 0, 1, 0], bool)).values.tolist()
        [2, 1]
    """
    out = np.zeros(n_groups, dtype=np.int64)
    if len(flags) == 0:
        return Vec(out, None, INT)
    start = np.ones(len(flags), dtype=bool)
    start[1:] = (group[1:] != group[:-1]) | ~flags[:-1]
    run_id = np.cumsum(start) - 1
    lengths = np.bincount(run_id, weights=flags.astype(np.float64)).astype(np.int64)
    run_group = group[start]
    np.maximum.at(out, run_group, lengths)
    return Vec(out, None, INT)


def collect_distinct_strings(lists: ListVec) -> tuple[np.ndarray, Vec]:
    """Per list: distinct non-null strings sorted by code (the ``lines`` of a firing)."""
    n = len(lists)
    counts = np.diff(lists.offsets)
    owner = np.repeat(np.arange(n), counts)
    items = lists.items
    keep = items.valid_mask()
    owner, codes = owner[keep], items.values[keep]
    if len(codes):
        sorter = lexsort([codes, owner])
        owner, codes = owner[sorter], codes[sorter]
        distinct = np.ones(len(codes), dtype=bool)
        distinct[1:] = (owner[1:] != owner[:-1]) | (codes[1:] != codes[:-1])
        owner, codes = owner[distinct], codes[distinct]
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(owner, minlength=n), out=offsets[1:])
    return offsets, Vec(codes.astype(np.int64), None, STR, items.dictionary)
