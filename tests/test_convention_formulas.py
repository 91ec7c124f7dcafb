"""The formulas `netspec explain --convention torchinfo|fvcore` shows: every rule of the
other tools' tables has one, and where it puts numbers in, their product is the figure
the convention counts for that layer."""

from __future__ import annotations

from math import prod

import pytest

from netspec.analysis.compat import FVCORE, TORCHINFO, formula
from netspec.api import check
from netspec.zoo import zoo_names


@pytest.mark.parametrize("name", zoo_names())
@pytest.mark.parametrize("table", [TORCHINFO, FVCORE], ids=["torchinfo", "fvcore"])
def test_formula_numbers_multiply_to_the_figure(name, table):
    (analysis,) = check(name)[:1]
    for layer in analysis.layers:
        rule = table.get(layer.op)
        if rule is None:
            continue
        text = formula(table, layer)
        assert text, f"{layer.path}: {layer.op} has no formula text"
        if "=" in text:
            factors = text.rsplit("=", 1)[1].strip().split("·")
            assert prod(int(f) for f in factors) == rule(layer), (layer.path, text)
