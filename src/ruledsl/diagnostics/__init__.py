"""Diagnostics: stable codes, one data model, three renderings."""

from __future__ import annotations

from .model import Diagnostic as Diagnostic
from .model import Label as Label
from .model import Severity as Severity
