"""(being written)"""

from __future__ import annotations

from netspec.frontends.onnx.context import Context

TABLE: dict = {}


def find(ctx: Context) -> None:
    """Patterns of this family, recorded in `ctx.replace` / `ctx.alias` before translation."""
