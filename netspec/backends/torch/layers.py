"""Each op's PyTorch lowering: the module that computes it, as Python source text.

A lowering reads the node's normalised attributes and its input and output shapes (all
concrete where the op needs them: elaboration guarantees it) and returns a
:class:`Layer`: the constructor expression and how `forward` calls the module. Ops
that PyTorch has are its own modules (`nn.Conv2d`, `nn.MaxPool2d`, ...); the others are
classes of :mod:`netspec.backends.torch.runtime`, named in `helpers` so the generated
file carries them. Padding PyTorch cannot express (different before and after, or a
ceil-mode window past it) is an explicit `F.pad` in `forward`.

This module imports no torch: `netspec build` writes source without it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from netspec.backends.registry import registrar
from netspec.ir import Node
from netspec.values import Shape, Symbol


class Layer(NamedTuple):
    """How one node becomes PyTorch source."""

    make: str  # constructor expression, e.g. "nn.Conv2d(1, 6, 5)"
    call: str = "{module}({args})"  # forward's call, with {module} and {args}
    helpers: tuple[str, ...] = ()  # backends/torch/runtime.py names the expression uses


Lowering = Callable[[Node, tuple[Shape, ...], Shape], Layer]
LOWERINGS: dict[str, Lowering] = {}

lowers = registrar(LOWERINGS)


# --- formatting --------------------------------------------------------------------------


def per_axis(values: tuple[int, ...]) -> str:
    """`(3, 3)` -> `3`; `(3, 5)` -> `(3, 5)`: PyTorch takes either."""
    return str(values[0]) if len(set(values)) == 1 else str(tuple(values))


def arguments(*positional: Any, **keywords: tuple[Any, Any]) -> str:
    """Positional values, then `name=value` for each keyword whose value is not its default
    (keywords are given as (value, default)). Values are written with str(): a string is
    source code already (`per_axis` output)."""
    parts = [str(p) for p in positional]
    parts += [f"{k}={v}" for k, (v, default) in keywords.items() if v != default]
    return ", ".join(parts)


def f_pad(pairs: tuple[tuple[int, int], ...]) -> tuple[int, ...]:
    """Per-axis (before, after) pairs as F.pad's tuple: the last axis first."""
    return tuple(p for before, after in reversed(pairs) for p in (before, after))


def symmetric(pairs: tuple[tuple[int, int], ...]) -> bool:
    return all(before == after for before, after in pairs)


def padded_call(pairs: tuple[tuple[int, int], ...], value: str = "") -> str:
    fill = f", value={value}" if value else ""
    return f"{{module}}(F.pad({{args}}, {f_pad(pairs)}{fill}))"


def overhang(a: dict, x: Shape, out: Shape) -> tuple[tuple[int, int], ...]:
    """The padding after which the floor rule gives `out`: the declared padding, plus any
    ceil-mode window that hangs past it."""
    pairs = []
    for i, o, k, s, d, (before, after) in zip(
        x[2:], out[2:], a["kernel"], a["stride"], a["dilation"], a["padding"], strict=True
    ):
        reach = (o - 1) * s + d * (k - 1) + 1  # rows the windows read, padding included
        pairs.append((before, max(after, reach - i - before)))
    return tuple(pairs)


# --- convolutions ------------------------------------------------------------------------


