"""Every docstring example in the package runs and gives what it shows."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import ruledsl

SKIP = {"ruledsl.__main__"}
MODULES = sorted(m.name for m in pkgutil.walk_packages(ruledsl.__path__, "ruledsl.")
                 if m.name not in SKIP)


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
