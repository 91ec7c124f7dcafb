"""Explanations of the ops with several outputs: chunk and split (netspec/ops/parts.py).

Assumes the op's normalised attributes with `part`, its input shape and the output
shape of that part. Guarantees an Explanation whose values are the op's own rules: the
part's slice of the cut axis, and nothing computed.
"""

from __future__ import annotations

from netspec.ops.explain.steps import (
    Explanation,
    Section,
    Step,
    keeps_positions,
    no_connections,
    no_macs,
    no_params,
    per_element_flops,
    reads_everything,
)
from netspec.values import Shape, show_shape


def explain_part(self, a, inputs: tuple[Shape, ...], out: Shape) -> Explanation:
    x = inputs[0]
    axis, start, size = self.start(a, x)
    sizes = self.sizes(a, x[axis])
    part = a.get("part", 0)
    steps = (
        Step(f"dim {axis}", " + ".join(map(str, sizes)), str(x[axis]), "the parts' sizes"),
        Step(
            f"part {part + 1}",
            f"entries {start} to {start + size - 1}",
            show_shape(out),
            "a view of the input: nothing is copied",
        ),
    )
    spatial = len(out) >= 3 and axis >= 2
    return Explanation(
        Section(f"the input cut along dim {axis} into {len(sizes)} parts", steps, tuple(out)),
        no_params(self),
        no_connections(self, "each part is a slice of the input"),
        no_macs(self),
        per_element_flops(self, 0, out),
        reads_everything(f"it cuts spatial dim {axis}")
        if spatial
        else keeps_positions("each part keeps the positions of the input"),
    )
