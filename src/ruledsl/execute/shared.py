"""Batch-wide results shared between rules, each freed after the last rule that needs it.

The vectorised engine computes an expression about one row of a table once over the
whole table (a derived field, a catalogue look-up, a candidate filter) and builds the
sorted inner side of a join once; every rule that needs it reuses it (see
:mod:`ruledsl.execute.vector`).  Keeping all of them for the whole run makes memory grow
with every rule, so :class:`SharedStore` frees a result after the last rule that uses it.

Which rule uses which result is learnt by :func:`plan_lifetimes`, a dry run of the rules
over an empty batch: the engine takes the same paths there (results are keyed by
canonical expressions, not by data).  A result the dry run did not predict is freed after
the rule that made it.  Freeing is always safe: a later rule that needs a freed result
computes it again.

Example:
    >>> store = SharedStore(lifetimes={"a": 1})
    >>> store.put("a", 1); store.put("b", 2)
    >>> store.end_rule(); sorted(store)    # after rule 0: "b" is not needed again
    ['a']
    >>> store.end_rule(); sorted(store)    # after rule 1: nothing is
    []
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


class SharedStore:
    """Values by key, with the index of the rule being run and what each rule touched."""

    def __init__(self, lifetimes: Mapping[Hashable, int] | None = None) -> None:
        self.lifetimes = lifetimes
        """Key → index of the last rule that uses it; ``None`` keeps everything."""
        self.rule = 0
        self._values: dict[Hashable, Any] = {}
        self._last_touch: dict[Hashable, int] = {}

    def get(self, key: Hashable) -> Any:
        """The value under ``key``, or ``None``."""
        value = self._values.get(key)
        if value is not None:
            self._last_touch[key] = self.rule
        return value

    def __contains__(self, key: Hashable) -> bool:
        return key in self._values

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self._values)

    def put(self, key: Hashable, value: Any) -> None:
        """Store ``value`` under ``key``."""
        self._values[key] = value
        self._last_touch[key] = self.rule

    def end_rule(self) -> None:
        """The current rule is done: free what no later rule needs, then go to the next."""
        if self.lifetimes is not None:
            done = [k for k in self._values if self.lifetimes.get(k, self.rule) <= self.rule]
            for key in done:
                del self._values[key]
        self.rule += 1

    def last_touches(self) -> dict[Hashable, int]:
        """Key → index of the last rule that read or wrote it."""
        return dict(self._last_touch)


def plan_lifetimes(n_rules: int, run_rule: Callable[[int, SharedStore], None]) -> dict[Hashable, int]:
    """Key → last rule that uses it, from running rule ``i`` (``run_rule(i, store)``) for
    every ``i`` in order on one store that frees nothing."""
    store = SharedStore()
    for i in range(n_rules):
        run_rule(i, store)
        store.end_rule()
    return store.last_touches()


class IdentityMemo:
    """Values worked out once from objects found by their identity (IR nodes, rules): a
    look-up hashes no expression tree and compares no nodes, which matters where a small
    batch (one visit) runs every rule again on every call. An entry keeps its objects
    alive, so their ids stay theirs; past ``limit`` entries (many rulebooks in one
    process) it starts again.

    Example:
        >>> memo, node = IdentityMemo(), object()
        >>> memo.get("x", [node], lambda: 1), memo.get("x", [node], lambda: 2)
        (1, 1)
        >>> memo.get("x", [object()], lambda: 3)
        3
    """

    def __init__(self, limit: int = 4096) -> None:
        self.limit = limit
        self._entries: dict[tuple[Hashable, ...], tuple[tuple[Any, ...], Any]] = {}

    def get(self, label: Hashable, objects: Sequence[Any], compute: Callable[[], T]) -> T:
        """The value for ``label`` and these very ``objects``, from ``compute()`` once."""
        key = (label, *map(id, objects))
        hit = self._entries.get(key)
        if hit is not None:  # (its objects are alive, so no other object has their ids)
            return hit[1]  # type: ignore[no-any-return]
        if len(self._entries) >= self.limit:
            self._entries.clear()
        value = compute()
        self._entries[key] = (tuple(objects), value)
        return value

    def clear(self) -> None:
        """Forget every entry (and let their objects go)."""
        self._entries.clear()


__all__: Sequence[str] = ("IdentityMemo", "SharedStore", "plan_lifetimes")

