"""ONNX lowerings of the normalisations of netspec/ops/norm.py, with PyTorch's eval-mode
semantics and standard operators at every opset netspec exports (13 to 21).

- `layer_norm` along the last axis is LayerNormalization from opset 17; before it, and
  along any other axis (ConvNeXt's channels), it is written out: ReduceMean, Sub, Mul,
  Sqrt, Div, then the scale and shift viewed along the axis.
- `rms_norm` is written out (RMSNormalization is opset 23): x / sqrt(mean(x^2) + eps),
  eps none being float32's machine epsilon, as PyTorch takes for float32 inputs.
- `group_norm` is written out at every opset (GroupNormalization is opset 18, and its
  scale changed from per group to per channel at 21): the mean over each channel's
  positions, then over the channels of each group (Reshape [N, G, C/G], ReduceMean,
  Expand, Reshape [N, C, 1, ...]). Every shape stays one that strict shape inference
  follows, symbolic positions (a sequence's T) included, which a Reshape of the whole
  tensor to [N, G, -1] and back would lose.
- `instance_norm` is InstanceNormalization (ones and zeros when not affine), or, with
  running statistics, BatchNormalization with them, as PyTorch's eval mode uses them.

Assumes normalised attributes and the analysis's shapes. Guarantees PyTorch's outputs,
parameters named by PyTorch's state_dict keys.
"""

from __future__ import annotations

import numpy as np

from netspec.backends.onnx.emit import Emitter
from netspec.backends.onnx.lowering.base import lowers
from netspec.ir import Node

FLOAT32_EPS = float(np.finfo(np.float32).eps)  # torch.finfo(torch.float32).eps


def _along(em: Emitter, vector: str, rank: int, dim: int) -> str:
    """A [D] vector shaped [D, 1, ...] to broadcast along axis `dim` of a rank-`rank` tensor."""
    if dim == rank - 1:
        return vector
    return em.unsqueeze(vector, list(range(1, rank - dim)))


def _chain(em: Emitter, x: str, steps: list[tuple[str, str]], y: str) -> None:
    """Apply each (binary op, operand) to x in turn; the last node writes y."""
    for i, (op_type, operand) in enumerate(steps):
        x = em.op(op_type, [x, operand], y if i == len(steps) - 1 else None)


def _sqrt_plus(em: Emitter, t: str, eps: float) -> str:
    return em.op("Sqrt", [em.op("Add", [t, em.const("eps", eps)])])


def _affine(em: Emitter, node: Node, d: int, rank: int, dim: int, bias: bool) -> list:
    """The steps of the learnt scale (and shift) along `dim`, where the layer has them."""
    p = node.path
    if not node.attrs["affine"]:
        return []
    steps = [("Mul", _along(em, em.param(f"{p}.weight", (d,), "ones"), rank, dim))]
    if bias:
        steps.append(("Add", _along(em, em.param(f"{p}.bias", (d,), "zeros"), rank, dim)))
    return steps


@lowers("layer_norm")
def layer_norm(em: Emitter, node: Node, xs, ins, out, y) -> None:
    a, rank = node.attrs, len(ins[0])
    dim = a["dim"] % rank
    d, bias = ins[0][dim], a["affine"] and a["bias"]
    if em.opset >= 17 and dim == rank - 1:
        p = node.path
        scale = (
            em.param(f"{p}.weight", (d,), "ones") if a["affine"] else em.const("ones", np.ones(d))
        )
        shift = [em.param(f"{p}.bias", (d,), "zeros")] if bias else []
        em.op("LayerNormalization", [xs[0], scale, *shift], y, axis=-1, epsilon=a["eps"])
        return
    centred = em.op("Sub", [xs[0], em.reduce("ReduceMean", xs[0], [dim])])
    var = em.reduce("ReduceMean", em.op("Mul", [centred, centred]), [dim])
    std = _sqrt_plus(em, var, a["eps"])
    _chain(em, centred, [("Div", std), *_affine(em, node, d, rank, dim, bias)], y)


@lowers("rms_norm")
def rms_norm(em: Emitter, node: Node, xs, ins, out, y) -> None:
    a, rank = node.attrs, len(ins[0])
    dim = a["dim"] % rank
    square = em.reduce("ReduceMean", em.op("Mul", [xs[0], xs[0]]), [dim])
    rms = _sqrt_plus(em, square, FLOAT32_EPS if a["eps"] is None else a["eps"])
    _chain(em, xs[0], [("Div", rms), *_affine(em, node, ins[0][dim], rank, dim, False)], y)


def _group_mean(em: Emitter, t: str, c: int, groups: int, rank: int) -> str:
    """The mean of each group of channels over all its positions, as [N, C, 1, ...]."""
    per_channel = em.reduce("ReduceMean", t, list(range(2, rank))) if rank > 2 else t
    grouped = em.op("Reshape", [per_channel, em.ints("grouped", [0, groups, c // groups])])
    mean = em.reduce("ReduceMean", grouped, [2])
    spread = em.op("Expand", [mean, em.ints("spread", [1, 1, c // groups])])
    return em.op("Reshape", [spread, em.ints("channels", [0, c] + [1] * (rank - 2))])


@lowers("group_norm")
def group_norm(em: Emitter, node: Node, xs, ins, out, y) -> None:
    a, c, rank = node.attrs, ins[0][1], len(ins[0])
    centred = em.op("Sub", [xs[0], _group_mean(em, xs[0], c, a["groups"], rank)])
    var = _group_mean(em, em.op("Mul", [centred, centred]), c, a["groups"], rank)
    std = _sqrt_plus(em, var, a["eps"])
    _chain(em, centred, [("Div", std), *_affine(em, node, c, rank, 1, True)], y)


@lowers("instance_norm")
def instance_norm(em: Emitter, node: Node, xs, ins, out, y) -> None:
    a, c, p = node.attrs, ins[0][1], node.path
    if a["affine"]:
        scale, shift = em.param(f"{p}.weight", (c,), "ones"), em.param(f"{p}.bias", (c,), "zeros")
    else:
        scale, shift = em.const("ones", np.ones(c)), em.const("zeros", np.zeros(c))
    if not a["track_running_stats"]:
        em.op("InstanceNormalization", [xs[0], scale, shift], y, epsilon=a["eps"])
        return
    mean = em.param(f"{p}.running_mean", (c,), "zeros")
    var = em.param(f"{p}.running_var", (c,), "ones")
    em.op("BatchNormalization", [xs[0], scale, shift, mean, var], y, epsilon=a["eps"])
