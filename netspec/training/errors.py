"""Training's one error type, and the check that its heavy dependencies are installed.

Assumes nothing of the rest of netspec: it imports neither torch nor numpy (it only
tries to), so the command line and ``netspec.training``'s package can import it
cheaply. Guarantees that :func:`require_torch` raises :class:`TrainingError`, never
ImportError, naming the extra to install.
"""

from __future__ import annotations

__all__ = ["TrainingError", "require_torch"]

_HINTS = {
    "torch": "pip install 'netspec[torch]' (or 'netspec[train]': torch with numpy)",
    "numpy": "pip install 'netspec[train]'",
}


class TrainingError(Exception):
    """A bad input to training, told in one message (no traceback is shown for it)."""


def require_torch() -> None:
    """Raise TrainingError, naming the extra to install, where torch or numpy is missing."""
    for module, hint in _HINTS.items():
        try:
            __import__(module)
        except ImportError:
            raise TrainingError(
                f"training needs {module}, which is not installed; install it with: {hint}"
            ) from None
