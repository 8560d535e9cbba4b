"""Static checking: names, types, scopes, aggregates, parameters, examples."""

from __future__ import annotations

from .checker import Checker as Checker
from .model import CheckedRule as CheckedRule
from .model import ExampleCase as ExampleCase
from .model import ParamInfo as ParamInfo
