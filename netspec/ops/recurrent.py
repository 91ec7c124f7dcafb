"""Recurrent layers: lstm, gru and rnn, PyTorch's nn.LSTM, nn.GRU and nn.RNN on a
sequence [N, L, D] (batch_first, the default) or [L, N, D].

Each op makes several outputs, as PyTorch's modules return them: part 0 the sequence
[N, L, dirs x hidden] (dirs 2 when bidirectional), part 1 the final hidden state h
[layers x dirs, N, hidden], and lstm's part 2 the final cell state c (same shape).
Written with one name or in a chain (`lstm(650)`), the op gives its sequence alone
(`first_alone`); `seq, h, c = lstm(650)` names them all (`seq, h = gru(...)`), and
the backends compute the three in one call (`joint`).

Figures, all on part 0 (the states are computed by the same call: parts >= 1 have no
parameters, multiply-adds or FLOPs). Parameters exactly as PyTorch counts them: per
layer and direction gates x (hidden x in + hidden x hidden), plus 2 x gates x hidden
biases (b_ih and b_hh), gates 4 (lstm: i, f, g, o), 3 (gru: r, z, n) or 1 (rnn); in is
D for layer 0 and dirs x hidden above it. Multiply-adds: per layer, direction and
step, gates x (in x hidden + hidden x hidden), times L steps and N samples (Zaremba et
al.'s medium LSTM: 2 x 35 x 4 x (650·650 + 650·650) = 236,600,000). FLOPs: 2 per
multiply-add, per gate unit and step one add joining the two products and the two
bias adds, and the gate arithmetic per hidden unit and step: lstm 9 (3 sigmoids, 2
tanh, c = f·c + i·g: 3, h = o·tanh(c): 1), gru 8 (2 sigmoids, r·(W_hn h + b_hn): 1,
tanh, h = (1 - z)·n + z·h: 4), rnn 1 (tanh or relu). Connections: each gate unit at
each step reads in + hidden values (+ its 2 bias links). Receptive field: position t
of a forward recurrence sees positions 1..t, a bidirectional one every position: along a
sequence input the fields say so (netspec/analysis/sequence_fields.py: a causal window,
or the whole); on a map's axes `receptive` gives GLOBAL.

Counting tools: torchinfo 1.8 multiplies an RNN module's parameters (`weight_ih_l0`,
...: names other than `weight` and `bias`) by prod(output_size[:2]), N x L, biases
included (layer_info.py, calculate_macs; read from the source, not measured: no
torchinfo here); fvcore 0.1.5 has no handle for aten::lstm, aten::gru or aten::rnn_*:
0.

Assumes arguments elaboration bound and type-checked against `params`, `part` in the
attributes. Guarantees every rule of base.Op for each op, and the facts declared with
it: its explanation (netspec/ops/explain/recurrent.py), diagram `family`, `torchinfo`
and `fvcore`; E-shape for an input that is no sequence with a concrete D, W-dropout
where dropout between layers has no layer to follow (PyTorch warns the same).
"""

from __future__ import annotations

from typing import ClassVar

from netspec.limits import MAX_LAYERS
from netspec.ops.base import (
    GLOBAL,
    Attrs,
    Cost,
    Counts,
    Interval,
    Op,
    OpError,
    OpWarning,
    Param,
    ToolRule,
    lazy,
    register,
)
from netspec.ops.counting import NOT_COUNTED, dims, known
from netspec.values import Shape, show_shape

_BELOW_ONE = Interval(0, 1, open_high=True)

# torchinfo 1.8 (layer_info.py, calculate_macs): a parameter whose name is not `weight`
# or `bias` but contains one (`weight_ih_l0`) counts prod(output_size[:2]) x its size.
RNN_PARAMS = ToolRule(
    lambda layer: known(layer.output_shape[:2]) * layer.counts.params,
    lambda layer: f"N x L x parameters = {dims(layer.output_shape[:2])}·{layer.counts.params}",
)


def sizes(a: Attrs, x: Shape) -> tuple[int, int, int]:
    """(batch, L, D) of the input, a symbolic batch or L counted as 1 (per sample, as
    numel counts them)."""
    n, length = (x[0], x[1]) if a["batch_first"] else (x[1], x[0])
    n = n if isinstance(n, int) else 1
    length = length if isinstance(length, int) else 1
    return n, length, x[2]


def layer_inputs(a: Attrs, d: int) -> list[int]:
    """The input width of each layer: D, then dirs x hidden."""
    dirs = 2 if a["bidirectional"] else 1
    return [d] + [dirs * a["hidden"]] * (a["layers"] - 1)


