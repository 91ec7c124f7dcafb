"""What a frontend reads a model into: netspec stages in topological order, with weights.

A :class:`Stage` is one netspec op as a spec writes it (`conv(64, 3, stride=2)`): the
op's name, its arguments, the tensors it reads (the first is the stream; a merge's
others follow), the tensor it makes, and its weights by the parameter names PyTorch
gives them (`weight`, `bias`, `running_mean`, `running_var`), as numpy arrays in the
layouts netspec's backends use (a conv weight [out, in/groups, kh, kw], a linear weight
[out, in]). Tensor names are the source's, cleaned into identifiers; `source` names the
node (or nodes) a stage came from, for messages.

Assumes nothing of the source format. Guarantees plain immutable records (numpy arrays
are not copied), so a translator, the block finder and the emitter can be tested apart.
"""

from __future__ import annotations

from typing import Any, NamedTuple

Value = Any  # an argument's value: int, float, bool, str, or a tuple of them


class Stage(NamedTuple):
    op: str  # a netspec op: conv, bn, relu, maxpool, linear, flatten, add, concat, ...
    args: tuple[Value, ...]  # positional arguments, in the op's signature order
    kwargs: tuple[tuple[str, Value], ...]  # keyword arguments, as the spec writes them
    inputs: tuple[str, ...]  # tensors read: the stream first, then a merge's others
    output: str  # the tensor made
    weights: tuple[tuple[str, Any], ...] = ()  # PyTorch parameter name -> numpy array
    source: str = ""  # the node(s) of the source model it came from
    # the block calls it lay in, outermost first, as (function name, call path): an ONNX
    # model's local functions (`netspec export --functions`); () where the source has none
    scope: tuple[tuple[str, str], ...] = ()
    # which output of an op that makes several (`seq, h, c = lstm(650)`: h is 1, c 2): a
    # part > 0 follows its part 0, reads the same, and has no weights (the call's are
    # on part 0)
    part: int = 0


class TensorName(str):
    """A keyword argument that names a tensor, written as its name in the spec (a tied
    linear's `tied=words`), not as a string."""

    __slots__ = ()


class Symbol(str):
    """A size by its name in an argument (`reshape([N, 768, 196])`): written bare."""


class Input(NamedTuple):
    name: str
    shape: tuple[int | str, ...]  # a symbolic size by its name ("N")
    dtype: str = "float32"


class Imported(NamedTuple):
    name: str  # the network's name: an identifier
    inputs: tuple[Input, ...]
    outputs: tuple[str, ...]  # tensors
    stages: tuple[Stage, ...]  # topological order
    source: str  # where it came from, for the spec's header comment
    notes: tuple[str, ...] = ()  # what the reader wants said: "batch norm arrived folded"


class Unsupported(NamedTuple):
    """A node the frontend cannot translate: its name and op type, and why."""

    node: str
    op_type: str
    why: str


class NotImportable(ValueError):
    """Every node that cannot be imported, listed at once (`netspec import --partial`
    imports up to the first of them)."""

    def __init__(self, problems: list[Unsupported]):
        self.problems = problems
        lines = [f"{p.node} ({p.op_type}): {p.why}" for p in problems]
        super().__init__(f"{len(problems)} node(s) cannot be imported:\n  " + "\n  ".join(lines))
