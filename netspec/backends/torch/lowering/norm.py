"""PyTorch lowerings of the normalisations of netspec/ops/norm.py: layer_norm
(nn.LayerNorm, or the runtime's LayerNormAt along an axis that is not the last),
rms_norm (nn.RMSNorm, RMSNormAt), group_norm (nn.GroupNorm) and instance_norm
(nn.InstanceNorm1d/2d/3d).

Assumes normalised attributes and concrete sizes where the op needs them (the size
along dim, the channels). Guarantees PyTorch's modules with the spec's arguments,
defaults left out, parameters named `weight` and `bias` as PyTorch's.
"""

from __future__ import annotations

from netspec.backends.torch.lowering.base import Layer, arguments, lowers, positional
from netspec.ir import Node
from netspec.values import Shape

positional("LayerNorm", "normalized_shape")
positional("LayerNormAt", "normalized_shape")
positional("RMSNorm", "normalized_shape")
positional("RMSNormAt", "normalized_shape")
positional("GroupNorm", "num_groups", "num_channels")
positional("InstanceNorm1d", "num_features")


def _along(module: str, x: Shape, dim: int, **keywords: tuple) -> Layer:
    """`nn.<module>(size)` along the last axis, else the runtime's `<module>At`."""
    d = dim % len(x)
    if d == len(x) - 1:
        return Layer(f"nn.{module}({arguments(x[d], **keywords)})")
    helper = f"{module}At"
    return Layer(f"{helper}({arguments(x[d], dim=(d, None), **keywords)})", helpers=(helper,))


@lowers("layer_norm")
def layer_norm(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    a = node.attrs
    return _along(
        "LayerNorm",
        ins[0],
        a["dim"],
        eps=(a["eps"], 1e-5),
        elementwise_affine=(a["affine"], True),
        bias=(a["bias"] or not a["affine"], True),  # without affine, no bias either way
    )


@lowers("rms_norm")
def rms_norm(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    a = node.attrs
    return _along(
        "RMSNorm", ins[0], a["dim"], eps=(a["eps"], None), elementwise_affine=(a["affine"], True)
    )


@lowers("group_norm")
def group_norm(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    a = node.attrs
    args = arguments(a["groups"], ins[0][1], eps=(a["eps"], 1e-5), affine=(a["affine"], True))
    return Layer(f"nn.GroupNorm({args})")


@lowers("instance_norm")
def instance_norm(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    a, x = node.attrs, ins[0]
    args = arguments(
        x[1],
        eps=(a["eps"], 1e-5),
        momentum=(a["momentum"], 0.1),
        affine=(a["affine"], False),
        track_running_stats=(a["track_running_stats"], False),
    )
    return Layer(f"nn.InstanceNorm{len(x) - 2}d({args})")