@lowers("conv")
def conv(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    a, x = node.attrs, ins[0]
    rank, pads = len(x) - 2, a["padding"]
    call = "{module}({args})" if symmetric(pads) else padded_call(pads)
    if a["connect"] is not None:  # TableConv takes no padding: always pad explicitly
        call = padded_call(pads) if any(p for pair in pads for p in pair) else call
        table = [list(row) for row in a["connect"]]
        make = (
            f"TableConv({x[1]}, {table}, kernel_size={a['kernel']}, stride={a['stride']}, "
            f"dilation={a['dilation']}, bias={a['bias']})"
        )
        return Layer(make, call, ("TableConv",))
    padding = per_axis(tuple(b for b, _ in pads)) if symmetric(pads) else "0"
    make = f"nn.Conv{rank}d({_conv_args(a, x[1], padding)})"
    return Layer(make, call)


def _conv_args(a: dict, in_channels: int, padding: str, **extra: tuple[Any, Any]) -> str:
    return arguments(
        in_channels,
        a["out"],
        per_axis(a["kernel"]),
        stride=(per_axis(a["stride"]), "1"),
        padding=(padding, "0"),
        **extra,
        dilation=(per_axis(a["dilation"]), "1"),
        groups=(a["groups"], 1),
        bias=(a["bias"], True),
    )


@lowers("conv_transpose")
def conv_transpose(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    a, x = node.attrs, ins[0]
    padding = per_axis(tuple(b for b, _ in a["padding"]))
    output_padding = (per_axis(a["output_padding"]), "0")
    args = _conv_args(a, x[1], padding, output_padding=output_padding)
    return Layer(f"nn.ConvTranspose{len(x) - 2}d({args})")


@lowers("partial_conv")
def partial_conv(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    a, x = node.attrs, ins[0]
    make = (
        f"PartialConv({x[1]}, {a['out']}, kernel_size={a['kernel']}, stride={a['stride']}, "
        f"padding={f_pad(a['padding'])}, dilation={a['dilation']}, groups={a['groups']}, "
        f"bias={a['bias']})"
    )
    return Layer(make, helpers=("PartialConv",))


# --- pooling -----------------------------------------------------------------------------


@lowers("maxpool")
def maxpool(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    a, x = node.attrs, ins[0]
    rank, pads = len(x) - 2, a["padding"]
    stride = (per_axis(a["stride"]), per_axis(a["kernel"]))
    dilation = (per_axis(a["dilation"]), "1")
    if symmetric(pads):
        padding = (per_axis(tuple(b for b, _ in pads)), "0")
        ceil = (a["ceil_mode"], False)
        args = arguments(
            per_axis(a["kernel"]), stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil
        )
        return Layer(f"nn.MaxPool{rank}d({args})")
    # PyTorch pads symmetrically: pad with -inf by hand, as far as the windows reach
    args = arguments(per_axis(a["kernel"]), stride=stride, dilation=dilation)
    return Layer(f"nn.MaxPool{rank}d({args})", padded_call(overhang(a, x, out), 'float("-inf")'))


@lowers("avgpool")
def avgpool(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    a, x = node.attrs, ins[0]
    rank, pads = len(x) - 2, a["padding"]
    if symmetric(pads) and set(a["dilation"]) == {1}:
        args = arguments(
            per_axis(a["kernel"]),
            stride=(per_axis(a["stride"]), per_axis(a["kernel"])),
            padding=(per_axis(tuple(b for b, _ in pads)), "0"),
            ceil_mode=(a["ceil_mode"], False),
            count_include_pad=(a["count_include_pad"], True),
        )
        return Layer(f"nn.AvgPool{rank}d({args})")
    # dilation or [before, after] padding: nn.AvgPool has neither
    reach = overhang(a, x, out)
    extra = tuple(
        (0, r_after - after) for (_, after), (_, r_after) in zip(pads, reach, strict=True)
    )
    make = (
        f"AvgPool(kernel_size={a['kernel']}, stride={a['stride']}, dilation={a['dilation']}, "
        f"padding={f_pad(pads)}, overhang={f_pad(extra)}, "
        f"count_include_pad={a['count_include_pad']})"
    )
    return Layer(make, helpers=("AvgPool",))


@lowers("subsample")
def subsample(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    return Layer(
        f"Subsample({ins[0][1]}, kernel_size={node.attrs['kernel']})", helpers=("Subsample",)
    )


@lowers("global_avgpool", "global_maxpool", "adaptive_avgpool", "adaptive_maxpool")
def adaptive_pool(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    kind = "Avg" if "avg" in node.op else "Max"
    size = per_axis(node.attrs["size"]) if "size" in node.attrs else "1"
    return Layer(f"nn.Adaptive{kind}Pool{len(ins[0]) - 2}d({size})")


# --- dense, normalisation, merges, shapes --------------------------------------------------


@lowers("linear")
def linear(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    a = node.attrs
    return Layer(f"nn.Linear({arguments(ins[0][-1], a['out'], bias=(a['bias'], True))})")


@lowers("rbf")
def rbf(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    a = node.attrs
    args = arguments(ins[0][-1], a["units"], trainable=(a["trainable"], False))
    return Layer(f"RBF({args})", helpers=("RBF",))


@lowers("bn")
def bn(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    a, x = node.attrs, ins[0]
    args = arguments(
        x[1],
        eps=(a["eps"], 1e-5),
        momentum=(a["momentum"], 0.1),
        affine=(a["affine"], True),
        track_running_stats=(a["track_running_stats"], True),
    )
    return Layer(f"nn.BatchNorm{max(len(x) - 2, 1)}d({args})")


@lowers("lrn")
def lrn(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    a = node.attrs
    args = arguments(a["size"], alpha=(a["alpha"], 1e-4), beta=(a["beta"], 0.75), k=(a["k"], 1.0))
    return Layer(f"nn.LocalResponseNorm({args})")


@lowers("add", "concat")
def merge(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    """Without branches; the generator puts their count first (it knows the module tree)."""
    dim = node.attrs.get("dim", 1)
    name = "Add" if node.op == "add" else "Concat"
    return Layer(f"{name}(dim={dim})" if dim != 1 else f"{name}()", helpers=(name,))


@lowers("flatten")
def flatten(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    start = node.attrs["start_dim"]
    return Layer(f"nn.Flatten({start})" if start != 1 else "nn.Flatten()")


@lowers("reshape")
def reshape(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    dims = [d.name if isinstance(d, Symbol) else d for d in node.attrs["dims"]]
    x = list(ins[0])
    symbols = {d: x.index(d) for d in dims if isinstance(d, str)}
    return Layer(f"Reshape({dims}, {symbols})", helpers=("Reshape",))


@lowers("upsample")
def upsample(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    a = node.attrs
    scale = a["scale"]
    factor = scale[0] if len(set(scale)) == 1 else tuple(scale)
    corners = ", align_corners=False" if a["mode"] != "nearest" else ""
    mode = f", mode={a['mode']!r}" if a["mode"] != "nearest" else ""
    return Layer(f"nn.Upsample(scale_factor={factor}{mode}{corners})")


# --- unit-wise ---------------------------------------------------------------------------

_PLAIN = {
    "identity": "nn.Identity()",
    "relu": "nn.ReLU()",
    "relu6": "nn.ReLU6()",
    "sigmoid": "nn.Sigmoid()",
    "tanh": "nn.Tanh()",
    "gelu": "nn.GELU()",
    "silu": "nn.SiLU()",
}


@lowers(*_PLAIN)
def plain(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    return Layer(_PLAIN[node.op])


@lowers("leaky_relu", "elu", "dropout", "softmax", "log_softmax", "scaled_tanh")
def with_argument(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    a = node.attrs
    made = {
        "leaky_relu": lambda: f"nn.LeakyReLU({a['slope']})",
        "elu": lambda: f"nn.ELU({a['alpha']})",
        "dropout": lambda: f"nn.Dropout({a['p']})",
        "softmax": lambda: f"nn.Softmax(dim={a['dim']})",
        "log_softmax": lambda: f"nn.LogSoftmax(dim={a['dim']})",
        "scaled_tanh": lambda: f"ScaledTanh({a['a']}, {a['s']})",
    }[node.op]()
    return Layer(made, helpers=("ScaledTanh",) if node.op == "scaled_tanh" else ())


@lowers("prelu")
def prelu(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    return Layer("nn.PReLU()" if node.attrs["shared"] else f"nn.PReLU({ins[0][1]})")
