"""One output cell of a convolution or a linear layer, as the dot product it is: the input
window (per input channel), the kernel's weights, the products' sum, the bias, and the
pre-activation value, then the elementwise layers that follow (batch norm, an
activation) at the same cell, each with its real output there.

The window is read from the tensor the layer's module received (after any padding the
generated `forward` applies itself), at rows ``row * stride - padding + i * dilation``;
positions in the module's own zero padding are 0. The sum is taken in float64 and
compared with the module's real output at the cell: `agrees` says whether they match
within TOLERANCE (relative, 1 at least), so a reader can trust the numbers shown.

Assumes torch, the modules netspec's torch backend builds (nn.Conv2d with zero padding,
TableConv, nn.Linear), and tensors of one sample. Guarantees plain JSON numbers, or a
BadRequest naming what cell or layer the panel can explain.
"""

from __future__ import annotations

from typing import Any

import torch

from netspec.ir import Graph, Node
from netspec.ops import REGISTRY
from netspec.serve.fields import BadRequest

TOLERANCE = 1e-4
MAX_TERMS = 65_536  # products a cell may show (512 channels of 11 x 11 kernels fit)
FOLLOWERS = 3  # elementwise layers shown after the cell's layer
NOT_ELEMENTWISE = ("softmax", "log_softmax")  # activations over an axis, not per cell


def cell_field(request: dict[str, Any]) -> dict[str, Any] | None:
    """The optional `cell`: {layer, channel, row, col} (whole numbers, row/col 0 for a
    linear layer)."""
    cell = request.get("cell")
    if cell is None:
        return None
    ok = isinstance(cell, dict) and isinstance(cell.get("layer"), str)
    numbers = [cell.get(k, 0) for k in ("channel", "row", "col")] if ok else []
    if not ok or not all(isinstance(n, int) and not isinstance(n, bool) for n in numbers):
        raise BadRequest("`cell` is {layer: a conv or linear layer's path, channel, row, col}")
    if min(numbers) < 0:
        raise BadRequest("`cell`'s channel, row and col count from 0")
    return {"layer": cell["layer"], "channel": numbers[0], "row": numbers[1], "col": numbers[2]}


def followers(graph: Graph, node: Node) -> list[Node]:
    """The elementwise layers that take `node`'s output alone, in a chain."""
    chain, tensor = [], node.output
    shape = graph.shape(tensor)
    for later in graph.nodes:
        if len(chain) == FOLLOWERS:
            break
        if later.inputs != (tensor,) or graph.shape(later.output) != shape:
            continue
        family = REGISTRY[later.op].family
        if later.op == "bn" or (family == "activation" and later.op not in NOT_ELEMENTWISE):
            chain.append(later)
            tensor = later.output
        else:
            break
    return chain


def explain(
    node: Node, module: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, cell: dict
) -> dict[str, Any]:
    """The dot product behind `y[cell]`; `x` and `y` are the module's input and output
    for one sample (the batch axis removed)."""
    if node.op == "linear" and isinstance(module, torch.nn.Linear):
        return _linear(module, x, y, cell)
    if node.op == "conv" and x.dim() == 3 and hasattr(module, "weight"):
        return _conv(module, x, y, cell)
    raise BadRequest(
        f"{node.path} is a {node.op} layer; the panel shows the dot product of a 2-d "
        "convolution's or a linear layer's output cell"
    )


def _conv(module: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, cell: dict) -> dict:
    weight, used = _kernels(module, cell["channel"], y.shape[0])
    c, r, q = cell["channel"], cell["row"], cell["col"]
    if r >= y.shape[1] or q >= y.shape[2]:
        raise BadRequest(f"the layer's maps are {y.shape[1]} x {y.shape[2]}; no cell ({r}, {q})")
    stride, dilation = _pair(module.stride), _pair(module.dilation)
    pad = _padding(module, weight.shape[-2:], dilation)
    top, left = r * stride[0] - pad[0], q * stride[1] - pad[1]
    kh, kw = weight.shape[-2:]
    if len(used) * kh * kw > MAX_TERMS:
        raise BadRequest(f"the cell sums {len(used) * kh * kw:,} products; the panel shows fewer")
    rows = [top + i * dilation[0] for i in range(kh)]
    cols = [left + j * dilation[1] for j in range(kw)]
    channels, total = [], 0.0
    for i, ic in enumerate(used):
        window = [[_at(x[ic], a, b) for b in cols] for a in rows]
        kernel = weight[i].double().tolist()
        part = sum(
            w * k
            for wr, kr in zip(window, kernel, strict=True)
            for w, k in zip(wr, kr, strict=True)
        )
        channels.append({"channel": ic, "window": window, "kernel": kernel, "sum": part})
        total += part
    shown = {"rows": rows, "cols": cols, "input_size": list(x.shape[1:])}
    return _answer("conv", module, c, total, float(y[c, r, q]), {"channels": channels, **shown})


def _kernels(module: torch.nn.Module, c: int, out: int) -> tuple[torch.Tensor, list[int]]:
    """Output channel c's kernels [len(used), kh, kw] and the input channels they read."""
    if c >= out:
        raise BadRequest(f"the layer has {out} channels; no channel {c}")
    if hasattr(module, "table"):  # TableConv: the channels of its connection table's row
        used = list(module.table[c])
        return module.dense_weight()[c, used].detach(), used
    if getattr(module, "padding_mode", "zeros") != "zeros" or module.weight.dim() != 4:
        raise BadRequest("the panel explains 2-d convolutions with zero padding")
    per_group = module.weight.shape[1]
    first = c // (out // module.groups) * per_group
    return module.weight[c].detach(), list(range(first, first + per_group))


def _padding(module: torch.nn.Module, kernel, dilation) -> tuple[int, int]:
    padding = getattr(module, "padding", 0)
    if padding == "same":  # PyTorch puts the odd pixel after: the top/left is the floor
        return tuple(d * (k - 1) // 2 for d, k in zip(dilation, kernel, strict=True))  # type: ignore[return-value]
    return _pair(padding)


def _pair(value) -> tuple[int, int]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)  # type: ignore[return-value]


def _at(plane: torch.Tensor, a: int, b: int) -> float:
    inside = 0 <= a < plane.shape[0] and 0 <= b < plane.shape[1]
    return float(plane[a, b]) if inside else 0.0


def _linear(module: torch.nn.Linear, x: torch.Tensor, y: torch.Tensor, cell: dict) -> dict:
    c = cell["channel"]
    if x.dim() != 1:
        raise BadRequest("the panel explains a linear layer of a flat input ([N, features])")
    if c >= y.shape[0]:
        raise BadRequest(f"the layer has {y.shape[0]} outputs; no output {c}")
    if x.shape[0] > MAX_TERMS:
        raise BadRequest(f"the output sums {x.shape[0]:,} products; the panel shows fewer")
    inputs, weights = x.double().tolist(), module.weight[c].detach().double().tolist()
    total = sum(a * w for a, w in zip(inputs, weights, strict=True))
    return _answer("linear", module, c, total, float(y[c]), {"inputs": inputs, "weights": weights})


def _answer(kind: str, module, c: int, total: float, real: float, parts: dict) -> dict:
    bias = float(module.bias[c]) if getattr(module, "bias", None) is not None else 0.0
    computed = total + bias
    return {
        "kind": kind,
        **parts,
        "sum": total,
        "bias": bias,
        "computed": computed,
        "pre_activation": real,
        "agrees": abs(computed - real) <= TOLERANCE * max(1.0, abs(real)),
    }
