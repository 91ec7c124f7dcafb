"""The containers of a generated model: Scope (a named statement, a branch, repeat copies;
learned tensors too), the merges Add, Mul, Concat and Matmul that hold their branches, and
Part, one output of chunk or split.

Copied, source and all, into the models `netspec build` writes (backends/torch/names.py):
this file imports only torch, and the classes here come first in a generated file, since
the merges subclass Scope.
"""

from __future__ import annotations

import torch
from torch import nn


class Scope(nn.Module):
    """A group of layers the spec names: a named statement, a merge branch, repeat copies.

    `Scope(3)` holds three empty scopes named 0, 1, 2 (reached as `scope[1]`); a copy may
    be replaced by a module or by a learned tensor (netspec `param` in a repeat), whose
    state_dict key is then the spec's path, `gamma.1`.
    """

    def __init__(self, copies: int = 0):
        super().__init__()
        for i in range(copies):
            self.add_module(str(i), Scope())

    def __getitem__(self, index: int) -> nn.Module | nn.Parameter:
        key = str(index)
        return self._modules[key] if key in self._modules else self._parameters[key]

    def __setitem__(self, index: int, value: nn.Module | nn.Parameter) -> None:
        key = str(index)
        if isinstance(value, nn.Parameter):
            self._modules.pop(key, None)  # the empty scope Scope(copies) made
            self.register_parameter(key, value)
        else:
            self.add_module(key, value)


class Add(Scope):
    """netspec `add`: the elementwise sum of its inputs; holds its branches, if any."""

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        total = inputs[0]
        for x in inputs[1:]:
            total = total + x
        return total


class Concat(Scope):
    """netspec `concat`: joins its inputs along `dim`; holds its branches, if any."""

    def __init__(self, copies: int = 0, dim: int = 1):
        super().__init__(copies)
        self.dim = dim

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        if self.dim % inputs[0].dim() != 0:  # a batch of 1 (a class token) joins them all
            batch = max(t.shape[0] for t in inputs)
            inputs = tuple(t.expand(batch, *t.shape[1:]) for t in inputs)
        return torch.cat(inputs, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Mul(Scope):
    """netspec `mul`: the elementwise product of its inputs, broadcast; holds its
    branches, if any."""

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        product = inputs[0]
        for x in inputs[1:]:
            product = product * x
        return product


class Matmul(Scope):
    """netspec `matmul`: the matrix product of its two inputs (torch.matmul: the last two
    axes are the matrices, the batch axes broadcast); holds its branches, if any."""

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return torch.matmul(a, b)


class Part(nn.Module):
    """One output of netspec `chunk` / `split`: `size` entries of `dim` from `start`."""

    def __init__(self, dim: int, start: int, size: int):
        super().__init__()
        self.dim, self.start, self.size = dim, start, size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.narrow(self.dim, self.start, self.size)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, start={self.start}, size={self.size}"
