"""Seeded, realistic demo claim batches in which every one of the 46 rules fires.

:func:`generate` / :func:`write_demo` build batches of any size (``python -m ruledsl.demo``);
:func:`embedded_demo_path` is the small batch shipped with the package (300 persons, seed 0),
laid out as ``claims/`` and ``kb/`` folders.
"""

from __future__ import annotations

from pathlib import Path

from .generate import DemoData, build, generate, write_demo

__all__ = ["DemoData", "build", "embedded_demo_path", "generate", "write_demo"]


def embedded_demo_path() -> Path:
    """Folder of the embedded demo batch (``claims/`` and ``kb/`` inside).

    Example:
        >>> sorted(p.name for p in embedded_demo_path().iterdir())
        ['claims', 'kb']
    """
    from importlib.resources import files

    return Path(str(files(__package__) / "data"))
