"""The modules of the classic networks PyTorch lacks: LeNet-5's squashing function
(ScaledTanh), trainable subsampling (Subsample), Euclidean RBF units (RBF) and
connection table (TableConv), the partial convolution of Liu et al. 2018 (PartialConv),
and average pooling with padding and dilation PyTorch's does not take (AvgPool).

Copied, source and all, into the models `netspec build` writes (backends/torch/names.py):
this file imports only torch and the containers.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def window_sum(x, kernel, stride, dilation, out):
    """Sum of every (dilated) window of `x`'s spatial axes: a pooling sum with no padding.

    Written as a sum of strided slices, one per kernel tap, so that it works for any
    dilation and rank, and is not a convolution (FLOP counters see no multiply-adds).
    """
    taps = [()]
    for k in kernel:
        taps = [t + (j,) for t in taps for j in range(k)]
    total = None
    for tap in taps:
        index = [slice(None), slice(None)]
        for t, d, s, o in zip(tap, dilation, stride, out, strict=True):
            index.append(slice(t * d, t * d + (o - 1) * s + 1, s))
        part = x[tuple(index)]
        total = part if total is None else total + part
    return total


class ScaledTanh(nn.Module):
    """a tanh(s x): LeCun's squashing function f(a) = 1.7159 tanh(2a / 3) by default."""

    def __init__(self, a: float = 1.7159, s: float = 0.6667):
        super().__init__()
        self.a, self.s = a, s

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.a * torch.tanh(self.s * x)

    def extra_repr(self) -> str:
        return f"a={self.a}, s={self.s}"


class Subsample(nn.Module):
    """LeNet-5's subsampling: each map's window sum times a trainable coefficient, plus a
    trainable bias (LeCun et al. 1998, section II-B); stride = kernel, no padding."""

    def __init__(self, channels: int, kernel_size: tuple[int, ...]):
        super().__init__()
        self.kernel_size = tuple(kernel_size)
        self.weight = nn.Parameter(torch.empty(channels))
        self.bias = nn.Parameter(torch.empty(channels))
        # LeCun's initialisation: uniform in +-2.4 / fan-in (appendix C)
        bound = 2.4 / _prod(self.kernel_size)
        nn.init.uniform_(self.weight, -bound, bound)
        nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pool = (F.avg_pool1d, F.avg_pool2d, F.avg_pool3d)[x.dim() - 3]
        sums = pool(x, self.kernel_size) * _prod(self.kernel_size)
        view = (1, -1) + (1,) * (x.dim() - 2)
        return sums * self.weight.view(view) + self.bias.view(view)

    def extra_repr(self) -> str:
        return f"{self.weight.numel()}, kernel_size={self.kernel_size}"


class RBF(nn.Module):
    """LeNet-5's output: Euclidean RBF units y_i = sum_j (x_j - w_ij)^2 (smaller = closer).

    The centres are fixed parameters unless `trainable`; they start as random +-1 codes
    (the paper's hand-drawn 7x12 bitmaps are not reproduced).
    """

    def __init__(self, in_features: int, units: int, trainable: bool = False):
        super().__init__()
        codes = torch.randint(0, 2, (units, in_features)).float() * 2 - 1
        self.weight = nn.Parameter(codes, requires_grad=trainable)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ((x.unsqueeze(1) - self.weight) ** 2).sum(-1)

    def extra_repr(self) -> str:
        units, features = self.weight.shape
        return f"{features}, {units}, trainable={self.weight.requires_grad}"


