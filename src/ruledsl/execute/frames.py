"""Frames: the sets of bindings the vectorised engine evaluates expressions over.

A rule's scope is a frame whose rows are its candidate records; an aggregate
over other rows (``计数(明细 y 满足 …)``) is evaluated by building a child frame
of (outer row, inner row) pairs — a join — and reducing it back onto the
parent.  Variables of outer frames are reached through ``parent_idx``.  A
group rule has a group frame (one row per group, member variables bound to
each group's first member) with the members frame beside it.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np

from .vec import ListVec, Vec


@attrs.define(slots=True)
class GroupContext:
    """The members of the groups of a group frame."""

    members: Frame
    group_idx: np.ndarray
    """For each member row, the index of its group (row of the group frame)."""
    n_groups: int
    member_vars: tuple[str, ...] = ()
    """The scope's binding variables, in binding order (for the members' order)."""
    pair_counts: dict[Any, Any] = attrs.field(factory=dict)
    """The :class:`~ruledsl.execute.reduce.PairCounts` of a value over all the members, by
    its expression (``count_distinct`` and ``mode`` of one value count the same pairs)."""


class Frame:
    """Rows with variable bindings; values of outer frames come through ``parent_idx``."""

    def __init__(self, n: int, bindings: dict[str, Vec | ListVec], parent: Frame | None = None,
                 parent_idx: np.ndarray | None = None, group: GroupContext | None = None,
                 table_var: tuple[str, str] | None = None) -> None:
        self.n = n
        self.bindings = dict(bindings)
        self.parent = parent
        self.parent_idx = parent_idx
        self.group = group
        self.table_var = table_var
        """``(table, var)`` when this frame is every row of ``table`` bound to ``var``."""
        self.member_of: tuple[Frame, np.ndarray] | None = None
        """For a members frame: its group frame and each row's group."""
        self.cache: dict[Any, Vec | ListVec] = {}

    def has(self, var: str) -> bool:
        """Whether ``var`` is bound here or in an outer frame."""
        frame: Frame | None = self
        while frame is not None:
            if var in frame.bindings:
                return True
            frame = frame.parent
        return False

    def lookup(self, var: str) -> Vec | ListVec:
        """The values of ``var`` for each row of this frame."""
        hit = self.bindings.get(var)
        if hit is not None:
            return hit
        if self.parent is None or self.parent_idx is None:
            raise KeyError(var)
        value = self.parent.lookup(var).take(self.parent_idx)
        self.bindings[var] = value
        return value

    def subset(self, rows: np.ndarray) -> Frame:
        """The frame restricted to ``rows`` (same parent); for a group frame, a view of it."""
        if self.group is not None:
            return self.select(rows)
        bindings = {k: v.take(rows) for k, v in self.bindings.items()}
        parent_idx = self.parent_idx[rows] if self.parent_idx is not None else None
        frame = Frame(len(rows), bindings, self.parent, parent_idx)
        if self.member_of is not None:
            frame.member_of = (self.member_of[0], self.member_of[1][rows])
        return frame

    def select(self, rows: np.ndarray) -> Frame:
        """A child frame of ``rows`` of this frame (values reached through the parent link)."""
        return Frame(len(rows), {}, self, rows)

    def ancestor_with_group(self) -> tuple[Frame, np.ndarray] | None:
        """The nearest frame with a group context, and the index from here to it."""
        frame: Frame = self
        index = np.arange(self.n)
        while frame.group is None:
            if frame.member_of is not None:
                group_frame, group_idx = frame.member_of
                return group_frame, group_idx[index]
            if frame.parent is None or frame.parent_idx is None:
                return None
            index = frame.parent_idx[index]
            frame = frame.parent
        return frame, index
