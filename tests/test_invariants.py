"""Invariants of the code base: every node documented and located, every code used."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import attrs
import pytest

from ruledsl import ir
from ruledsl.ast import nodes
from ruledsl.diagnostics.codes import CODES
from ruledsl.syntax.parser import parse

SRC = Path(__file__).parent.parent / "src" / "ruledsl"
ROOT = Path(__file__).parent.parent


def _classes(module: object, base: type) -> list[type]:
    return [c for _, c in inspect.getmembers(module, inspect.isclass)
            if issubclass(c, base) and c.__module__ == module.__name__]  # type: ignore[attr-defined]


@pytest.mark.parametrize("cls", _classes(nodes, nodes.Node), ids=lambda c: c.__name__)
def test_every_ast_node_has_a_docstring_and_a_span(cls: type) -> None:
    assert cls.__doc__ and cls.__doc__.strip()
    span = attrs.fields_dict(cls)["span"]
    assert span.eq is False, "spans are not part of a node's identity"


@pytest.mark.parametrize("cls", _classes(ir, ir.Expr), ids=lambda c: c.__name__)
def test_every_ir_node_has_a_docstring_and_an_origin(cls: type) -> None:
    assert cls.__doc__ and cls.__doc__.strip()
    assert attrs.fields_dict(cls)["origin"].eq is False


def _walk(node: object):  # type: ignore[no-untyped-def]
    if isinstance(node, nodes.Node):
        yield node
        for field in attrs.fields(type(node)):
            yield from _walk(getattr(node, field.name))
    elif isinstance(node, tuple):
        for item in node:
            yield from _walk(item)


def test_every_parsed_node_has_a_span_inside_its_file() -> None:
    files = list((ROOT / "rulebooks").rglob("*.rules")) + list((ROOT / "tests" / "data").rglob("*.rules"))
    checked = 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        try:
            module = parse(text, str(path))
        except Exception:  # noqa: BLE001 - broken files are tested elsewhere
            continue
        for node in _walk(module):
            assert 0 <= node.span.start <= node.span.end <= len(text), (path, node)
            checked += 1
    assert checked > 100


def test_every_error_code_is_documented_and_used() -> None:
    source = "\n".join(p.read_text(encoding="utf-8") for p in SRC.rglob("*.py")
                       if p.name != "codes.py")
    for code, entry in CODES.items():
        assert entry.summary("zh") and entry.summary("en") and entry.description("zh"), code
        assert re.search(rf'"{code}"', source), f"{code} is registered but never raised"
