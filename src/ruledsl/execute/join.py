"""Decorrelating aggregates: joins on keys, sorted ranges, pairs, reductions.

An aggregate ``f(… 对于 T y 满足 C)`` evaluated for every row of a frame is a
join of the frame with ``T`` on ``C`` followed by a grouped reduction.  The
conjuncts of ``C`` are sorted into:

* **inner** conjuncts (about ``y`` only): a candidate filter, computed once per
  batch over the whole table and shared by every rule;
* **outer** conjuncts (not about ``y``): rows of the frame that can match at all;
* **keys** ``g(y) = h(outer)``: hash-join keys (factorised to integer codes);
* one **range** on an inner expression ``g(y) < h(outer)`` (several bounds on the
  same expression, including ``y 早于 L`` on the table's natural order): a
  ``searchsorted`` slice of the candidates sorted by (key, g);
* the **residual**: evaluated on the (outer, inner) pairs.

Fast paths need no pairs: ``count``/``exists``/``sum`` from the slices, and any
aggregate with keys only is reduced once per key and gathered.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np

from .. import ir
from ..errors import ExecutionError
from ..types import BOOL, STR, RowType
from .frames import Frame
from .reduce import longest_runs, reduce
from .vec import ListVec, Vec, expand_ranges, unify_strings
from .vector import MAX_PAIRS, Evaluator, canonical, conjuncts

RANK = "$rank"
"""Marker of a range on the natural order (from ``早于``/``晚于``)."""


@attrs.define
class Analysis:
    """How one aggregate's condition splits."""

    inner: list[ir.Expr]
    outer: list[ir.Expr]
    keys: list[tuple[ir.Expr, ir.Expr]]
    range_expr: ir.Expr | str | None
    bounds: list[tuple[str, ir.Expr]]
    """``(op, outer expr)`` meaning ``range_expr op outer``."""
    residual: list[ir.Expr]


_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


def analyse(var: str, conds: list[ir.Expr]) -> Analysis:
    """Split conjuncts into inner filters, outer filters, keys, one range, and a residual."""
    out = Analysis([], [], [], None, [], [])
    ranges: list[tuple[ir.Expr | str, str, ir.Expr, ir.Expr]] = []
    for cond in conds:
        free = ir.free_vars(cond)
        if free <= {var} and not ir.uses_group(cond):
            out.inner.append(cond)
            continue
        if var not in free:
            out.outer.append(cond)
            continue
        split = _sides(var, cond)
        if split is not None:
            inner, op, outer = split
            if op == "=":
                out.keys.append((inner, outer))
                continue
            if op in _FLIP and (inner == RANK or _rangeable(inner)):
                ranges.append((inner, op, outer, cond))
                continue
        out.residual.append(cond)
    if ranges:
        chosen = ranges[0][0]
        for inner, op, outer, cond in ranges:
            if inner == chosen:
                out.bounds.append((op, outer))
            else:
                out.residual.append(cond)
        out.range_expr = chosen
    return out


def _rangeable(expr: ir.Expr | str) -> bool:
    return isinstance(expr, ir.Expr) and (expr.dtype.is_numeric or expr.dtype.name in (
        "date", "ts", "month", "duration") if hasattr(expr.dtype, "name") else False)


def _sides(var: str, cond: ir.Expr) -> tuple[ir.Expr | str, str, ir.Expr] | None:
    """``(inner, op, outer)`` when ``cond`` compares an inner-only with an outer-only side."""
    if isinstance(cond, ir.Call) and cond.func == "not" and isinstance(cond.args[0], ir.Before):
        inner = _sides(var, cond.args[0])  # not (a before b): the range with the bound included
        if inner is None:
            return None
        return inner[0], {"<": ">=", ">": "<="}[inner[1]], inner[2]
    if isinstance(cond, ir.Before):
        left, right = cond.left, cond.right
        if left == ir.Var(var, dtype=left.dtype) and var not in ir.free_vars(right):
            return RANK, "<", right
        if right == ir.Var(var, dtype=right.dtype) and var not in ir.free_vars(left):
            return RANK, ">", left
        return None
    if not (isinstance(cond, ir.Call) and cond.func in ("=", "<", "<=", ">", ">=")):
        return None
    a, b = cond.args
    fa, fb = ir.free_vars(a), ir.free_vars(b)
    if ir.uses_group(a) or ir.uses_group(b):
        if fa <= {var} and not ir.uses_group(a) and var not in fb:
            return a, cond.func, b
        if fb <= {var} and not ir.uses_group(b) and var not in fa:
            return b, _FLIP.get(cond.func, cond.func), a
        return None
    if fa <= {var} and var in fa and var not in fb:
        return a, cond.func, b
    if fb <= {var} and var in fb and var not in fa:
        return b, _FLIP.get(cond.func, cond.func), a
    return None


