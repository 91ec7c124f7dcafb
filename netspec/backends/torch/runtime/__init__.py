"""The PyTorch modules that netspec ops need beyond torch.nn, in four files: the
containers (containers.py), the classic networks' modules (classic.py), issue 14's
(modern.py, with attention's SelfAttention), the recurrent layers' (recurrent.py) and
the sequence ops' (sequence.py: scale, causal_mask, sinusoidal).

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
    CrossAttention,
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
from netspec.backends.torch.runtime.recurrent import GRU, LSTM, RNN, Recurrent
from netspec.backends.torch.runtime.sequence import (
    CausalMask,
    LearnedPositions,
    Scale,
    Sinusoidal,
)

__all__ = [
    "GRU", "LSTM", "RBF", "RNN", "Add", "AvgPool", "CausalMask", "Concat", "DropPath",
    "CrossAttention", "LayerNormAt", "LearnedPositions", "Matmul", "Mul", "Pad", "Scale",
    "Sinusoidal",
    "PartialConv", "Part", "Permute", "Recurrent", "RMSNormAt", "Reshape", "ScaledTanh", "Scope",
    "SelfAttention", "Slice", "Squeeze", "Subsample", "TableConv", "window_sum",
]  # fmt: skip
