"""PyTorch's recurrent modules as the lstm, gru and rnn ops use them: nn.LSTM, nn.GRU
and nn.RNN whose forward gives the sequence alone, or with `states=True` the sequence
and the final states as one flat tuple, (seq, h, c) or (seq, h).

Subclasses, not wrappers: the parameters keep PyTorch's own names under the layer's
path (`<path>.weight_ih_l0`, `<path>.bias_hh_l1_reverse`, ...), so PyTorch's weights
load as they are. The initial states are zeros, as PyTorch's default.

Copied, source and all, into the models `netspec build` writes (backends/torch/names.py):
this file imports only torch.
"""

from __future__ import annotations

import torch
from torch import nn


class Recurrent:
    """A mixin for nn.LSTM, nn.GRU and nn.RNN: the sequence alone, or with `states`
    the sequence and the final states, flat (lstm's h and c as two outputs)."""

    def forward(self, x: torch.Tensor, states: bool = False):
        seq, state = super().forward(x)
        if not states:
            return seq
        return (seq, *state) if isinstance(state, tuple) else (seq, state)


class LSTM(Recurrent, nn.LSTM):
    """nn.LSTM giving the sequence, or (seq, h, c) with `states=True`."""


class GRU(Recurrent, nn.GRU):
    """nn.GRU giving the sequence, or (seq, h) with `states=True`."""


class RNN(Recurrent, nn.RNN):
    """nn.RNN giving the sequence, or (seq, h) with `states=True`."""
