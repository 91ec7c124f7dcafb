"""What torchinfo and fvcore count, op by op, so netspec can reproduce their totals.

Each op declares its rules with itself (`torchinfo = ...`, `fvcore = ...` on its class
in netspec/ops/; the shared ones in netspec/ops/counting.py). This module reads them
from the registry as one table per tool, which netspec/analysis/conventions.py sums.

Assumes layers of registered ops. Guarantees, for every op of the registry, the rule
the op declares; an op that declares none raises NotImplementedError naming the op
(never a silent 0). A rule may still answer None: the tool would count a module
netspec cannot predict, and a total that needs it is marked incomplete.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from netspec.analysis.counts import LayerFigures
from netspec.ops import REGISTRY, declared
from netspec.ops.base import ToolRule


class ToolTable(Mapping[str, ToolRule]):
    """op name -> the op's rule for one tool (`torchinfo` or `fvcore`), read from the op."""

    def __init__(self, tool: str) -> None:
        self.tool = tool

    def __getitem__(self, op: str) -> ToolRule:
        return declared(REGISTRY[op], self.tool)  # KeyError for a name that is no op

    def __iter__(self) -> Iterator[str]:
        return iter(REGISTRY)

    def __len__(self) -> int:
        return len(REGISTRY)

    def __repr__(self) -> str:
        return f"ToolTable({self.tool!r})"


TORCHINFO = ToolTable("torchinfo")
FVCORE = ToolTable("fvcore")


def formula(table: Mapping[str, ToolRule], layer: LayerFigures) -> str:
    """The rule `table` applies to the layer, with its numbers ("" when it has none)."""
    rule = table.get(layer.op)
    return "" if rule is None else rule.formula(layer)
