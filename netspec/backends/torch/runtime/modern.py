"""The modules issue 14's ops need beyond torch.nn: stochastic depth (DropPath, as
torchvision's StochasticDepth in row mode), layer and RMS normalisation along an axis
that is not the last (LayerNormAt, RMSNormAt), one-line modules for the layout ops
(Reshape, Permute, Squeeze, Pad, Slice), so that each is a module with its spec path,
and multi-head self-attention with its four projections (SelfAttention).

Copied, source and all, into the models `netspec build` writes (backends/torch/names.py):
this file imports only torch.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class DropPath(nn.Module):
    """Stochastic depth (Huang et al. 2016), torchvision's StochasticDepth(p, "row"):
    while training, each sample's whole tensor is zeroed with probability p and the others
    scaled by 1 / (1 - p); the identity at inference (its input returned)."""

    def __init__(self, p: float):
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = 1.0 - self.p
        noise = x.new_empty([x.shape[0]] + [1] * (x.ndim - 1)).bernoulli_(keep)
        return x * noise.div_(keep)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class AlongAxis:
    """A mixin for a norm of the last axis (nn.LayerNorm, nn.RMSNorm) applied along the
    axis `dim` instead: moved last, normalised, moved back; weights keep their names."""

    def __init__(self, normalized_shape: int, dim: int, **kwargs):
        super().__init__(normalized_shape, **kwargs)
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.movedim(self.dim, -1)).movedim(-1, self.dim)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, dim={self.dim}"


class LayerNormAt(AlongAxis, nn.LayerNorm):
    """nn.LayerNorm along one axis `dim` that is not the last: `LayerNormAt(C, dim=1)` is
    ConvNeXt's LayerNorm2d (torchvision), the channels at each position normalised."""


class RMSNormAt(AlongAxis, nn.RMSNorm):
    """nn.RMSNorm along one axis `dim` that is not the last (the channels: dim=1)."""


class Reshape(nn.Module):
    """netspec `reshape`: a string in `shape` is a symbolic dim, read from the input's
    dim `symbols[name]` (the batch, usually)."""

    def __init__(self, shape, symbols):
        super().__init__()
        self.shape, self.symbols = tuple(shape), dict(symbols)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(
            [x.shape[self.symbols[d]] if isinstance(d, str) else d for d in self.shape]
        )

    def extra_repr(self) -> str:
        return f"{list(self.shape)}"


class Permute(nn.Module):
    """netspec `permute` (and `transpose`): x.permute(dims), a view."""

    def __init__(self, dims: tuple[int, ...]):
        super().__init__()
        self.dims = tuple(dims)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.permute(self.dims)

    def extra_repr(self) -> str:
        return ", ".join(map(str, self.dims))


class Squeeze(nn.Module):
    """netspec `squeeze` (unsqueeze=False) and `unsqueeze`: one axis of size 1, a view."""

    def __init__(self, dim: int, unsqueeze: bool = False):
        super().__init__()
        self.dim, self.unsqueeze = dim, unsqueeze

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.unsqueeze(self.dim) if self.unsqueeze else x.squeeze(self.dim)

    def extra_repr(self) -> str:
        return f"{self.dim}, unsqueeze=True" if self.unsqueeze else f"{self.dim}"


class Pad(nn.Module):
    """netspec `pad`: F.pad with `pad` in its order (the last axis first)."""

    def __init__(self, pad: tuple[int, ...], mode: str = "constant", value: float = 0.0):
        super().__init__()
        self.pad, self.mode, self.value = tuple(pad), mode, value

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.mode == "constant":
            return F.pad(x, self.pad, value=self.value)
        return F.pad(x, self.pad, mode=self.mode)

    def extra_repr(self) -> str:
        return f"{self.pad}, mode={self.mode!r}, value={self.value}"


class Slice(nn.Module):
    """netspec `slice` and `crop`: x[..., start:end:step] on the axes of `spans`
    ({dim: (start, end, step)}; end None: to the end), a view."""

    def __init__(self, spans: dict[int, tuple[int, int | None, int]]):
        super().__init__()
        self.spans = dict(spans)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        index = [slice(None)] * (max(self.spans) + 1)
        for dim, (start, end, step) in self.spans.items():
            index[dim] = slice(start, end, step)
        return x[tuple(index)]

    def extra_repr(self) -> str:
        return f"{self.spans}"


class SelfAttention(nn.Module):
    """netspec `attention`: nn.MultiheadAttention(d, heads, batch_first=True)'s function
    on [N, L, d], with its projections as four nn.Linear named q, k, v and out (k and v
    with d x kv_heads / heads outputs: grouped-query attention, query head i reading
    key/value head i // (heads / kv_heads)); dropout on the weights while training only.

    The products are written out (matmul, softmax) rather than calling
    F.scaled_dot_product_attention: on the CPU its fused kernel is invisible to
    torch.utils.flop_counter, which then counts the projections only, while the
    matmuls are counted as netspec counts them (2 x heads x L x L x width)."""

    def __init__(self, d: int, heads: int, kv_heads: int | None = None, bias: bool = True,
                 causal: bool = False, dropout: float = 0.0):  # fmt: skip
        super().__init__()
        self.heads, self.kv_heads = heads, kv_heads or heads
        self.causal, self.dropout = causal, dropout
        kv = d * self.kv_heads // heads
        self.q, self.k = nn.Linear(d, d, bias=bias), nn.Linear(d, kv, bias=bias)
        self.v, self.out = nn.Linear(d, kv, bias=bias), nn.Linear(d, d, bias=bias)

    def split(self, y: torch.Tensor, group: int) -> torch.Tensor:
        """[N, L, kv_heads x group x width] -> [N, kv_heads, group, L, width]: a key/value
        head's group of query heads on an axis of its own, broadcast against one k or v."""
        return y.unflatten(-1, (self.kv_heads, group, -1)).permute(0, 2, 3, 1, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q = self.split(self.q(x), self.heads // self.kv_heads)
        k, v = self.split(self.k(x), 1), self.split(self.v(x), 1)
        scores = q @ k.transpose(-1, -2) * q.shape[-1] ** -0.5
        if self.causal:  # a key after its query: masked out
            length = x.shape[1]
            later = torch.ones(length, length, dtype=torch.bool, device=x.device).triu(1)
            scores = scores.masked_fill(later, float("-inf"))
        weights = F.dropout(scores.softmax(-1), self.dropout, self.training)
        return self.out((weights @ v).permute(0, 3, 1, 2, 4).flatten(2))

    def extra_repr(self) -> str:
        return (
            f"heads={self.heads}, kv_heads={self.kv_heads}, causal={self.causal}, "
            f"dropout={self.dropout}"
        )
