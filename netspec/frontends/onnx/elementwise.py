"""Unit-wise ops and normalisations: activations, Clip, batch norm, LRN, softmax.

Assumes ONNX's attribute defaults (LeakyRelu alpha 0.01, Elu alpha 1, HardSigmoid
alpha 0.2 and beta 0.5, BatchNormalization epsilon 1e-5 and momentum 0.9, LRN alpha
1e-4, beta 0.75, bias 1). Guarantees netspec's op where the functions are the same:
Clip(0, 6) is relu6 and Clip(0, inf) relu, Mul(x, Sigmoid(x)) silu, HardSigmoid only
with PyTorch's 1/6 and 0.5; Identity and an inference-time Dropout vanish (the output
is an alias of the input); a training Dropout is `dropout(p)`; PRelu with one stored
slope, or one per channel, is `prelu`.
"""

from __future__ import annotations

import math

import numpy as np

from netspec.frontends.imported import Stage, Unsupported
from netspec.frontends.onnx.context import Context, attrs, number, refuse

Result = list[Stage] | Unsupported

PLAIN = {"Relu": "relu", "Tanh": "tanh", "HardSwish": "hardswish", "Mish": "mish"}
PLAIN |= {"Softplus": "softplus"}


def plain(node, ctx: Context) -> Result:
    return [ctx.stage(node, PLAIN[node.op_type])]


def sigmoid(node, ctx: Context) -> Result:
    """Sigmoid, or silu when its one reader is Mul(x, Sigmoid(x))."""
    mul = ctx.only_reader(node.output[0])
    if (
        mul is not None
        and mul.op_type == "Mul"
        and sorted(mul.input) == sorted([node.input[0], node.output[0]])
    ):
        ctx.skip.add(id(mul))
        return [ctx.stage(node, "silu", output=mul.output[0])]
    return [ctx.stage(node, "sigmoid")]


def leaky_relu(node, ctx: Context) -> Result:
    slope = number(attrs(node).get("alpha", 0.01))
    return [ctx.stage(node, "leaky_relu", (), {"slope": None if slope == 0.01 else slope})]


def elu(node, ctx: Context) -> Result:
    alpha = number(attrs(node).get("alpha", 1.0))
    return [ctx.stage(node, "elu", (), {"alpha": None if alpha == 1.0 else alpha})]


def gelu(node, ctx: Context) -> Result:
    approximate = attrs(node).get("approximate", "none")
    return [
        ctx.stage(node, "gelu", (), {"approximate": None if approximate == "none" else approximate})
    ]


def hard_sigmoid(node, ctx: Context) -> Result:
    a = attrs(node)
    if not (math.isclose(a.get("alpha", 0.2), 1 / 6, rel_tol=1e-5) and a.get("beta", 0.5) == 0.5):
        return refuse(node, "alpha/beta are not PyTorch's 1/6 and 0.5 (netspec's hardsigmoid)")
    return [ctx.stage(node, "hardsigmoid")]


def clip(node, ctx: Context) -> Result:
    a = attrs(node)
    low, high = a.get("min", -np.inf), a.get("max", np.inf)
    for i, _ in ((1, "min"), (2, "max")):
        if len(node.input) > i and node.input[i]:
            bound = ctx.const(node.input[i])
            if bound is None:
                return refuse(node, "its bounds are computed at run time")
            low, high = (float(bound), high) if i == 1 else (low, float(bound))
    if low == 0 and high == 6:
        return [ctx.stage(node, "relu6")]
    if low == 0 and high == np.inf:
        return [ctx.stage(node, "relu")]
    return refuse(node, f"Clip({low}, {high}): netspec has relu (0, inf) and relu6 (0, 6)")


def prelu(node, ctx: Context) -> Result:
    """PRelu with a stored slope: one for every unit (`prelu(shared=true)`) or one per
    channel, broadcast along axis 1 ([C], or [C, 1, 1] on a map): netspec's weight [C]."""
    slope = ctx.const(node.input[1])
    shape = ctx.shape(node.input[0])
    if slope is None:
        return refuse(node, "its slope is computed at run time, not stored")
    if slope.size == 1:
        weight = slope.reshape(1)
        return [ctx.stage(node, "prelu", (), {"shared": True}, weights=[("weight", weight)])]
    if shape is None or len(shape) < 2 or slope.ndim > len(shape):
        return refuse(node, "a slope per unit on an input of unknown rank")
    # right-aligned as ONNX broadcasts: [1, C, 1, ...] is one slope per channel
    aligned = (1,) * (len(shape) - slope.ndim) + tuple(slope.shape)
    if aligned != (1, shape[1], *(1,) * (len(shape) - 2)):
        return refuse(node, f"slopes {list(slope.shape)}: netspec's prelu has one per channel")
    return [ctx.stage(node, "prelu", weights=[("weight", slope.reshape(-1))])]


