"""The decorator both lowerings register their per-op functions with."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable)


def registrar(table: dict[str, F]) -> Callable[..., Callable[[F], F]]:
    """`lowers = registrar(LOWERINGS)`; then `@lowers("relu", "relu6")` files a function
    under each op name it lowers."""

    def lowers(*ops: str) -> Callable[[F], F]:
        def register(fn: F) -> F:
            for op in ops:
                table[op] = fn
            return fn

        return register

    return lowers
