"""Generic traversal of AST nodes: :func:`iter_children`, :class:`NodeVisitor`, :class:`NodeTransformer`.

Children are found from ``attrs.fields``: every field holding a node, or a
tuple holding nodes (strings inside a tuple, as in ``Template.parts``, are
kept but not visited).  The ``span`` field is never a child.

Example:
    >>> from ruledsl.source import Span
    >>> from ruledsl.ast import nodes as n
    >>> e = n.Binary("+", n.Name("a", span=Span(0, 1)), n.Name("b", span=Span(4, 5)), span=Span(0, 5))
    >>> [c.id for c in iter_children(e)]
    ['a', 'b']
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs

from .nodes import Node


def iter_children(node: Node) -> Iterator[Node]:
    """Yield the direct child nodes of ``node`` in field order (tuples flattened)."""
    for field in attrs.fields(type(node)):
        if field.name == "span":
            continue
        value = getattr(node, field.name)
        if isinstance(value, Node):
            yield value
        elif isinstance(value, tuple):
            yield from (item for item in value if isinstance(item, Node))


def walk(node: Node) -> Iterator[Node]:
    """Yield ``node`` and all its descendants, depth first, in source order.

    Example:
        >>> from ruledsl.syntax.parser import parse
        >>> m = parse('规则 R "r" { 当 a + b > 1 }')
        >>> [x.id for x in walk(m) if type(x).__name__ == "Name"]
        ['a', 'b']
    """
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(list(iter_children(current))))


class NodeVisitor:
    """Calls ``visit_<ClassName>(node)`` for each node; ``generic_visit`` visits the children.

    Example:
        >>> from ruledsl.syntax.parser import parse
        >>> class Names(NodeVisitor):
        ...     def __init__(self) -> None:
        ...         self.seen: list[str] = []
        ...     def visit_Name(self, node: Any) -> None:
        ...         self.seen.append(node.id)
        >>> v = Names()
        >>> v.visit(parse('规则 R "r" { 当 x.金额 > 参数.上限 且 y }'))
        >>> v.seen
        ['x', 'y']
    """

    def visit(self, node: Node) -> Any:
        """Dispatch to ``visit_<ClassName>``, or to :meth:`generic_visit`."""
        method = getattr(self, f"visit_{type(node).__name__}", None)
        if method is None:
            return self.generic_visit(node)
        return method(node)

    def generic_visit(self, node: Node) -> Any:
        """Visit every child of ``node``."""
        for child in iter_children(node):
            self.visit(child)
        return None


class NodeTransformer(NodeVisitor):
    """Rebuilds the tree bottom-up with :func:`attrs.evolve`; the input tree is never changed.

    ``visit_<ClassName>`` returns the replacement node.  Inside a tuple of
    children, returning ``None`` drops the child.  Unchanged subtrees are
    returned as the same objects, and a rebuilt node keeps its span.

    Example:
        >>> from ruledsl.syntax.parser import parse
        >>> from ruledsl.ast.printer import to_source
        >>> class Rename(NodeTransformer):
        ...     def visit_Name(self, node: Any) -> Any:
        ...         return attrs.evolve(node, id=node.id.upper())
        >>> m = parse('规则 R "r" { 当 x > y }')
        >>> print(to_source(Rename().visit(m), "en"), end="")
        rule R "r" {
            when X > Y
        }
    """

    def generic_visit(self, node: Node) -> Any:
        """Transform every child of ``node``; return ``node`` itself if none changed."""
        changes: dict[str, Any] = {}
        for field in attrs.fields(type(node)):
            if field.name == "span":
                continue
            value = getattr(node, field.name)
            if isinstance(value, Node):
                new = self.visit(value)
                if new is not value:
                    changes[field.name] = new
            elif isinstance(value, tuple) and any(isinstance(v, Node) for v in value):
                items = tuple(self.visit(v) if isinstance(v, Node) else v for v in value)
                kept = tuple(v for v in items if v is not None)
                if len(kept) != len(value) or any(a is not b for a, b in zip(kept, value)):
                    changes[field.name] = kept
        return attrs.evolve(node, **changes) if changes else node
