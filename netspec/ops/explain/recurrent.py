"""Explanation of the recurrent layers lstm, gru and rnn (netspec/ops/recurrent.py).

Assumes the op's attributes (`part` among them), its input [N, L, D] (or [L, N, D]
with batch_first=false, D concrete) and output shape, and the op's `gates` and
`gate_flops`. Guarantees an Explanation whose values are the op's own rules, computed
here from the formulas the steps show: the sequence and state shapes, the parameters
layer by layer (Zaremba et al.'s medium LSTM, layer 0: 4·(650·650 + 650·650) +
2·4·650 = 3,385,200), the multiply-adds per layer (35·4·(650·650 + 650·650) =
118,300,000 each), the FLOPs with the gate arithmetic, the links, and a field that
becomes the whole sequence (position t sees 1..t; the last sees every position). A
state (part >= 1) is computed by the sequence's call: every figure of it is 0.
A symbolic N or L counts as 1 here, as the op's figures count it.
"""

from __future__ import annotations

from netspec.ops.base import Counts
from netspec.ops.explain.steps import (
    DOT,
    Explanation,
    Section,
    Step,
    n,
    reads_everything,
    times,
)
from netspec.values import Shape, show_shape

_STATES = ("the sequence", "the final hidden state h", "the final cell state c")


def _sizes(a, x: Shape) -> tuple[int, int, int, int]:
    """(batch, L, D, dirs), a symbolic batch or L counted as 1 (per sample)."""
    batch, length = (x[0], x[1]) if a["batch_first"] else (x[1], x[0])
    batch = batch if isinstance(batch, int) else 1
    length = length if isinstance(length, int) else 1
    return batch, length, x[2], 2 if a["bidirectional"] else 1


def _inputs(a, d: int, dirs: int) -> list[int]:
    return [d] + [dirs * a["hidden"]] * (a["layers"] - 1)


def explain_recurrent(self, a, inputs: tuple[Shape, ...], out: Shape) -> Explanation:
    x, part = inputs[0], a.get("part", 0)
    field = reads_everything(
        "position t sees positions 1..t (every position when bidirectional); the last "
        "position's field is the whole sequence"
    )
    if part:
        return Explanation(_shape(a, x, out, part), *_by_part_zero(self), field)
    return Explanation(
        _shape(a, x, out, 0),
        _params(self, a, x),
        _connections(self, a, x),
        _macs(self, a, x),
        _flops(self, a, x),
        field,
    )


def _shape(a, x: Shape, out: Shape, part: int) -> Section:
    _, _, d, dirs = _sizes(a, x)
    order = "[N, L, D]" if a["batch_first"] else "[L, N, D]"
    steps = [Step("sequence", f"{order}, D = {d}", show_shape(x))]
    if part == 0:
        steps.append(
            Step("width", times(dirs, a["hidden"]), n(dirs * a["hidden"]), "dirs x hidden")
        )
        rule = "the sequence keeps N and L, its width dirs x hidden"
    else:
        steps.append(
            Step("states", times(a["layers"], dirs), n(a["layers"] * dirs), "layers x dirs")
        )
        rule = f"{_STATES[part]}: [layers x dirs, N, hidden]"
    steps.append(Step("output", _STATES[part], show_shape(out)))
    return Section(rule, tuple(steps), tuple(out))


def _by_part_zero(op) -> tuple[Section, Section, Section, Section]:
    why = "computed by the sequence's call (part 0 counts everything)"
    return (
        Section(op.param_rule, (Step("parameters", "", "0", why),), Counts()),
        Section(op.connection_rule, (Step("connections", "", "0", why),), 0),
        Section(op.macs_rule, (Step("multiply-adds", "", "0", why),), 0),
        Section(op.flops_rule, (Step("FLOPs", "", "0", why),), 0),
    )


def _params(op, a, x: Shape) -> Section:
    _, _, d, dirs = _sizes(a, x)
    h, g = a["hidden"], op.gates
    bias = 2 * g * h if a["bias"] else 0
    steps, total = [], 0
    for k, i in enumerate(_inputs(a, d, dirs)):
        each = g * (h * i + h * h) + bias
        total += dirs * each
        formula = f"{g}{DOT}({h}{DOT}{i} + {h}{DOT}{h})" + (f" + 2{DOT}{g}{DOT}{h}" if bias else "")
        note = f"in = {i}" + ("" if a["bias"] else ", bias=false")
        steps.append(Step(f"layer {k}, per direction", formula, n(each), note))
    summed = " + ".join(s.result.replace(",", "") for s in steps)
    shown = f"{dirs}{DOT}({summed})" if dirs > 1 else summed
    steps.append(Step("trainable", shown if len(steps) > 1 or dirs > 1 else "", n(total)))
    return Section(op.param_rule, tuple(steps), Counts(trainable=total))


def _macs(op, a, x: Shape) -> Section:
    batch, length, d, dirs = _sizes(a, x)
    h, g = a["hidden"], op.gates
    steps, total = [], 0
    for k, i in enumerate(_inputs(a, d, dirs)):
        each = length * g * (i * h + h * h)
        total += batch * dirs * each
        formula = f"{length}{DOT}{g}{DOT}({i}{DOT}{h} + {h}{DOT}{h})"
        steps.append(Step(f"layer {k}, per direction", formula, n(each), "L steps"))
    factor = batch * dirs
    shown = " + ".join(s.result.replace(",", "") for s in steps)
    formula = f"{factor}{DOT}({shown})" if factor > 1 else shown
    steps.append(Step("multiply-adds", formula, n(total), "x N x dirs"))
    return Section(op.macs_rule, tuple(steps), total)


def _flops(op, a, x: Shape) -> Section:
    batch, length, d, dirs = _sizes(a, x)
    h, g = a["hidden"], op.gates
    macs = batch * length * dirs * sum(g * (i * h + h * h) for i in _inputs(a, d, dirs))
    units = batch * length * dirs * a["layers"] * h
    per_unit = g * (3 if a["bias"] else 1)
    joins, gates = units * per_unit, units * op.gate_flops
    unit_text = times(batch, length, dirs, a["layers"], h)
    steps = (
        Step("2 per multiply-add", times(2, macs), n(2 * macs)),
        Step("hidden units x steps", unit_text, n(units), "N x L x dirs x layers x hidden"),
        Step(
            "joins and bias adds",
            times(per_unit, units),
            n(joins),
            "per gate: 1 add" + (" + 2 bias adds" if a["bias"] else ""),
        ),
        Step("gate arithmetic", times(op.gate_flops, units), n(gates), "per hidden unit"),
        Step("FLOPs", f"{2 * macs} + {joins} + {gates}", n(2 * macs + joins + gates)),
    )
    return Section(op.flops_rule, steps, 2 * macs + joins + gates)


def _connections(op, a, x: Shape) -> Section:
    batch, length, d, dirs = _sizes(a, x)
    h, g = a["hidden"], op.gates
    links = 2 if a["bias"] else 0
    steps, total = [], 0
    for k, i in enumerate(_inputs(a, d, dirs)):
        each = length * g * h * (i + h + links)
        total += batch * dirs * each
        formula = f"{length}{DOT}{g}{DOT}{h}{DOT}({i} + {h}" + (" + 2)" if links else ")")
        steps.append(Step(f"layer {k}, per direction", formula, n(each)))
    factor = batch * dirs
    shown = " + ".join(s.result.replace(",", "") for s in steps)
    formula = f"{factor}{DOT}({shown})" if factor > 1 else shown
    steps.append(Step("connections", formula, n(total)))
    return Section(op.connection_rule, tuple(steps), total)
