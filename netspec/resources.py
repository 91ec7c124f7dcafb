"""Folders shipped with netspec: the grammar, the zoo specs, docs the commands read and
the exercises the playground opens.

They live at the top of a source checkout (``grammars/``, ``specs/``, as the project
brief asks) and under ``netspec/_data/`` inside an installed wheel (pyproject.toml's
force-include). Guarantees the folder that exists, the wheel's first, or None.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def shipped(folder: str) -> Path | None:
    """``grammars``, ``specs``, ``docs`` or ``examples/exercises``: where this install
    keeps it."""
    for candidate in (_PACKAGE / "_data" / folder, _PACKAGE.parent / folder):
        if candidate.is_dir():
            return candidate
    return None
