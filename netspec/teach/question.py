"""One convolution or pooling on a 2-D input, as the calculator and the pictures take it.

`netspec explain conv ...` and `netspec draw conv ...` share these options, so the same
numbers give the same question. Each size option takes one int (both axes) or `HxW`.
Guarantees: a :class:`ConvQuestion` that passed :func:`question_from` has an output of at
least 1x1 and the options PyTorch would accept (output padding smaller than stride or
dilation, no dilation with average pooling); anything else is a :class:`QuestionError`
whose message says what to change.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from netspec.ops.arith import conv_out, conv_transpose_out, pool_out

MAX_SIZE = 100_000  # beyond this a "grid" is no longer something to look at or explain

Pair = tuple[int, int]


class QuestionError(ValueError):
    """Options that describe no valid convolution; the message says which and why."""


@dataclass(frozen=True)
class ConvQuestion:
    """Sizes per axis as (height, width); padding is symmetric, as in the paper."""

    input: Pair
    kernel: Pair
    stride: Pair = (1, 1)
    padding: Pair = (0, 0)
    dilation: Pair = (1, 1)
    transposed: bool = False
    output_padding: Pair = (0, 0)
    pool: str | None = None  # "max" or "avg": a pooling window, no weights
    ceil_mode: bool = False

    def output_size(self) -> Pair:
        """The output's (height, width), by PyTorch's rules (netspec.ops.arith)."""
        return (self.axis_output(0), self.axis_output(1))

    def axis_output(self, axis: int) -> int:
        i, k, s = self.input[axis], self.kernel[axis], self.stride[axis]
        p, d = self.padding[axis], self.dilation[axis]
        if self.transposed:
            return conv_transpose_out(i, k, s, p, self.output_padding[axis], d)
        if self.pool:
            return pool_out(i, k, s, (p, p), d, self.ceil_mode)
        return conv_out(i, k, s, (p, p), d)

    @property
    def square(self) -> bool:
        """True when both axes have the same numbers (the paper's figures all do)."""
        fields = (self.input, self.kernel, self.stride, self.padding, self.dilation)
        return all(a == b for a, b in (*fields, self.output_padding))


def add_conv_arguments(parser: argparse.ArgumentParser) -> None:
    """The calculator's options; sizes are `5` (both axes) or `5x7` (height x width)."""
    parser.add_argument("--input", type=pair, metavar="I", help="input size i (5 or 5x7)")
    parser.add_argument("--kernel", type=pair, metavar="K", help="kernel size k")
    parser.add_argument("--stride", type=pair, default=(1, 1), metavar="S", help="stride s")
    parser.add_argument("--padding", type=pair, default=(0, 0), metavar="P", help="zero padding p")
    parser.add_argument("--dilation", type=pair, default=(1, 1), metavar="D", help="dilation d")
    parser.add_argument(
        "--transposed", action="store_true", help="a transposed convolution (the input is i')"
    )
    parser.add_argument(
        "--output-padding", type=pair, default=(0, 0), metavar="A", help="transposed: a"
    )
    parser.add_argument("--pool", choices=("max", "avg"), help="a pooling window instead")
    parser.add_argument("--ceil-mode", action="store_true", help="pooling: round the output up")


def pair(text: str) -> Pair:
    """`5` -> (5, 5); `5x7` -> (5, 7). For argparse's `type=`."""
    parts = text.lower().split("x")
    try:
        values = [int(p) for p in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a size: write 5 or 5x7") from None
    if len(values) == 1:
        return (values[0], values[0])
    if len(values) == 2:
        return (values[0], values[1])
    raise argparse.ArgumentTypeError(f"'{text}' has {len(values)} axes: write 5 or 5x7")


def question_from(args: argparse.Namespace) -> ConvQuestion:
    """The question the options ask; QuestionError when they ask none."""
    if args.input is None or args.kernel is None:
        raise QuestionError("give at least --input and --kernel, e.g. --input 5 --kernel 3")
    q = ConvQuestion(
        input=args.input, kernel=args.kernel, stride=args.stride, padding=args.padding,
        dilation=args.dilation, transposed=args.transposed,
        output_padding=args.output_padding, pool=args.pool, ceil_mode=args.ceil_mode,
    )  # fmt: skip
    _validate(q)
    return q


def _validate(q: ConvQuestion) -> None:
    for name, values, low in (
        ("--input", q.input, 1), ("--kernel", q.kernel, 1), ("--stride", q.stride, 1),
        ("--dilation", q.dilation, 1), ("--padding", q.padding, 0),
        ("--output-padding", q.output_padding, 0),
    ):  # fmt: skip
        for v in values:
            if not low <= v <= MAX_SIZE:
                raise QuestionError(f"{name} {v} is out of range: it must be {low} to {MAX_SIZE}")
    if q.transposed and q.pool:
        raise QuestionError("--transposed and --pool exclude each other: pooling has no transpose")
    if any(q.output_padding) and not q.transposed:
        raise QuestionError("--output-padding is for a transposed convolution: add --transposed")
    if q.ceil_mode and not q.pool:
        raise QuestionError("--ceil-mode belongs to pooling: add --pool max or --pool avg")
    if q.pool == "avg" and q.dilation != (1, 1):
        raise QuestionError("average pooling has no dilation (PyTorch's AvgPool2d)")
    for axis in (0, 1):
        _validate_axis(q, axis)


def _validate_axis(q: ConvQuestion, axis: int) -> None:
    k, s, p, d = q.kernel[axis], q.stride[axis], q.padding[axis], q.dilation[axis]
    if q.transposed and q.output_padding[axis] >= max(s, d):
        raise QuestionError(
            f"output padding {q.output_padding[axis]} must be smaller than the stride or the "
            f"dilation ({max(s, d)}): it only picks among the {max(s, d)} sizes that one "
            "input size can come from"
        )
    if q.pool and p > k // 2:
        raise QuestionError(
            f"pooling padding {p} is more than half the kernel {k}: a window would see only "
            f"padding (PyTorch refuses it); use --padding {k // 2} or less"
        )
    o = q.axis_output(axis)
    if o < 1:
        extent = d * (k - 1) + 1
        raise QuestionError(
            f"the output would be {o} wide: the kernel spans {extent} but the padded input "
            f"is {q.input[axis] + 2 * p}; use a smaller kernel or more padding"
        )