@attrs.define
class Match:
    """The candidates of one aggregate, sorted, and each outer row's slice of them."""

    rows: np.ndarray
    """Candidate inner rows in sorted order."""
    lo: np.ndarray
    hi: np.ndarray
    codes: np.ndarray
    """Sorted key code of each candidate."""
    outer_codes: np.ndarray
    """Key code of each outer row (-1: matches nothing)."""
    n_codes: int


def _inner_eval(ev: Evaluator, expr: ir.Expr, var: str, table: str) -> Any:
    """Evaluate an expression about one inner row over the whole table (cached)."""
    return ev.ev(canonical(expr, var), ev.table_frame(table, "$row"))


def _factorise(parts: list[tuple[Vec, Vec]], n_inner: int, n_outer: int,
               inner_ok: np.ndarray, outer_ok: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    code_in = np.zeros(n_inner, dtype=np.int64)
    code_out = np.zeros(n_outer, dtype=np.int64)
    size = 1
    for inner, outer in parts:
        if inner.dictionary is not None and outer.dictionary is not None:
            inner, outer = unify_strings(inner, outer)
        iv, ov = inner.values, outer.values
        if iv.dtype != ov.dtype:
            iv, ov = iv.astype(np.float64), ov.astype(np.float64)
        inner_ok &= inner.valid_mask()
        outer_ok &= outer.valid_mask()
        if isinstance(inner.dtype, RowType):
            inner_ok &= iv >= 0
        if isinstance(outer.dtype, RowType):
            outer_ok &= ov >= 0
        uniq, inverse = np.unique(np.concatenate([iv, ov]), return_inverse=True)
        inverse = inverse.reshape(-1)
        combined = np.concatenate([code_in, code_out]) * len(uniq) + inverse
        uniq2, dense = np.unique(combined, return_inverse=True)
        dense = dense.reshape(-1)
        code_in, code_out = dense[:n_inner], dense[n_inner:]
        size = len(uniq2)
    return code_in, code_out, size


def match(ev: Evaluator, frame: Frame, var: str, table: str, plan: Analysis) -> Match:
    """Candidates and per-outer-row slices for ``plan``."""
    data = ev.batch.table(table)
    if plan.inner:
        mask = np.ones(data.n, dtype=bool)
        for cond in plan.inner:
            mask &= _inner_eval(ev, cond, var, table).true_mask()
        cand = np.flatnonzero(mask)
    else:
        cand = np.arange(data.n)
    outer_ok = np.ones(frame.n, dtype=bool)
    for cond in plan.outer:
        outer_ok &= ev.ev(cond, frame).true_mask()
    inner_ok = np.ones(len(cand), dtype=bool)
    parts = [(_inner_eval(ev, i, var, table).take(cand), ev.ev(o, frame)) for i, o in plan.keys]
    code_in, code_out, n_codes = _factorise(parts, len(cand), frame.n, inner_ok, outer_ok)
    rank, complete = data.order()
    keys: list[np.ndarray] = [rank[cand]]
    range_values = None
    if plan.range_expr is not None:
        if plan.range_expr == RANK:
            dense, complete = data.dense_order()
            range_vec = Vec(dense[cand], complete[cand], BOOL)
        else:
            range_vec = _inner_eval(ev, plan.range_expr, var, table).take(cand)  # type: ignore[arg-type]
        inner_ok &= range_vec.valid_mask()
        range_values = range_vec.values
        keys.append(range_values)
    keep = np.flatnonzero(inner_ok)
    keys = [k[keep] for k in keys]
    codes = code_in[keep]
    order = np.lexsort([*keys, codes])
    rows, codes = cand[keep][order], codes[order]
    out_codes = np.where(outer_ok, code_out, -1)
    lo = np.searchsorted(codes, out_codes, "left")
    hi = np.searchsorted(codes, out_codes, "right")
    if range_values is not None:
        lo, hi = _range_slices(ev, frame, plan, range_values[keep][order], codes, out_codes, lo, hi)
    empty = out_codes < 0
    lo = np.where(empty, 0, lo)
    hi = np.where(empty, 0, np.maximum(hi, lo))
    return Match(rows, lo, hi, codes, out_codes, n_codes)


def _range_slices(ev: Evaluator, frame: Frame, plan: Analysis, values: np.ndarray,
                  codes: np.ndarray, out_codes: np.ndarray, lo: np.ndarray, hi: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    uniq = np.unique(values)
    width = len(uniq) + 1
    composite = codes * width + np.searchsorted(uniq, values)
    low_pos = np.zeros(frame.n, dtype=np.int64)
    high_pos = np.full(frame.n, len(uniq), dtype=np.int64)
    usable = np.ones(frame.n, dtype=bool)
    for op, outer in plan.bounds:
        if plan.range_expr == RANK:
            dense, complete = ev.batch.table(_row_table(outer)).dense_order()
            vec = ev.ev(outer, frame)
            ok = vec.valid_mask() & (vec.values >= 0)
            idx = np.where(ok, vec.values, 0)
            bound = dense[idx] if len(dense) else np.zeros(frame.n, np.int64)
            ok &= complete[idx] if len(complete) else ok
        else:
            vec = ev.ev(outer, frame)
            ok, bound = vec.valid_mask(), vec.values
        usable &= ok
        if op in (">", ">="):
            pos = np.searchsorted(uniq, bound, "right" if op == ">" else "left")
            low_pos = np.maximum(low_pos, pos)
        else:
            pos = np.searchsorted(uniq, bound, "left" if op == "<" else "right")
            high_pos = np.minimum(high_pos, pos)
    base = np.maximum(out_codes, 0) * width
    new_lo = np.searchsorted(composite, base + low_pos, "left")
    new_hi = np.searchsorted(composite, base + high_pos, "left")
    new_hi = np.where(usable & (high_pos > low_pos), new_hi, new_lo)
    return new_lo, new_hi


def _row_table(expr: ir.Expr) -> str:
    assert isinstance(expr.dtype, RowType)
    return expr.dtype.table


def pairs(ev: Evaluator, frame: Frame, var: str, table: str, plan: Analysis, m: Match) -> Frame:
    """The (outer, inner) pairs of a match, with the residual applied."""
    lengths = m.hi - m.lo
    total = int(lengths.sum())
    if total > MAX_PAIRS:
        raise ExecutionError(
            f"a join of {total} pairs over table {table!r} is too large; "
            "narrow the condition with an equality or a date window"
        )
    parent = np.repeat(np.arange(frame.n), lengths)
    rows = m.rows[expand_ranges(m.lo, lengths)]
    child = Frame(total, {var: Vec(rows, None, RowType(table))}, frame, parent)
    if plan.residual:
        keep = np.ones(total, dtype=bool)
        for cond in plan.residual:
            keep &= ev.ev(cond, child).true_mask()
            if not keep.all():
                child = child.subset(np.flatnonzero(keep))
                keep = np.ones(child.n, dtype=bool)
    return child


def expand_range(ev: Evaluator, agg: ir.Agg, frame: Frame) -> Frame:
    """A child frame with one row per generated value (``日期序列``/``序列``)."""
    assert isinstance(agg.source, ir.RangeSource)
    low, high = ev.ev(agg.source.low, frame), ev.ev(agg.source.high, frame)
    ok = low.valid_mask() & high.valid_mask() & (high.values >= low.values)
    lengths = np.where(ok, high.values - low.values + 1, 0).astype(np.int64)
    if int(lengths.sum()) > MAX_PAIRS:
        raise ExecutionError("a generated range is too long")
    parent = np.repeat(np.arange(frame.n), lengths)
    starts = np.where(ok, low.values, 0).astype(np.int64)
    values = expand_ranges(starts, lengths)
    dtype = agg.source.low.dtype
    return Frame(len(values), {agg.var: Vec(values, None, dtype)}, frame, parent)


def evaluate_aggregate(ev: Evaluator, agg: ir.Agg, frame: Frame) -> Vec | ListVec:
    """The value of an :class:`~ruledsl.ir.Agg` for every row of ``frame``."""
    if isinstance(agg.source, ir.RangeSource):
        return _generated(ev, agg, frame)
    table = agg.source.table
    plan = analyse(agg.var, conjuncts(agg.where))
    m = match(ev, frame, agg.var, table, plan)
    inner_only = all(
        ir.free_vars(e) <= {agg.var} and not ir.uses_group(e)
        for e in [agg.value, *(k for k, _ in agg.order)] if e is not None
    )
    if not plan.residual and inner_only:
        fast = _fast(ev, agg, frame, table, plan, m)
        if fast is not None:
            return fast
    child = pairs(ev, frame, agg.var, table, plan, m)
    return _reduce_pairs(ev, agg, child, frame.n, table)


def _fast(ev: Evaluator, agg: ir.Agg, frame: Frame, table: str, plan: Analysis, m: Match
          ) -> Vec | ListVec | None:
    if agg.func == "count":
        return Vec((m.hi - m.lo).astype(np.int64), None, agg.dtype)
    if agg.func == "exists":
        return Vec(m.hi > m.lo, None, BOOL)
    if plan.range_expr is None:
        # keys only: one reduction per key, gathered for each outer row
        data = ev.batch.table(table)
        value = None
        if agg.value is not None:
            value = _inner_eval(ev, agg.value, agg.var, table).take(m.rows)
        elif agg.func in ("first", "last"):
            value = Vec(m.rows, None, RowType(table))
        order = [(_inner_eval(ev, k, agg.var, table).take(m.rows), d) for k, d in agg.order]
        rank, _ = data.order()
        per_key = reduce(agg.func, m.codes, m.n_codes + 1, value, order, rank[m.rows], agg.dtype)
        return per_key.take(np.where(m.outer_codes >= 0, m.outer_codes, m.n_codes))
    if agg.func == "sum" and agg.value is not None:
        value = _inner_eval(ev, agg.value, agg.var, table).take(m.rows)
        v = np.where(value.valid_mask(), value.values, 0).astype(np.float64)
        prefix = np.concatenate([[0.0], np.cumsum(v)])
        sums = prefix[m.hi] - prefix[m.lo]
        if agg.dtype.name == "int":  # type: ignore[attr-defined]
            return Vec(np.round(sums).astype(np.int64), None, agg.dtype)
        return Vec(sums, None, agg.dtype)
    if plan.range_expr == RANK and agg.func in ("first", "last") and not agg.order:
        pick = np.where(m.hi > m.lo, m.lo if agg.func == "first" else m.hi - 1, -1)
        rows = np.where(pick >= 0, m.rows[np.maximum(pick, 0)] if len(m.rows) else -1, -1)
        row_vec = Vec(rows, None, RowType(table))
        if agg.value is None:
            return row_vec
        return ev.ev(agg.value, Frame(frame.n, {agg.var: row_vec}, frame, np.arange(frame.n)))
    return None


def _reduce_pairs(ev: Evaluator, agg: ir.Agg, child: Frame, n: int, table: str) -> Vec | ListVec:
    group = child.parent_idx if child.parent_idx is not None else np.zeros(child.n, np.int64)
    value = ev.ev(agg.value, child) if agg.value is not None else None
    if value is None and agg.func in ("first", "last"):
        value = child.lookup(agg.var)
    order = [(ev.ev(k, child), d) for k, d in agg.order]
    tie = None
    if agg.func in ("first", "last", "collect"):
        rows = child.lookup(agg.var)
        rank, _ = ev.batch.table(table).order()
        tie = rank[rows.values] if len(rows) else np.zeros(0, np.int64)
    return reduce(agg.func, group, n, value, order, tie, agg.dtype)


def _generated(ev: Evaluator, agg: ir.Agg, frame: Frame) -> Vec | ListVec:
    child = expand_range(ev, agg, frame)
    group = child.parent_idx if child.parent_idx is not None else np.zeros(0, np.int64)
    if agg.func == "longest_run":
        flags = ev.ev(agg.where, child).true_mask() if agg.where is not None else \
            np.ones(child.n, dtype=bool)
        return longest_runs(group, frame.n, flags)
    if agg.where is not None:
        keep = np.flatnonzero(ev.ev(agg.where, child).true_mask())
        child = child.subset(keep)
        group = group[keep]
    value = ev.ev(agg.value, child) if agg.value is not None else None
    if value is None and agg.func in ("first", "last"):
        value = child.lookup(agg.var)
    order = [(ev.ev(k, child), d) for k, d in agg.order]
    tie = child.lookup(agg.var).values if agg.func in ("first", "last", "collect") else None
    return reduce(agg.func, group, frame.n, value, order, tie, agg.dtype)


__all__ = ["Analysis", "Match", "analyse", "evaluate_aggregate", "match", "pairs", "STR"]