class TableConv(nn.Module):
    """A convolution whose output channel o reads only the input channels `table[o]`
    (LeNet-5's C3). `weight` holds one kernel per table entry, row after row.

    It runs as one dense convolution whose kernels outside the table are zero: on CPU
    that is about 9x faster than grouped convolutions doing only the table's
    multiply-adds (docs/performance.md), so PyTorch does out x C_in kernels' work.
    """

    def __init__(self, in_channels, table, kernel_size, stride, dilation, bias: bool = True):
        super().__init__()
        self.table = [list(row) for row in table]
        self.in_channels = in_channels
        self.kernel_size, self.stride, self.dilation = kernel_size, stride, dilation
        entries = sum(len(row) for row in self.table)
        self.weight = nn.Parameter(torch.empty(entries, *kernel_size))
        self.bias = nn.Parameter(torch.empty(len(self.table))) if bias else None
        self.rows = [o for o, row in enumerate(self.table) for _ in row]
        self.columns = [c for row in self.table for c in row]
        self._index = {}  # device -> (rows, columns) index tensors
        self.reset_parameters()

    def reset_parameters(self) -> None:
        at, taps = 0, _prod(self.kernel_size)
        with torch.no_grad():
            for o, row in enumerate(self.table):
                bound = 1 / (len(row) * taps) ** 0.5  # PyTorch's conv default, per row
                self.weight[at : at + len(row)].uniform_(-bound, bound)
                if self.bias is not None:
                    self.bias[o].uniform_(-bound, bound)
                at += len(row)

    def dense_weight(self) -> torch.Tensor:
        """The [out, in, *kernel] weight of an ordinary convolution: zeros off the table."""
        device = self.weight.device
        if device not in self._index:
            self._index[device] = (
                torch.tensor(self.rows, device=device),
                torch.tensor(self.columns, device=device),
            )
        shape = (len(self.table), self.in_channels, *self.kernel_size)
        return self.weight.new_zeros(shape).index_put(self._index[device], self.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        conv = (F.conv1d, F.conv2d, F.conv3d)[x.dim() - 3]
        return conv(x, self.dense_weight(), self.bias, self.stride, 0, self.dilation)

    def extra_repr(self) -> str:
        return f"table={self.table}, kernel_size={self.kernel_size}, stride={self.stride}"


class PartialConv(nn.Module):
    """Partial convolution (Liu et al. 2018): convolve x * mask and rescale each output
    by prod(window) / sum(mask in the window); windows the mask does not touch give 0.

    `padding` is F.pad's tuple (last axis first); x and the mask are zero-padded alike.
    The mask's window sums use every mask channel; the updated mask is not returned.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 groups=1, bias=True):  # fmt: skip
        super().__init__()
        self.kernel_size, self.stride, self.dilation = kernel_size, stride, dilation
        self.padding, self.groups = padding, groups
        shape = (out_channels, in_channels // groups, *kernel_size)
        self.weight = nn.Parameter(torch.empty(shape))
        self.bias = nn.Parameter(torch.empty(out_channels)) if bias else None
        bound = 1 / (shape[1] * _prod(kernel_size)) ** 0.5  # PyTorch's conv default
        nn.init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        conv = (F.conv1d, F.conv2d, F.conv3d)[x.dim() - 3]
        x = F.pad(x * mask, self.padding)
        mask = F.pad(mask, self.padding)
        y = conv(x, self.weight, None, self.stride, 0, self.dilation, self.groups)
        covered = window_sum(mask.sum(1, keepdim=True), self.kernel_size, self.stride,
                             self.dilation, y.shape[2:])  # fmt: skip
        window = mask.shape[1] * _prod(self.kernel_size)
        y = y * (window / covered.clamp(min=1))
        if self.bias is not None:
            y = y + self.bias.view((1, -1) + (1,) * (y.dim() - 2))
        return y * (covered > 0)

    def extra_repr(self) -> str:
        out, per_group = self.weight.shape[:2]
        return (
            f"{per_group * self.groups}, {out}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}, dilation={self.dilation}"
        )


class AvgPool(nn.Module):
    """Average pooling beyond nn.AvgPool: dilation, [before, after] padding, any ceil-mode
    overhang, with PyTorch's divisor rules (`count_include_pad` counts the declared
    padding; the part of a ceil-mode window past the padding never counts).

    `padding` is F.pad's tuple (last axis first); `overhang` likewise, added after it.
    """

    def __init__(self, kernel_size, stride, dilation, padding, overhang, count_include_pad):
        super().__init__()
        self.kernel_size, self.stride, self.dilation = kernel_size, stride, dilation
        self.padding, self.overhang = padding, overhang
        self.count_include_pad = count_include_pad

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ones = torch.ones((1, 1, *x.shape[2:]), dtype=x.dtype, device=x.device)
        counted = float(self.count_include_pad)
        ones = F.pad(F.pad(ones, self.padding, value=counted), self.overhang)
        x = F.pad(F.pad(x, self.padding), self.overhang)
        out = [
            (size - d * (k - 1) - 1) // s + 1
            for size, k, s, d in zip(
                x.shape[2:], self.kernel_size, self.stride, self.dilation, strict=True
            )
        ]
        sums = window_sum(x, self.kernel_size, self.stride, self.dilation, out)
        counts = window_sum(ones, self.kernel_size, self.stride, self.dilation, out)
        return sums / counts

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, dilation={self.dilation}, "
            f"padding={self.padding}, count_include_pad={self.count_include_pad}"
        )


def _prod(values) -> int:
    result = 1
    for v in values:
        result *= v
    return result
