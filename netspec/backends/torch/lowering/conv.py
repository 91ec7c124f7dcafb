"""PyTorch lowerings of the convolutions (netspec/ops/conv.py): conv (nn.ConvNd, or the
runtime's TableConv for a connection table), conv_transpose (nn.ConvTransposeNd) and
partial_conv (the runtime's PartialConv).

Assumes normalised attributes: per-axis kernel, stride, dilation and (before, after)
padding pairs. Guarantees a module whose output has the analysis's shape and whose
parameters are the op's counts; asymmetric padding becomes an explicit F.pad.
"""

from __future__ import annotations

from typing import Any

from netspec.backends.torch.lowering.base import (
    Layer,
    arguments,
    f_pad,
    lowers,
    padded_call,
    per_axis,
    positional,
    symmetric,
)
from netspec.ir import Node
from netspec.values import Shape

positional("Conv1d", "in_channels", "out_channels", "kernel_size")
positional("ConvTranspose1d", "in_channels", "out_channels", "kernel_size")
positional("PartialConv", "in_channels", "out_channels")


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
