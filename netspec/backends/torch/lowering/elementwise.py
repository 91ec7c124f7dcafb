"""PyTorch lowerings of the ops that keep the shape (netspec/ops/elementwise.py): the
activations (nn.ReLU, ..., the runtime's ScaledTanh), dropout, identity, prelu,
bn (nn.BatchNormNd), softmax, log_softmax and lrn (nn.LocalResponseNorm).

Assumes normalised attributes and a concrete channel dim where the op has one per
channel. Guarantees PyTorch's modules with the spec's arguments, defaults left out.
"""

from __future__ import annotations

from netspec.backends.torch.lowering.base import Layer, arguments, lowers, positional
from netspec.ir import Node
from netspec.values import Shape

positional("BatchNorm1d", "num_features")
positional("PReLU", "num_parameters")
positional("LocalResponseNorm", "size")
positional("Dropout", "p")
positional("LeakyReLU", "negative_slope")
positional("ELU", "alpha")
positional("ScaledTanh", "a", "s")


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
    # F.local_response_norm views its input: a permuted or sliced one must be made whole
    return Layer(f"nn.LocalResponseNorm({args})", call="{module}({args}.contiguous())")


_PLAIN = {
    "identity": "nn.Identity()",
    "relu": "nn.ReLU()",
    "relu6": "nn.ReLU6()",
    "sigmoid": "nn.Sigmoid()",
    "tanh": "nn.Tanh()",
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


@lowers("gelu")
def gelu(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    approximate = node.attrs["approximate"]
    return Layer("nn.GELU()" if approximate == "none" else f"nn.GELU(approximate={approximate!r})")


@lowers("prelu")
def prelu(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    return Layer("nn.PReLU()" if node.attrs["shared"] else f"nn.PReLU({ins[0][1]})")
