"""PyTorch lowerings of the pools (netspec/ops/pool.py): nn.MaxPoolNd, nn.AvgPoolNd (or
the runtime's AvgPool where PyTorch's cannot pad or dilate), the runtime's Subsample
(LeNet-5), and nn.AdaptiveAvgPoolNd / nn.AdaptiveMaxPoolNd for the global and adaptive
pools.

Assumes normalised attributes and the analysis's output shape. Guarantees PyTorch's
ceil-mode and padding semantics: padding nn.MaxPool cannot take is an explicit -inf
F.pad as far as the windows reach (netspec.ops.arith.overhang).
"""

from __future__ import annotations

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
from netspec.ops.arith import overhang
from netspec.values import Shape

positional("MaxPool1d", "kernel_size")
positional("AvgPool1d", "kernel_size")
positional("Subsample", "channels")
positional("AdaptiveAvgPool1d", "output_size")
positional("AdaptiveMaxPool1d", "output_size")


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
