"""What torchinfo and fvcore count, op by op, so netspec can reproduce their totals.

Each table maps a netspec op to the figure the other tool reports for the PyTorch
module netspec lowers that op to (netspec/backends/torch/layers.py; docs/costs.md lists
the sources, file and line, and tests/data/conventions.json and tests/test_conventions.py
the measurements these rules are tested against, the custom modules of LeNet-5 and
partial convolution included). An op missing from a table has no formula, and a total
that needs it is marked incomplete rather than counting it as zero.
"""

from __future__ import annotations

from collections.abc import Callable
from math import prod

from netspec.analysis.counts import LayerFigures

Rule = Callable[[LayerFigures], int]


def _batch(layer: LayerFigures) -> int:
    n = layer.output_shape[0]
    return n if isinstance(n, int) else 1


def _numel(shape) -> int:
    return prod(d for d in shape if isinstance(d, int))


def _zero(layer: LayerFigures) -> int:
    return 0


def _params_per_position(layer: LayerFigures) -> int:
    # torchinfo (layer_info.py, calculate_macs): for a module whose class name contains
    # "Conv", parameters x output_size[:1] + output_size[2:] -- the output's positions,
    # also for a transposed convolution, and the bias included.
    out = layer.output_shape
    return layer.counts.params * _numel(out[:1] + out[2:])


def _params_per_sample(layer: LayerFigures) -> int:
    # torchinfo: any other module, output_size[0] x parameters (a Linear on [N, L, F]
    # counts once per batch entry, not per position); fixed parameters count too (rbf).
    return _batch(layer) * layer.counts.params


# Ops that neither tool counts under any lowering: no parameters, no handle.
_UNCOUNTED = [
    "identity",
    "relu",
    "relu6",
    "leaky_relu",
    "sigmoid",
    "tanh",
    "elu",
    "gelu",
    "silu",
    "dropout",
    "softmax",
    "log_softmax",
    "lrn",
    "add",
    "concat",
    "maxpool",
    "avgpool",
    "global_maxpool",
    "adaptive_maxpool",
    "flatten",
    "reshape",
    "scaled_tanh",
]

TORCHINFO: dict[str, Callable[[LayerFigures], int | None]] = {
    # TableConv and PartialConv have "Conv" in their class names
    "conv": _params_per_position,
    "partial_conv": _params_per_position,
    "conv_transpose": _params_per_position,
    "linear": _params_per_sample,
    "subsample": _params_per_sample,
    "rbf": _params_per_sample,
    "bn": _params_per_sample,
    "prelu": _params_per_sample,
    **dict.fromkeys([*_UNCOUNTED, "global_avgpool", "adaptive_avgpool", "upsample"], _zero),
}


def _macs(layer: LayerFigures) -> int:
    return layer.cost.macs


def _input_elements(layer: LayerFigures) -> int:
    return _numel(layer.input_shapes[0])


def _output_elements(layer: LayerFigures) -> int:
    return _numel(layer.output_shape)


def conv_as_run(layer: LayerFigures) -> int:
    """`macs`, except that a connection table runs dense: every output channel reads
    every input channel (netspec/backends/torch/runtime.py, TableConv)."""
    if layer.attrs.get("connect") is None:
        return _macs(layer)
    return _numel(layer.output_shape) * layer.input_shapes[0][1] * prod(layer.attrs["kernel"])


def _batch_norm_eval(layer: LayerFigures) -> int:
    # fvcore jit_handles.batchnorm_flop_jit, not training: input elements, twice when
    # the layer is affine.
    return _input_elements(layer) * (2 if layer.counts.trainable else 1)


def _upsample(layer: LayerFigures) -> int:
    # fvcore (flop_count.py:40-41): upsample_nearest2d 1 per output element,
    # upsample_bilinear2d 4; the 1-d, 3-d and bicubic kernels have no handle (0).
    if len(layer.output_shape) != 4 or layer.description.endswith("bicubic"):
        return 0
    return _output_elements(layer) * (1 if layer.description.endswith("nearest") else 4)


def _adaptive_avg_2d(layer: LayerFigures) -> int:
    # fvcore (flop_count.py:42): adaptive_avg_pool2d reads each input element once; the
    # 1-d and 3-d kernels have no handle (0). netspec's global_avgpool lowers to it.
    return _input_elements(layer) if len(layer.output_shape) == 4 else 0


FVCORE: dict[str, Callable[[LayerFigures], int | None]] = {
    # TableConv runs one dense convolution (zero kernels off the table); PartialConv one
    # convolution (its mask sums are slices and adds, uncounted)
    "conv": conv_as_run,
    "partial_conv": _macs,
    "conv_transpose": _macs,
    "linear": _macs,
    "bn": _batch_norm_eval,
    "adaptive_avgpool": _adaptive_avg_2d,
    "global_avgpool": _adaptive_avg_2d,
    "upsample": _upsample,
    # Subsample: avg_pool, mul and add; RBF: sub, pow and sum -- no fvcore handle
    **dict.fromkeys([*_UNCOUNTED, "prelu", "subsample", "rbf"], _zero),
}


def _dims(shape) -> str:
    return "·".join(str(d) for d in shape if isinstance(d, int)) or "1"


# What each rule multiplies, with the layer's numbers put in (for `netspec explain`).
_FORMULAS: dict[Callable, Callable[[LayerFigures], str]] = {
    _zero: lambda layer: "not counted by this tool",
    _macs: lambda layer: "the layer's multiply-adds",
    _params_per_position: lambda layer: (
        f"parameters x batch x output positions = {layer.counts.params}·{_batch(layer)}·"
        f"{_dims(layer.output_shape[2:])}"
    ),
    _params_per_sample: lambda layer: f"batch x parameters = {_batch(layer)}·{layer.counts.params}",
    conv_as_run: lambda layer: (
        "the layer's multiply-adds"
        if layer.attrs.get("connect") is None
        else "output elements x all input channels x kernel (the table runs dense) = "
        f"{_dims(layer.output_shape)}·{layer.input_shapes[0][1]}·{_dims(layer.attrs['kernel'])}"
    ),
    _batch_norm_eval: lambda layer: (
        f"input elements{' x 2 (affine)' if layer.counts.trainable else ''} = "
        f"{_dims(layer.input_shapes[0])}{'·2' if layer.counts.trainable else ''}"
    ),
    _upsample: lambda layer: "output elements x 1 (nearest) or 4 (bilinear); others 0",
    _adaptive_avg_2d: lambda layer: (
        f"input elements = {_dims(layer.input_shapes[0])}"
        if len(layer.output_shape) == 4
        else "not counted (no handle for this rank)"
    ),
}


def formula(table: dict, layer: LayerFigures) -> str:
    """The rule `table` applies to the layer, with its numbers ("" when it has none)."""
    rule = table.get(layer.op)
    return "" if rule is None else _FORMULAS[rule](layer)
