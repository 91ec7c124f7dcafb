"""The PyTorch modules that netspec ops need beyond torch.nn, in three files: the
containers (containers.py), the classic networks' modules (classic.py) and issue 14's
(modern.py, with attention's SelfAttention).

Each class is copied, source and all, into the models `netspec build` writes
(backends/torch/names.py reads these files, in the order it lists), so the files import
only torch and use no netspec code: a generated file stays standalone. `to_torch` builds
its modules from the same generated source, so what is tested is what users get. Every
class is rank-generic where its op is (1-d to 3-d spatial), keeps parameter names
PyTorch users expect (`weight`, `bias`), and registers no buffer that the spec does not
count.
"""

from netspec.backends.torch.runtime.classic import (
    RBF,
    AvgPool,
    PartialConv,
    ScaledTanh,
    Subsample,
    TableConv,
    window_sum,
)
from netspec.backends.torch.runtime.containers import Add, Concat, Matmul, Mul, Part, Scope
from netspec.backends.torch.runtime.modern import (
    DropPath,
    LayerNormAt,
    Pad,
    Permute,
    Reshape,
    RMSNormAt,
    SelfAttention,
    Slice,
    Squeeze,
)

__all__ = [
    "RBF", "Add", "AvgPool", "Concat", "DropPath", "LayerNormAt", "Matmul", "Mul", "Pad",
    "PartialConv", "Part", "Permute", "RMSNormAt", "Reshape", "ScaledTanh", "Scope",
    "SelfAttention", "Slice", "Squeeze", "Subsample", "TableConv", "window_sum",
]  # fmt: skip
