"""Explanations of the activations of current networks and of stochastic depth
(netspec/ops/activation.py): hardswish, hardsigmoid, mish, softplus and drop_path.

Assumes an op's normalised attributes, its input shapes and its output shape. Guarantees
an Explanation whose values are the op's own rules: the pointwise explanation of
explain/elementwise.py (same shape, no parameters, no links, no multiply-adds, the
FLOPs per element its cost rule was built with, a pointwise field), with the reason
each figure is what it is for drop_path, which does its work only while training.
"""

from __future__ import annotations

from netspec.ops.explain.elementwise import explain_pointwise
from netspec.ops.explain.steps import Explanation, Section, Step
from netspec.values import Shape


def explain_activation(self, a, inputs: tuple[Shape, ...], out: Shape) -> Explanation:
    """An activation function: one FLOP per element, however it is written out."""
    return explain_pointwise(self, a, inputs, out)


def explain_drop_path(self, a, inputs: tuple[Shape, ...], out: Shape) -> Explanation:
    keep = 1 - a["p"]
    note = f"training only: each sample kept with probability {keep:g}, then scaled by 1/{keep:g}"
    off = Step("FLOPs", "", "0", "the identity at inference; " + note)
    return explain_pointwise(self, a, inputs, out)._replace(
        flops=Section(self.flops_rule, (off,), 0)
    )
