"""The op registry: importing this package registers every op family.

Assumes nothing beyond the standard library and netspec's value types. Guarantees
:data:`REGISTRY`, op name -> the one :class:`Op` instance that declares every fact
about the op: its parameters, shape, parameter, connection, cost and receptive-field
rules, its explanation (ops/explain/<family>.py), its diagram family and its torchinfo
and fvcore counting rules. One file per op family (conv, pool, linear, elementwise,
activation, attention, norm, merge, matmul, shape, layout, border, recurrent); a new family adds
its import here.
"""

from netspec.ops import (  # noqa: F401
    activation,
    attention,
    border,
    conv,
    elementwise,
    embedding,
    layout,
    learned,
    linear,
    matmul,
    merge,
    norm,
    parts,
    pool,
    recurrent,
    sequence,
    shape,
)
from netspec.ops.base import REGISTRY, Counts, Op, OpError, OpWarning, Param, declared

__all__ = ["REGISTRY", "Counts", "Op", "OpError", "OpWarning", "Param", "declared"]
