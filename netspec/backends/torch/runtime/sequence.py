"""The modules of netspec's sequence ops (netspec/ops/sequence.py): Scale, CausalMask,
Sinusoidal and LearnedPositions, the parts of a hand-written attention and the position
tables.

Copied, source and all, into the models `netspec build` writes (backends/torch/names.py):
this file imports only torch.
"""

from __future__ import annotations

import torch
from torch import nn


class Scale(nn.Module):
    """netspec `scale`: x times a constant."""

    def __init__(self, factor: float):
        super().__init__()
        self.factor = factor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.factor

    def extra_repr(self) -> str:
        return f"factor={self.factor}"


class CausalMask(nn.Module):
    """netspec `causal_mask`: scores [..., L, S] of a key after its query (j > i) -inf."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        later = torch.ones(x.shape[-2:], dtype=torch.bool, device=x.device).triu(1)
        return x.masked_fill(later, float("-inf"))


class Sinusoidal(nn.Module):
    """netspec `sinusoidal`: adds rows 0 to L - 1 of the fixed table
    PE[p, 2i] = sin(p / base^(2i/D)), PE[p, 2i+1] = cos(p / base^(2i/D)) to [N, L, D];
    the table, [max_length, D], is a buffer (saved with the model, not trained)."""

    def __init__(self, max_length: int, width: int, base: float = 10000.0):
        super().__init__()
        position = torch.arange(max_length, dtype=torch.float32)[:, None]
        frequency = base ** (-torch.arange(0, width, 2, dtype=torch.float64) / width)
        table = torch.zeros(max_length, width)
        angle = (position.double() * frequency).float()
        table[:, 0::2] = torch.sin(angle)
        table[:, 1::2] = torch.cos(angle)
        self.register_buffer("table", table)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.table[: x.shape[1]]


class LearnedPositions(nn.Embedding):
    """netspec `learned_positions`: adds rows 0 to L - 1 of a learned [max_length, D]
    table to [N, L, D]: an nn.Embedding read at the positions (GPT-2's wpe), its weight
    the state_dict's `<path>.weight`."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.weight[: x.shape[1]]
