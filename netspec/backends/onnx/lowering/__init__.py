"""The ONNX lowering of every op, one module per op family as in netspec/ops/.

Assumes onnx and numpy. Guarantees, once imported, :data:`LOWERINGS` with a lowering for
every op of the registry (tests/test_to_onnx.py and tests/test_op_layout.py check it):
this import is where the backend registers its families, and a new family adds its
module here.
"""

# one import per op family: importing a family module registers its lowerings
from netspec.backends.onnx.lowering import (  # noqa: F401
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
from netspec.backends.onnx.lowering.base import LOWERINGS, Lowering

__all__ = ["LOWERINGS", "Lowering"]
