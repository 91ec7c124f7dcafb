"""The op registry: importing this package registers every op family."""

from netspec.ops import conv, elementwise, linear, merge, pool, shape  # noqa: F401
from netspec.ops.base import REGISTRY, Counts, Op, OpError, OpWarning, Param

__all__ = ["REGISTRY", "Counts", "Op", "OpError", "OpWarning", "Param"]
