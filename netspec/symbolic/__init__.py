"""Symbolic sizes: formulas of the input's named sizes (expr), the int that carries one
through an elaboration and records its decisions (symint), and exact sets of sizes
(sets). The numeric path imports only this file (for :func:`wording`), never the others.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from functools import wraps
from typing import Any, TypeVar

TRACE: ContextVar[Any] = ContextVar("netspec_trace", default=None)  # the active Trace


class Sizer:
    """What an input's named sizes (`H` in [N, 3, H, W], past the batch axis) become in
    one elaboration: `make(name)`, once per name, so that every input and every shape
    written with the name (a block's `reshape([N, T, -1])`) reads the same value."""

    def __init__(self, make: Callable[[str], Any]):
        self.make = make
        self.seen: dict[str, Any] = {}

    def __call__(self, name: str) -> Any:
        if name not in self.seen:
            self.seen[name] = self.make(name)
        return self.seen[name]


# None keeps the names as symbols; netspec.api and netspec.analysis.symbolic set a Sizer.
SIZES: ContextVar[Sizer | None] = ContextVar("netspec_sizes", default=None)

F = TypeVar("F", bound=Callable[..., Any])


def wording(fn: F) -> F:
    """Mark a function that only words a message or a hint: the decisions it takes on a
    symbolic size are not guards, since they cannot change whether a size is accepted."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        token = TRACE.set(None)
        try:
            return fn(*args, **kwargs)
        finally:
            TRACE.reset(token)

    return wrapper  # type: ignore[return-value]
