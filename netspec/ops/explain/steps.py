"""Explanations as data: the steps that lead from an op's rule to its figures.

Every op answers :meth:`Op.explain` with an :class:`Explanation`: one :class:`Section`
per figure the analysis reports (output shape, parameters, connections, multiply-adds,
FLOPs, and the op's receptive-field window), each a rule in words plus the steps with
the numbers put in, one per line, and the final value. The values are computed here
from the formulas as the steps show them, not copied from the op's rules, so a test can
hold them against the analysis; renderers (netspec/teach/) only format the steps.
A figure an op cannot explain is a Section with `missing` set, never an empty one.

This module holds the data types, number formatting and the sections many ops share
(no parameters, no connections, no multiply-adds, n FLOPs per element, keeps the
shape, keeps positions). Nothing here imports an op family.

Assumes an op's class attributes (its rules in words) and concrete shapes where a step
multiplies them. Guarantees that every value a step shows is the number it arrives at.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, NamedTuple

from netspec.ops.base import GLOBAL, POINTWISE, Counts
from netspec.values import Shape, numel, show_shape

DOT = "·"  # multiplication, as the course notes and papers write it


@dataclass(frozen=True)
class Step:
    """One line: what is computed, the formula with numbers, the result, and a remark."""

    label: str
    formula: str
    result: str
    note: str = ""


@dataclass(frozen=True)
class Section:
    """One figure of a layer: its rule, the steps, and the value they arrive at."""

    rule: str
    steps: tuple[Step, ...]
    value: Any  # Shape, Counts, int, or the receptive-field rule (windows or a word)
    missing: bool = False  # the op has no explanation of this figure


class Explanation(NamedTuple):
    shape: Section
    params: Section
    connections: Section
    macs: Section
    flops: Section
    window: Section  # how the layer moves a receptive field (Op.receptive, explained)


# --- numbers -------------------------------------------------------------------------


def n(value: int | Fraction) -> str:
    """A result: 122,304; a Fraction as 1/2."""
    if isinstance(value, Fraction):
        return f"{value.numerator:,}" if value.denominator == 1 else str(value)
    return f"{value:,}"


def times(*factors: object) -> str:
    """`6·1·5·5`: factors joined by the multiplication dot (symbolic dims left out)."""
    return DOT.join(str(f) for f in factors if not isinstance(f, str) or not f.isidentifier())


def dims_product(dims: Iterable[object]) -> str:
    """The concrete dims of a shape as a product: `6·28·28`; `1` when there are none."""
    shown = [str(d) for d in dims if isinstance(d, int)]
    return DOT.join(shown) if shown else "1"


def per_axis(names: tuple[str, ...], items: list, step) -> list[Step]:
    """`step(label, item)` for each axis, or once for all ("H, W") when every axis has
    the same item: a square kernel on a square map is explained once."""
    if len(items) > 1 and len(set(items)) == 1:
        return [step(", ".join(names), items[0])]
    return [step(name, item) for name, item in zip(names, items, strict=True)]


def over(numerator: int, denominator: int) -> str:
    """`96/2` for a grouped channel count, or just `96` without groups."""
    return str(numerator) if denominator == 1 else f"({numerator}/{denominator})"


def batch_factor(shape: Shape) -> int:
    """The concrete batch size, or 1 where the batch dim is symbolic (figures per sample)."""
    return shape[0] if shape and isinstance(shape[0], int) else 1


def batch_prefix(shape: Shape) -> str:
    """`2·` before a formula when the batch is concrete and more than 1, else nothing."""
    batch = batch_factor(shape)
    return f"{batch}{DOT}" if batch > 1 else ""


def missing(figure: str, op: str) -> Section:
    return Section(f"{op} has no explanation of its {figure}", (), None, missing=True)


# --- sections shared by many ops ------------------------------------------------------


def same_shape(inputs: tuple[Shape, ...], out: Shape, why: str = "") -> Section:
    rule = why or "the output has the input's shape"
    step = Step("output", "", show_shape(inputs[0]))
    return Section(rule, (step,), tuple(inputs[0]))


def no_params(op: Any) -> Section:
    return Section(
        op.param_rule, (Step("parameters", "", "0", "no weights, no buffers"),), Counts()
    )


def no_connections(op: Any, why: str = "") -> Section:
    note = "" if why in op.connection_rule else why
    return Section(op.connection_rule, (Step("connections", "", "0", note),), 0)


def no_macs(op: Any) -> Section:
    return Section(op.macs_rule, (Step("multiply-adds", "", "0"),), 0)


def per_element_flops(op: Any, per: int, out: Shape, what: str = "output elements") -> Section:
    """`per` FLOPs for each element of `out`."""
    elements = numel(out)
    if per == 0:
        return Section(op.flops_rule, (Step("FLOPs", "", "0"),), 0)
    steps = (
        Step(what, dims_product(out), n(elements)),
        Step("FLOPs", times(per, elements), n(per * elements)),
    )
    return Section(op.flops_rule, steps, per * elements)


def keeps_positions(why: str = "each output position reads the same position of its input"):
    return Section("pointwise: " + why, (), POINTWISE)


def reads_everything(why: str) -> Section:
    return Section("global: " + why, (), GLOBAL)