def batch_norm(node, ctx: Context) -> Result:
    names = ("weight", "bias", "running_mean", "running_var")
    values = [ctx.const(t) for t in node.input[1:5]]
    if any(v is None for v in values):
        return refuse(node, "its scale, bias or statistics are computed at run time")
    if any(ctx.readers(t) for t in node.output[1:] if t):
        return refuse(node, "its running statistics outputs are read")
    a = attrs(node)
    eps, momentum = number(a.get("epsilon", 1e-5)), number(1 - number(a.get("momentum", 0.9)))
    kwargs = {"eps": None if eps == 1e-5 else eps}
    kwargs["momentum"] = None if momentum == 0.1 else momentum
    return [ctx.stage(node, "bn", (), kwargs, weights=list(zip(names, values, strict=False)))]


def lrn(node, ctx: Context) -> Result:
    a = attrs(node)
    alpha, beta, k = (
        number(a.get(n, d)) for n, d in (("alpha", 1e-4), ("beta", 0.75), ("bias", 1.0))
    )
    kwargs = {"alpha": None if alpha == 1e-4 else alpha, "beta": None if beta == 0.75 else beta}
    kwargs["k"] = None if k == 1.0 else k
    return [ctx.stage(node, "lrn", (int(a["size"]),), kwargs)]


def softmax(node, ctx: Context) -> Result:
    shape = ctx.shape(node.input[0])
    axis = attrs(node).get("axis", -1 if ctx.graph.opset >= 13 else 1)
    if shape is not None:
        axis %= len(shape)
        if ctx.graph.opset < 13 and axis != len(shape) - 1:
            return refuse(node, "before opset 13 it normalises over every axis from `axis` on")
    op = "softmax" if node.op_type == "Softmax" else "log_softmax"
    return [ctx.stage(node, op, (), {"dim": None if axis == 1 else axis})]


def identity(node, ctx: Context) -> Result:
    ctx.alias[node.output[0]] = node.input[0]
    return []


def dropout(node, ctx: Context) -> Result:
    a = attrs(node)
    ratio = a.get("ratio", 0.5)
    if len(node.input) > 1 and node.input[1]:
        ratio = ctx.const(node.input[1])
    training = ctx.const(node.input[2]) if len(node.input) > 2 and node.input[2] else None
    if ratio is None or (len(node.input) > 2 and node.input[2] and training is None):
        return refuse(node, "its ratio or training mode is computed at run time")
    if len(node.output) > 1 and node.output[1] and ctx.readers(node.output[1]):
        return refuse(node, "its mask output is read")
    if training is None or not bool(training):  # inference: the identity
        return identity(node, ctx)
    p = number(float(ratio))
    return [ctx.stage(node, "dropout", (), {"p": None if p == 0.5 else p})]


def layer_norm(node, ctx: Context, rank: int | None = None) -> Result:
    a = attrs(node)
    shape = ctx.shape(node.input[0])
    rank = rank or (len(shape) if shape is not None else None)
    axis = a.get("axis", -1)
    if rank is not None and axis % rank != rank - 1:
        return refuse(node, "normalises over several axes; netspec's layer_norm takes one")
    scale = ctx.const(node.input[1])
    bias = ctx.const(node.input[2]) if len(node.input) > 2 and node.input[2] else None
    if scale is None:
        return refuse(node, "its scale is computed at run time")
    eps = number(a.get("epsilon", 1e-5))
    kwargs = {"eps": None if eps == 1e-5 else eps, "bias": None if bias is not None else False}
    weights = [("weight", scale)] + ([("bias", bias)] if bias is not None else [])
    return [ctx.stage(node, "layer_norm", (), kwargs, weights=weights)]


TABLE = {op: plain for op in PLAIN}
TABLE |= {"Sigmoid": sigmoid, "LeakyRelu": leaky_relu, "Elu": elu, "Gelu": gelu}
TABLE |= {"HardSigmoid": hard_sigmoid, "Clip": clip, "BatchNormalization": batch_norm}
TABLE |= {"LRN": lrn, "Softmax": softmax, "LogSoftmax": softmax, "Identity": identity}
TABLE |= {"Dropout": dropout, "LayerNormalization": layer_norm}
TABLE |= {"PRelu": prelu}
