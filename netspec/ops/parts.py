"""Ops with several outputs: chunk and split, written `a, b = chunk(2)`.

Each output is its own layer (elaboration gives it `part`, the output's index, and the
name it is bound to: netspec/elaborate/stages.py), a view of one slice of the input
along `dim` (channels by default): no parameters, connections, multiply-adds or FLOPs,
no new memory, positions kept unless `dim` is spatial.

chunk(chunks) cuts `dim` into equal parts and requires it to divide (PyTorch's
torch.chunk silently makes fewer or unequal chunks otherwise); split(sizes) takes the
sizes, which must add up to the dim, or one size for equal parts (the last smaller, as
torch.split).

Assumes arguments elaboration bound and type-checked against each op's `params`, and
`part` in the attributes. Guarantees every rule of base.Op for each op here, and the
facts declared with it: its explanation (netspec/ops/explain/parts.py), diagram
`family`, `torchinfo` and `fvcore` (neither counts a slice).
"""

from __future__ import annotations

from netspec.limits import MAX_LAYERS
from netspec.ops.base import (
    GLOBAL,
    POINTWISE,
    Attrs,
    Op,
    OpError,
    Param,
    dim_index,
    lazy,
    no_params,
    per_element,
    register,
)
from netspec.ops.counting import NOT_COUNTED
from netspec.values import Shape, pinned, show_shape


class _Part(Op):
    counts = no_params
    several = True
    view = True
    min_rank = 1
    connection_rule = "none: each output is a slice of the input (wiring)"
    cost = per_element(0)
    flops_rule = "0 (a view)"
    family = "other"
    torchinfo = fvcore = NOT_COUNTED
    explain = lazy("parts", "explain_part")

    def sizes(self, a: Attrs, size: int) -> list[int]:
        raise NotImplementedError

    def count(self, a: Attrs, size: int) -> int:
        """How many outputs, before any list of sizes is made (a hostile count is huge)."""
        raise NotImplementedError

    def parts(self, a: Attrs, inputs: tuple[Shape, ...]) -> int:
        size = self._size(a, inputs[0])
        count = self.count(a, size)
        if count > MAX_LAYERS:  # each output is a layer: refuse before listing them
            raise OpError(
                "E-limit",
                f"{self.name} would make {count:,} outputs, each a layer: more than the "
                f"{MAX_LAYERS:,} layers a network may have",
                "cut into fewer parts",
            )
        return len(self.sizes(a, size))

    def _size(self, a: Attrs, x: Shape) -> int:
        self.check_rank((x,))
        axis = dim_index("dim", a["dim"], x, f"choose a dim from 0 to {len(x) - 1}")
        size = x[axis]
        if not isinstance(size, int):
            raise OpError(
                "E-shape",
                f"{self.name} needs a concrete size along dim {axis}, got {size}",
                "cut along an axis of known size, e.g. the channels (dim=1)",
            )
        return size

    def start(self, a: Attrs, x: Shape) -> tuple[int, int, int]:
        """The part's axis, first index and size."""
        axis = a["dim"] % len(x)
        return (axis, *self.bounds(a, self._size(a, x), a.get("part", 0)))

    def bounds(self, a: Attrs, size: int, part: int) -> tuple[int, int]:
        """First index and size of output `part` (without listing the others)."""
        sizes = self.sizes(a, size)
        return sum(sizes[:part]), sizes[part]

    def infer(self, a: Attrs, inputs: tuple[Shape, ...]) -> Shape:
        x = inputs[0]
        axis, _, size = self.start(a, x)
        return (*x[:axis], size, *x[axis + 1 :])

    def connections(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> int:
        return 0

    def receptive(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> str:
        return GLOBAL if len(out) >= 3 and a["dim"] % len(out) >= 2 else POINTWISE


@register
class Chunk(_Part):
    name = "chunk"
    params = (
        Param("chunks", "int", minimum=1, doc="equal parts"),
        Param("dim", "int", 1, doc="the axis cut (channels by default)"),
    )
    summary = "cuts one axis into equal parts, one output each: `a, b = chunk(2)`"

    def sizes(self, a: Attrs, size: int) -> list[int]:
        return [self._each(a, size)] * a["chunks"]

    def count(self, a: Attrs, size: int) -> int:
        return a["chunks"]

    def bounds(self, a: Attrs, size: int, part: int) -> tuple[int, int]:
        each = self._each(a, size)
        return part * each, each

    def _each(self, a: Attrs, size: int) -> int:
        chunks = a["chunks"]
        if size % chunks:
            raise OpError(
                "E-shape",
                f"chunk: {size} does not divide into {chunks} equal parts",
                f"chunk by a divisor of {size}, or split with the sizes: "
                f"split({_uneven(size, chunks)})",
                "chunks",
            )
        return size // chunks

    def describe(self, a: Attrs) -> str:
        return f"chunk {a.get('part', 0) + 1} of {a['chunks']}" + _on(a)


@register
class Split(_Part):
    name = "split"
    params = (
        Param("sizes", "ints", minimum=1, doc="the parts' sizes, or one size for equal parts"),
        Param("dim", "int", 1, doc="the axis cut (channels by default)"),
    )
    summary = "cuts one axis into parts of given sizes, one output each: `a, b = split([8, 24])`"

    def count(self, a: Attrs, size: int) -> int:
        sizes = a["sizes"]
        return -(-size // sizes) if isinstance(sizes, int) else len(sizes)

    def bounds(self, a: Attrs, size: int, part: int) -> tuple[int, int]:
        each = a["sizes"]
        if isinstance(each, int):  # equal parts, the last smaller
            return part * each, min(each, size - part * each)
        return super().bounds(a, size, part)

    def sizes(self, a: Attrs, size: int) -> list[int]:
        sizes = a["sizes"]
        if isinstance(sizes, int):  # equal parts of `sizes`, the last smaller (torch.split)
            size = pinned(size)  # how many parts: structure
            return [min(sizes, size - i) for i in range(0, size, sizes)]
        if sum(sizes) != size:
            raise OpError(
                "E-shape",
                f"split: the sizes {list(sizes)} add up to {sum(sizes)}, not {size}",
                f"give sizes that add up to {size}",
                "sizes",
            )
        return list(sizes)

    def describe(self, a: Attrs) -> str:
        sizes = a["sizes"]
        shown = str(sizes) if isinstance(sizes, int) else show_shape(tuple(sizes))
        return f"split {shown} part {a.get('part', 0) + 1}" + _on(a)


def _on(a: Attrs) -> str:
    return "" if a["dim"] == 1 else f" on dim {a['dim']}"


def _uneven(size: int, chunks: int) -> str:
    base, extra = divmod(size, chunks)
    return show_shape(tuple(base + (i < extra) for i in range(chunks)))
