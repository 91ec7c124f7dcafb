"""The PyTorch lowering of every op, one module per op family as in netspec/ops/.

Assumes nothing of torch (none is imported here). Guarantees, once imported,
:data:`LOWERINGS` with a lowering for every op of the registry (tests/test_to_torch.py
and tests/test_op_layout.py check it): this import line is where the backend registers
its families, and a new family adds its module here.
"""

# one import per op family: importing a family module registers its lowerings
from netspec.backends.torch.lowering import (  # noqa: F401
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
from netspec.backends.torch.lowering.base import LOWERINGS, POSITIONAL, Layer, Lowering

__all__ = ["LOWERINGS", "POSITIONAL", "Layer", "Lowering"]
