"""Learned tensors: the layer of a `param` statement (netspec/elaborate/statements.py).

`param gamma: [96, 1, 1] = 1e-6` is a tensor of trainable parameters of its own shape,
every element starting at the value given (0 by default): ConvNeXt's layer scale, a
learned bias, a class token or a position embedding. It reads no input; merges use it by
name (`mul(gamma)`, `add(pos)`), and `add` broadcasts it (netspec/ops/merge.py).

Parameters: every element, trainable. Connections, multiply-adds and FLOPs: none (it is
read, not computed). It is no activation: its memory is the parameters' (`view`).

Assumes the attributes elaboration gives it: `shape` (positive ints) and `init`.
Guarantees every rule of base.Op, and the facts declared with it: its explanation
(netspec/ops/explain/learned.py), diagram `family`, `torchinfo` and `fvcore` (no
Mult-Adds or flops: see BARE_PARAMETER for torchinfo's one exception).
"""

from __future__ import annotations

from netspec.ops.base import Attrs, Cost, Counts, Figures, Op, ToolRule, lazy, pointwise, register
from netspec.ops.counting import NOT_COUNTED
from netspec.values import Shape, numel, show_shape


def _bare_parameter(layer: Figures) -> int | None:
    # torchinfo (layer_info.py, calculate_macs) counts a module's parameters named like
    # "weight" or "bias" (output_size[:2] x elements, on the module that holds them, here
    # the enclosing block's class): netspec cannot predict that, so such a name makes
    # the total incomplete; any other name (gamma, pos, cls) torchinfo does not count.
    name = getattr(layer, "path", "").rsplit(".", 1)[-1]
    return None if "weight" in name or "bias" in name else 0


BARE_PARAMETER = ToolRule(
    _bare_parameter,
    lambda layer: "not counted (a bare nn.Parameter; one named like weight or bias would be)",
)


@register
class LearnedTensor(Op):
    name = "param"
    stage = False  # written as a statement, `param name: [dims]`, never as a stage
    min_rank = 0
    summary = "a learned tensor of a given shape: `param name: [dims] = init`"
    param_rule = "every element, trainable"
    connection_rule = "none: it reads no input"
    flops_rule = "0 (it is read, not computed)"
    view = True  # its memory is the parameters', not an activation
    receptive = pointwise
    family = "linear"  # weights, as the diagram colours layers that hold them
    torchinfo = BARE_PARAMETER
    fvcore = NOT_COUNTED
    explain = lazy("learned", "explain_learned")

    def infer(self, a: Attrs, inputs: tuple[Shape, ...]) -> Shape:
        return tuple(a["shape"])

    def counts(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> Counts:
        return Counts(trainable=numel(out))

    def connections(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> int:
        return 0

    def cost(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
        return Cost(0, 0)

    def describe(self, a: Attrs) -> str:
        init = a["init"]
        return f"param {show_shape(tuple(a['shape']))}" + (f" = {init:g}" if init else "")
