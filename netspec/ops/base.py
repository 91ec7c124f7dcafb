"""What an op is: its parameters and the rules every analysis asks of it.

Each op is a subclass of :class:`Op` registered once in :data:`REGISTRY`, and every fact
about it is declared on that class. Elaboration binds and type-checks arguments against
:attr:`Op.params`, calls :meth:`Op.normalize` (which may depend on the input shapes:
per-dim kernels, "same" padding) and :meth:`Op.infer` for the output shape. The analysis
asks :meth:`Op.counts`, :meth:`Op.connections`, :meth:`Op.cost` (multiply-adds and
FLOPs) and :meth:`Op.receptive` (how the layer moves a receptive field); `netspec
explain` asks :meth:`Op.explain` (netspec/ops/explain/<family>.py); diagrams read
`family`, the counting conventions `torchinfo` and `fvcore` (through :func:`declared`).

Assumes rules are asked with attributes that went through :meth:`Op.normalize`.
Guarantees that a rule an op cannot answer raises, naming the op: nothing defaults to 0
or to "other". Argument problems raise :class:`OpError`, which elaboration positions at
the argument it names.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any, ClassVar

from netspec.ops.records import (  # noqa: F401 (re-exported: the ops import them from here)
    GLOBAL,
    MAGNITUDE,
    NON_NEGATIVE,
    POINTWISE,
    POSITIVE,
    REQUIRED,
    UNEVEN,
    Attrs,
    Cost,
    Counts,
    Figures,
    Interval,
    OpError,
    OpWarning,
    Param,
    ToolRule,
    Window,
)
from netspec.values import Shape, numel, show_shape


class Op:
    """Base class of every op. Subclasses set the class attributes and the rules."""

    name: ClassVar[str]
    params: ClassVar[tuple[Param, ...]] = ()
    merge: ClassVar[bool] = False  # takes branches { a | b } or named inputs
    # A merge's shapes: "always" broadcast by NumPy's rules (mul), "learned" only where an
    # input is a learned tensor (add: two computed tensors must agree), "" never (concat).
    broadcasts: ClassVar[str] = ""
    min_rank: ClassVar[int] = 2
    max_rank: ClassVar[int] = 8
    summary: ClassVar[str] = ""
    param_rule: ClassVar[str] = "none"
    connection_rule: ClassVar[str] = ""
    macs_rule: ClassVar[str] = "0 (no multiply-adds with weights)"
    flops_rule: ClassVar[str] = ""  # the `flops` formula, as docs/costs.md prints it
    view: ClassVar[bool] = False  # output shares the input's storage (no new memory)
    # Makes several outputs (chunk, split): `a, b = op(...)` elaborates one layer per
    # output, its attrs' "part" the output's index, and `parts` says how many there are.
    several: ClassVar[bool] = False
    # A `several` op that, written with one name or in a chain, gives its first output
    # alone (lstm's sequence); named, it takes exactly one name per output.
    first_alone: ClassVar[bool] = False
    # Computes all its outputs in one call (lstm): part 0 carries every figure, and the
    # backends compute the parts >= 1 by part 0's call (no module or line of their own).
    joint: ClassVar[bool] = False
    # The dtypes besides float32 it reads (embedding: int64 token ids); any other op
    # given token ids or a mask is E-type (netspec.elaborate.stages).
    reads_dtypes: ClassVar[tuple[str, ...]] = ()
    # Tensor arguments of another dtype, by name (attention's padding: a bool mask): each
    # must have it (E-type at the argument), and only there does the op read that dtype.
    arg_dtypes: ClassVar[Mapping[str, str]] = {}
    stage: ClassVar[bool] = True  # False: only a statement makes it (`param name: [dims]`)
    # Reorders the axes (permute, transpose): after it the spec says what each axis is,
    # so a linear on a rank-4 map there is meant (channels last), not W-flatten.
    moves_axes: ClassVar[bool] = False
    distances: ClassVar[bool] = False  # outputs are distances, lowest best (rbf)
    # Declared by every op, no default (`declared` raises naming the op when one is unset):
    family: ClassVar[str | None] = None  # its colour in diagrams: conv pool norm activation
    #                                      linear merge other (teach/diagram/style.py)
    torchinfo: ClassVar[ToolRule | None] = None  # torchinfo's Mult-Adds (ops/counting.py)
    fvcore: ClassVar[ToolRule | None] = None  # fvcore's flops, eval mode

    def normalize(self, a: Attrs, inputs: tuple[Shape, ...]) -> Attrs:
        """Resolve rank-dependent attributes (per-dim lists, "same" padding)."""
        return a

    def infer(self, a: Attrs, inputs: tuple[Shape, ...]) -> Shape:
        raise NotImplementedError(f"op '{self.name}' has no shape rule")

    def parts(self, a: Attrs, inputs: tuple[Shape, ...]) -> int:
        """How many outputs the op makes (several: one layer per output)."""
        return 1

    def counts(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> Counts:
        raise NotImplementedError(f"op '{self.name}' has no parameter rule")

    def connections(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> int:
        raise NotImplementedError(f"op '{self.name}' has no connection rule")

    def cost(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
        raise NotImplementedError(f"op '{self.name}' has no cost rule")

    def receptive(
        self, a: Attrs, inputs: tuple[Shape, ...], out: Shape
    ) -> tuple[Window, ...] | str:
        """A Window per spatial axis, or POINTWISE, or GLOBAL."""
        raise NotImplementedError(f"op '{self.name}' has no receptive-field rule")

    def internal(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> int:
        """Elements the layer keeps inside it for the backward pass besides its output
        (attention's projections and L x L weights), as numel counts them: the training
        estimate adds them (netspec/analysis/memory.py)."""
        return 0

    def cache(self, a: Attrs, inputs: tuple[Shape, ...], context: int) -> int:
        """Elements per sample a decoder keeps between generation steps for `context`
        positions (a causal attention's keys and values); 0 for any other layer."""
        return 0

    def weight(self, a: Attrs, inputs: tuple[Shape, ...]) -> tuple[int, int] | None:
        """The [rows, columns] weight matrix a tied `linear` may share (embedding's table,
        linear's [out, in]); None for an op with no such matrix."""
        return None

    def explain(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> Any:
        """Every figure's rule with the numbers put in (netspec.ops.explain.steps.Explanation)."""
        raise NotImplementedError(f"op '{self.name}' has no explanation")

    def describe(self, a: Attrs) -> str:
        return self.name

    def warnings(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> list[OpWarning]:
        return []

    def check_rank(self, inputs: tuple[Shape, ...]) -> None:
        for shape in inputs:
            if not self.min_rank <= len(shape) <= self.max_rank:
                raise OpError(
                    "E-shape",
                    f"{self.name} needs an input of rank "
                    f"{_rank_range(self.min_rank, self.max_rank)}, got {show_shape(shape)}",
                    self.rank_help(),
                )

    def rank_help(self) -> str:
        return f"{self.name} takes tensors of rank {_rank_range(self.min_rank, self.max_rank)}"


def declared(op: Op, fact: str) -> Any:
    """The op's `family`, `torchinfo` or `fvcore`; NotImplementedError naming the op and
    the fact where the op does not declare it (nothing defaults to "other" or to 0)."""
    value = getattr(op, fact, None)
    if value is None:
        raise NotImplementedError(f"op '{op.name}' has no {fact} rule")
    return value


def _rank_range(lo: int, hi: int) -> str:
    return str(lo) if lo == hi else f"{lo} to {hi}"


def dim_index(arg: str, dim: int, shape: Shape, hint: str) -> int:
    """`dim` of `shape` as a non-negative index (negative counts from the end), or E-value."""
    if not -len(shape) <= dim < len(shape):
        raise OpError("E-value", f"{arg} {dim} does not exist in {show_shape(shape)}", hint, arg)
    return dim % len(shape)


def no_params(self: Op, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> Counts:
    """The parameter rule of ops without weights or buffers (set as `counts = no_params`)."""
    return Counts()


def pointwise(self: Op, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> str:
    """The receptive-field rule of ops that keep positions (`receptive = pointwise`)."""
    return POINTWISE


def per_element(flops: int):
    """A cost rule of `flops` operations per output element and no multiply-adds."""

    def cost(self: Op, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
        return Cost(0, flops * numel(out))

    cost.flops_per_element = flops  # for the op's explanation (ops/explain/elementwise.py)
    return cost


class lazy:  # noqa: N801 (used as a value: `explain = lazy("conv", "explain_conv")`)
    """An op's `explain`, imported from netspec/ops/explain/<module>.py on first use, so
    that `netspec check` never loads the explanations (a few ms of every start)."""

    def __init__(self, module: str, name: str):
        self.module, self.name = f"netspec.ops.explain.{module}", name

    def __get__(self, op: Op | None, owner: type) -> Any:
        function = getattr(importlib.import_module(self.module), self.name)
        owner.explain = function  # the import is done once per op class
        return function if op is None else function.__get__(op, owner)


def window(extent: int, stride: int, padding: int) -> Window:
    # Whole numbers stay ints: receptive fields then stay ints through every whole window
    # (Fraction arithmetic was most of analysing a 99,999-layer repeat), and become
    # Fractions only after a transposed layer's stride 1/s.
    return Window(extent, stride, padding)


REGISTRY: dict[str, Op] = {}

# Names from other frameworks and papers -> the netspec op. Looked up lower-case, without
# '_' and without a 1d/2d/3d suffix (so Conv2d, conv_2d and conv3d all find `conv`).
ALIASES = {
    "multiheadattention": "attention",
    "selfattention": "attention",
    "mha": "attention",
    "convolution": "conv",
    "convtranspose": "conv_transpose",
    "deconv": "conv_transpose",
    "transposedconv": "conv_transpose",
    "batchnorm": "bn",
    "batchnormalization": "bn",
    "dense": "linear",
    "fc": "linear",
    "fullyconnected": "linear",
    "localresponsenorm": "lrn",
    "maxpooling": "maxpool",
    "averagepooling": "avgpool",
    "avgpooling": "avgpool",
    "adaptiveavgpool": "adaptive_avgpool",
    "adaptivemaxpool": "adaptive_maxpool",
    "globalaveragepooling": "global_avgpool",
    "globalavgpooling": "global_avgpool",
    "globalmaxpooling": "global_maxpool",
    "leakyrelu": "leaky_relu",
    "logsoftmax": "log_softmax",
    "swish": "silu",
    "hswish": "hardswish",
    "hsigmoid": "hardsigmoid",
    "stochasticdepth": "drop_path",
    "upsampling": "upsample",
    "interpolate": "upsample",
    "cat": "concat",
    "concatenate": "concat",
    "sum": "add",
    "view": "reshape",
}


def suggest_op(name: str) -> str:
    """A help line naming the op that `name` (a PyTorch or Keras spelling) most likely means."""
    key = name.lower().replace("_", "")
    stripped = key[:-2] if key[-2:] in ("1d", "2d", "3d") else key
    plain = {op.replace("_", ""): op for op in REGISTRY}
    op = ALIASES.get(stripped) or plain.get(stripped)
    if op is None or op == name:
        return ""
    note = (
        " (ops are rank-generic: the input's rank picks 1-d, 2-d or 3-d)" if stripped != key else ""
    )
    return f"did you mean '{op}'?{note}"


def register(cls: type[Op]) -> type[Op]:
    assert cls.name not in REGISTRY, f"op {cls.name} registered twice"
    REGISTRY[cls.name] = cls()
    return cls
