"""Explanations of the ops that change an axis's extent (netspec/ops/border.py): pad,
slice and crop.

Assumes the op's normalised attributes, its input shapes and its output shape.
Guarantees an Explanation whose values are the op's own rules, recomputed from the
steps shown: no parameters, no links, no multiply-adds and 0 FLOPs (data movement),
and a window of extent 1 per spatial axis: output y reads input y - before (pad),
start + y step (slice) or offset + y (crop).
"""

from __future__ import annotations

from netspec.ops.arith import axis_names
from netspec.ops.base import Window
from netspec.ops.explain.layout import wiring
from netspec.ops.explain.steps import Explanation, Section, Step, keeps_positions, n, per_axis
from netspec.values import Shape, show_shape


def _labels(rank: int) -> tuple[str, ...]:
    return axis_names(rank)


def _windows(names: tuple[str, ...], windows: list[Window], rule: str) -> Section:
    def step(label: str, w: Window) -> Step:
        return Step(
            f"{label}: extent", "", n(w.extent), f"stride {n(w.stride)}, padding {n(w.padding)}"
        )

    return Section(rule, tuple(per_axis(names, windows, step)), tuple(windows))


def explain_pad(self, a, inputs: tuple[Shape, ...], out: Shape) -> Explanation:
    x, (cb, ca) = inputs[0], a["channels"]
    steps = []
    shape = list(x)
    if cb or ca:
        shape[1] = x[1] + cb + ca
        steps.append(Step("channels", f"{cb} + {x[1]} + {ca}", n(shape[1])))
    for d, (b, e) in enumerate(a["padding"], start=2):
        if b or e:
            shape[d] = x[d] + b + e
            steps.append(Step(f"dim {d}", f"{b} + {x[d]} + {e}", n(shape[d])))
    steps.append(Step("output", "", show_shape(tuple(shape))))
    fill = {
        "constant": f"the constant {a['value']:g}",
        "reflect": "the border mirrored",
        "replicate": "the edge repeated",
        "circular": "the other side's values (wrapped around)",
    }[a["mode"]]
    rule = f"before + size + after on each padded dim, filled with {fill}"
    if len(x) < 3:
        window = keeps_positions("no spatial axis: positions stay")
    else:
        windows = [Window(1, 1, b) for b, _ in a["padding"]]
        window = _windows(_labels(len(x) - 2), windows, "output y reads input y - before")
    return wiring(self, Section(rule, tuple(steps), tuple(shape)), out, window)


def explain_slice(self, a, inputs: tuple[Shape, ...], out: Shape) -> Explanation:
    x = inputs[0]
    shape = list(x)
    steps = []
    spans = dict(zip(a["dim"], a["spans"], strict=True))
    for d, (b, e, s) in spans.items():
        if isinstance(x[d], int):
            end = x[d] if e is None else e
            shape[d] = -(-(end - b) // s)
            steps.append(Step(f"dim {d}", f"ceil(({end} - {b})/{s})", n(shape[d])))
    steps.append(Step("output", "", show_shape(tuple(shape))))
    rule = "ceil((end - start) / step) along each sliced dim"
    if len(x) < 3 or not any(d >= 2 for d in spans):
        window = keeps_positions("no spatial axis is cut")
    else:
        windows = [
            Window(1, 1, 0) if d not in spans else Window(1, spans[d][2], -spans[d][0])
            for d in range(2, len(x))
        ]
        window = _windows(_labels(len(x) - 2), windows, "output y reads input start + y step")
    return wiring(self, Section(rule, tuple(steps), tuple(shape)), out, window)


def explain_crop(self, a, inputs: tuple[Shape, ...], out: Shape) -> Explanation:
    x = inputs[0]
    steps = []
    for d, (i, s) in enumerate(zip(x[2:], a["size"], strict=True), start=2):
        note = "the odd row left over is cut at the end" if (i - s) % 2 else ""
        steps.append(Step(f"dim {d}: first kept", f"({i} - {s})//2", n((i - s) // 2), note))
    shape = (*x[:2], *a["size"])
    steps.append(Step("output", "", show_shape(shape)))
    rule = "the centre of each spatial dim: from (size_in - size)//2, size elements"
    windows = [Window(1, 1, -((i - s) // 2)) for i, s in zip(x[2:], a["size"], strict=True)]
    window = _windows(_labels(len(x) - 2), windows, "output y reads input first kept + y")
    return wiring(self, Section(rule, tuple(steps), shape), out, window)
