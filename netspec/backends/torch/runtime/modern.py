"""The modules issue 14's ops need beyond torch.nn: stochastic depth (DropPath, as
torchvision's StochasticDepth in row mode), layer and RMS normalisation along an axis
that is not the last (LayerNormAt, RMSNormAt), one-line modules for the layout ops
(Reshape, Permute, Squeeze, Pad, Slice), so that each is a module with its spec path,
and multi-head attention with its four projections (SelfAttention, and CrossAttention
with its keys and values from a memory).

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
    `padding`, a bool [N, S], hides the keys marked true from every query (PyTorch's
    key_padding_mask); a query that can read no key at all (every key padded, or every
    key up to it with causal=true) gets zeros, as scaled_dot_product_attention gives
    them, and the out projection's bias.

    The products run in F.scaled_dot_product_attention (a fused kernel: as fast as a
    hand-written model). `explicit_products = True` writes them out as matmul and softmax
    instead, the same function: torch.utils.flop_counter does not see the fused kernel on
    the CPU, and counts the written-out products as netspec does (2 x heads x L x S x
    width multiply-adds); the tests that compare FLOPs switch it on."""

    explicit_products = False

    def __init__(self, d: int, heads: int, kv_heads: int | None = None, bias: bool = True,
                 causal: bool = False, dropout: float = 0.0,
                 memory_dim: int | None = None):  # fmt: skip
        super().__init__()
        self.heads, self.kv_heads = heads, kv_heads or heads
        self.causal, self.dropout = causal, dropout
        kv, dm = d * self.kv_heads // heads, memory_dim or d
        self.q, self.k = nn.Linear(d, d, bias=bias), nn.Linear(dm, kv, bias=bias)
        self.v, self.out = nn.Linear(dm, kv, bias=bias), nn.Linear(d, d, bias=bias)

    def split(self, y: torch.Tensor, heads: int) -> torch.Tensor:
        """[N, L, heads x width] -> [N, heads, L, width]; a key/value head repeated for
        each query head of its group (grouped-query attention)."""
        y = y.unflatten(-1, (heads, -1)).transpose(1, 2)
        return y if heads == self.heads else y.repeat_interleave(self.heads // heads, 1)

    def forward(self, x: torch.Tensor, padding: torch.Tensor | None = None) -> torch.Tensor:
        return self.attend(x, x, padding)

    def attend(self, x: torch.Tensor, memory: torch.Tensor, padding: torch.Tensor | None):
        """Queries from x [N, L, d], keys and values from memory [N, S, memory_dim]."""
        q = self.split(self.q(x), self.heads)
        k = self.split(self.k(memory), self.kv_heads)
        v = self.split(self.v(memory), self.kv_heads)
        p = self.dropout if self.training else 0.0
        seen = self.readable(q, k, padding)
        if self.explicit_products:
            y = self.products(q, k, v, p, seen)
        elif seen is None:
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=self.causal)
        else:
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=seen, dropout_p=p)
        return self.out(y.transpose(1, 2).flatten(2))

    def readable(self, q: torch.Tensor, k: torch.Tensor, padding: torch.Tensor | None):
        """Which keys each query reads, a bool broadcast to [N, heads, L, S] (true: read),
        or None where it reads every key or just the causal ones (is_causal)."""
        if padding is None:
            return None if not self.explicit_products or not self.causal else self.earlier(q, k)
        seen = ~padding[:, None, None, :]
        return seen & self.earlier(q, k) if self.causal else seen

    @staticmethod
    def earlier(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        """[L, S]: true where key j is not after query i (j <= i)."""
        ones = torch.ones(q.shape[-2], k.shape[-2], dtype=torch.bool, device=q.device)
        return ones.tril()

    def products(self, q, k, v, p: float, seen: torch.Tensor | None) -> torch.Tensor:
        """softmax(q kᵀ / sqrt(width)) v, written out (what the fused kernel computes); a
        query that reads no key gets zeros."""
        scores = q @ k.transpose(-1, -2) * q.shape[-1] ** -0.5
        if seen is None:
            return F.dropout(scores.softmax(-1), p, self.training) @ v
        # the least float rather than -inf: a row with no key stays finite (uniform, then
        # zeroed), so that no NaN reaches the backward pass
        weights = scores.masked_fill(~seen, torch.finfo(scores.dtype).min).softmax(-1)
        weights = weights.masked_fill(~seen.any(-1, keepdim=True), 0.0)
        return F.dropout(weights, p, self.training) @ v

    def extra_repr(self) -> str:
        return (
            f"heads={self.heads}, kv_heads={self.kv_heads}, causal={self.causal}, "
            f"dropout={self.dropout}"
        )


class CrossAttention(SelfAttention):
    """netspec `attention(..., memory=m)`: queries from the stream x [N, L, d], keys and
    values from the memory [N, S, memory_dim] (nn.MultiheadAttention's kdim = vdim =
    memory_dim); `padding` [N, S] as SelfAttention's. The same parameters and names."""

    def __init__(self, d: int, memory_dim: int, heads: int, **options):
        super().__init__(d, heads, memory_dim=memory_dim, **options)

    def forward(self, x: torch.Tensor, memory: torch.Tensor,
                padding: torch.Tensor | None = None) -> torch.Tensor:  # fmt: skip
        return self.attend(x, memory, padding)
