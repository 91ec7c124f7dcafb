"""The fields of a playground request, read without trusting any of them.

Every task takes the spec's `text` and may take `network`, `set` (parameter overrides),
`input_shapes` and `convention`; each reader below returns the field in the type the
pipeline takes, or raises :class:`BadRequest` saying what the field must be. A task
answers BadRequest with one E-request diagnostic (netspec/serve/tasks.py).

Assumes a request decoded from JSON (dicts, lists, strings, numbers, booleans, None).
Guarantees that nothing it returns is larger than the limits below.
"""

from __future__ import annotations

from typing import Any

from netspec.analysis import Analysis
from netspec.api import check
from netspec.report.figures import Options
from netspec.serve.answers import NAME
from netspec.source import Source

MAX_TEXT = 200_000  # characters of spec text a request may carry
CONVENTIONS = ("macs", "flops", "torchinfo", "fvcore")


class BadRequest(ValueError):
    """A request that does not fit the task: answered as an E-request diagnostic."""


def analysed(request: dict[str, Any]) -> list[Analysis]:
    """The request's spec checked with its network, overrides and input shapes; raises
    CompileError as `check` does."""
    source = Source(NAME, text(request))
    return check(source, network(request), overrides(request), input_shapes=shapes(request))


def text(request: dict[str, Any]) -> str:
    value = request.get("text")
    if not isinstance(value, str):
        raise BadRequest("`text` must be the spec's text")
    if len(value) > MAX_TEXT:
        raise BadRequest(
            f"the spec has {len(value):,} characters; the playground takes {MAX_TEXT:,}"
        )
    return value


def network(request: dict[str, Any]) -> str | None:
    value = request.get("network")
    if value is not None and not isinstance(value, str):
        raise BadRequest("`network` must be a network's name")
    return value


def overrides(request: dict[str, Any]) -> dict[str, object] | None:
    values = request.get("set")
    values = {} if values is None else values
    if not isinstance(values, dict) or not all(
        isinstance(k, str) and isinstance(v, (int, float, bool, str)) for k, v in values.items()
    ):
        raise BadRequest("`set` must map parameter names to numbers, booleans or strings")
    return values or None


def shapes(request: dict[str, Any]) -> dict[str, tuple] | None:
    value = request.get("input_shapes")
    value = {} if value is None else value
    ok = isinstance(value, dict) and all(
        isinstance(k, str)
        and isinstance(v, list)
        and all((isinstance(d, int) and not isinstance(d, bool)) or isinstance(d, str) for d in v)
        for k, v in value.items()
    )
    if not ok:
        raise BadRequest("`input_shapes` must map input names to lists of sizes or names")
    return {k: tuple(v) for k, v in value.items()} or None


def options(request: dict[str, Any]) -> Options:
    convention = request.get("convention", "macs")
    if convention not in CONVENTIONS:
        raise BadRequest(f"`convention` is one of {', '.join(CONVENTIONS)}")
    return Options(convention)


def flag(request: dict[str, Any], key: str, default: bool) -> bool:
    """An optional true or false."""
    value = request.get(key, default)
    if not isinstance(value, bool):
        raise BadRequest(f"`{key}` must be true or false")
    return value


def integer(request: dict[str, Any], key: str, default: int, low: int, high: int) -> int:
    """An optional whole number in [low, high]."""
    value = request.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BadRequest(f"`{key}` must be a whole number from {low} to {high}")
    return value


def word(request: dict[str, Any], key: str) -> str:
    """A required non-empty string (a layer path, a statement or block name)."""
    value = request.get(key)
    if not isinstance(value, str) or not value or len(value) > 1000:
        raise BadRequest(f"`{key}` must be a name (a layer path or a statement)")
    return value