class Recurrent(Op):
    """lstm, gru and rnn: the rules they share, `gates` and `gate_flops` their own."""

    gates: ClassVar[int]
    gate_flops: ClassVar[int]  # elementwise work per hidden unit and step
    module: ClassVar[str]  # PyTorch's class
    several = True
    first_alone = True
    joint = True
    min_rank = max_rank = 3
    param_rule = (
        "per layer and direction: gates x (hidden x in + hidden x hidden) + 2 x gates x hidden"
        " biases (in: D, then dirs x hidden)"
    )
    connection_rule = "per gate unit and step: in + hidden (+ 2 bias links), on part 0"
    macs_rule = "per layer, direction and step: gates x (in x hidden + hidden x hidden), x L x N"
    family = "linear"
    torchinfo, fvcore = RNN_PARAMS, NOT_COUNTED
    explain = lazy("recurrent", "explain_recurrent")

    def rank_help(self) -> str:
        return f"{self.name} takes a sequence [N, L, D] (or [L, N, D] with batch_first=false)"

    def parts(self, a: Attrs, inputs: tuple[Shape, ...]) -> int:
        return 3 if self.name == "lstm" else 2

    def normalize(self, a: Attrs, inputs: tuple[Shape, ...]) -> Attrs:
        self.check_rank(inputs)
        x = inputs[0]
        if not isinstance(x[2], int):
            raise OpError(
                "E-shape",
                f"{self.name} needs a concrete feature size D, got {show_shape(x)}",
                "the last dimension must be a number: [N, 35, 650]",
            )
        if a["layers"] > MAX_LAYERS:  # each is a layer of PyTorch's module: refuse early
            raise OpError(
                "E-limit",
                f"{self.name} of {a['layers']:,} layers: more than the {MAX_LAYERS:,} layers "
                "a network may have",
                "stack fewer layers",
                "layers",
            )
        return a

    def infer(self, a: Attrs, inputs: tuple[Shape, ...]) -> Shape:
        x, dirs = inputs[0], 2 if a["bidirectional"] else 1
        if a.get("part", 0) == 0:
            return (*x[:2], dirs * a["hidden"])
        n = x[0] if a["batch_first"] else x[1]
        return (a["layers"] * dirs, n, a["hidden"])

    def counts(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> Counts:
        if a.get("part", 0):
            return Counts()
        h, g = a["hidden"], self.gates
        dirs = 2 if a["bidirectional"] else 1
        bias = 2 * g * h if a["bias"] else 0
        per = sum(g * (h * i + h * h) + bias for i in layer_inputs(a, inputs[0][2]))
        return Counts(trainable=dirs * per)

    def cost(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
        if a.get("part", 0):
            return Cost(0, 0)
        n, length, d = sizes(a, inputs[0])
        h, g, dirs = a["hidden"], self.gates, 2 if a["bidirectional"] else 1
        units = n * length * dirs * a["layers"] * h  # hidden units computed, all steps
        macs = n * length * dirs * sum(g * (i * h + h * h) for i in layer_inputs(a, d))
        extra = units * (g * (3 if a["bias"] else 1) + self.gate_flops)
        return Cost(macs, 2 * macs + extra)

    def connections(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> int:
        if a.get("part", 0):
            return 0
        n, length, d = sizes(a, inputs[0])
        h, g, dirs = a["hidden"], self.gates, 2 if a["bidirectional"] else 1
        links = 2 if a["bias"] else 0
        return n * length * dirs * sum(g * h * (i + h + links) for i in layer_inputs(a, d))

    def receptive(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> str:
        return GLOBAL  # position t sees 1..t (all, bidirectional): the last sees everything

    def warnings(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> list[OpWarning]:
        if a["dropout"] == 0 or a["layers"] > 1 or a.get("part", 0):
            return []
        return [
            OpWarning(
                "W-dropout",
                f"{self.name}'s dropout acts between stacked layers, and there is one layer: "
                "it does nothing (PyTorch warns the same)",
                "stack layers (layers=2), or put a `dropout` stage after the op",
                "dropout",
            )
        ]

    def describe(self, a: Attrs) -> str:
        part = a.get("part", 0)
        text = f"{self.name} {a['hidden']}"
        text += f" x{a['layers']}" if a["layers"] > 1 else ""
        text += " bidirectional" if a["bidirectional"] else ""
        text += "" if a["bias"] else " no bias"
        text += "" if a["batch_first"] else " [L, N, D]"
        if self.name == "rnn" and a["nonlinearity"] != "tanh":
            text += f" {a['nonlinearity']}"
        return text + ("", " h", " c")[part]


def _params(*extra: Param) -> tuple[Param, ...]:
    return (
        Param("hidden", "int", minimum=1, doc="hidden units per direction"),
        Param("layers", "int", 1, minimum=1, doc="stacked layers"),
        Param("bidirectional", "bool", False),
        Param("batch_first", "bool", True, doc="[N, L, D]; false: [L, N, D]"),
        Param("bias", "bool", True),
        Param("dropout", "float", 0.0, doc="between stacked layers", interval=_BELOW_ONE),
        *extra,
    )


@register
class LSTM(Recurrent):
    name = "lstm"
    params = _params()
    gates, gate_flops, module = 4, 9, "LSTM"
    summary = (
        "long short-term memory on [N, L, D]: outputs the sequence, h and c "
        "(`seq, h, c = lstm(650)`; alone the sequence) (nn.LSTM)"
    )
    flops_rule = (
        "2 x macs + per gate unit and step 1 add (+ 2 bias adds) + 9 per hidden unit and"
        " step (3 sigmoids, 2 tanh, c = f·c + i·g, h = o·tanh(c))"
    )


@register
class GRU(Recurrent):
    name = "gru"
    params = _params()
    gates, gate_flops, module = 3, 8, "GRU"
    summary = (
        "gated recurrent unit on [N, L, D]: outputs the sequence and h "
        "(`seq, h = gru(256)`; alone the sequence) (nn.GRU)"
    )
    flops_rule = (
        "2 x macs + per gate unit and step 1 add (+ 2 bias adds) + 8 per hidden unit and"
        " step (2 sigmoids, r·(W_hn h + b_hn), tanh, h = (1 - z)·n + z·h)"
    )


@register
class RNN(Recurrent):
    name = "rnn"
    params = _params(Param("nonlinearity", "str", "tanh", choices=("tanh", "relu")))
    gates, gate_flops, module = 1, 1, "RNN"
    summary = (
        "Elman recurrence h = tanh(W x + U h + b) on [N, L, D]: outputs the sequence and h "
        "(`seq, h = rnn(128)`; alone the sequence) (nn.RNN)"
    )
    flops_rule = "2 x macs + per hidden unit and step 1 add (+ 2 bias adds) + 1 (tanh or relu)"
