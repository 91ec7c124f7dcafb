"""Blocks recovered by `netspec import` (netspec/frontends/blocks.py): zoo CNNs exported
by netspec come back as blocks and repeats, no longer than 1.5 times the zoo's spec,
with the original's figures and, with the weights written for the new paths, the same
outputs; and on records built by hand, identical chains become one block repeated, and
chains that differ in a number one block with a parameter."""

from __future__ import annotations

import re
from functools import cache

import pytest

np = pytest.importorskip("numpy")

from netspec.api import check  # noqa: E402
from netspec.frontends.blocks import find_blocks  # noqa: E402
from netspec.frontends.blocks_shape import Call, Repeat  # noqa: E402
from netspec.frontends.emit import spec_text  # noqa: E402
from netspec.frontends.imported import Imported, Input, Stage  # noqa: E402
from netspec.frontends.plan import lines, stage_order, units  # noqa: E402
from netspec.frontends.weights_out import write_weights  # noqa: E402
from netspec.source import Source  # noqa: E402
from netspec.zoo import resolve_spec  # noqa: E402

ZOO = ["resnet18", "resnet50", "mobilenet_v2", "convnext_tiny"]


def written(text: str) -> int:
    """Lines that are neither blank nor comments."""
    return sum(1 for line in text.splitlines() if line.strip() and line.split()[0][0] != "#")


def layers(text: str) -> int:
    """The op calls a text writes (each name of a netspec op, as a word)."""
    from netspec.ops import REGISTRY

    words = re.findall(r"[a-z_][a-z0-9_]*", text)
    return sum(1 for w in words if w in REGISTRY)


@pytest.fixture(scope="module", params=ZOO)
def imported(request, tmp_path_factory):
    pytest.importorskip("onnx")
    from netspec.api import export_onnx
    from netspec.frontends.onnx import read_onnx

    name = request.param
    folder = tmp_path_factory.mktemp(name)
    model = folder / f"{name}.onnx"
    export_onnx(name, model, batch=1, seed=3)
    found = read_onnx(model)
    text = spec_text(found)
    weights = folder / f"{name}.safetensors"
    write_weights(found, text, weights)
    return name, model, found, text, weights


def test_the_blocked_spec_has_the_originals_figures(imported):
    name, _, _, text, _ = imported
    [original] = check(name)
    [again] = check(Source(f"{name}_imported.netspec", text))
    o, a = original.totals, again.totals
    assert (a.params, a.buffers, a.macs) == (o.params, o.buffers, o.macs)


def test_the_blocked_spec_is_short_and_has_blocks_and_repeats(imported):
    name, _, found, text, _ = imported
    zoo = resolve_spec(name).read_text(encoding="utf-8")
    assert written(text) <= 1.5 * written(zoo)
    assert "\nblock " in text and "repeat " in text
    # repeated structure is written once: fewer layers written than without blocks (a
    # flat text may take fewer lines, its chains packed to the width)
    assert layers(text) < layers(spec_text(found, blocks=False))


@pytest.mark.parametrize("imported", ["resnet50"], indirect=True)
def test_resnet50_comes_back_as_a_stem_a_bottleneck_and_four_stages(imported):
    _, _, found, text, _ = imported
    blocked = find_blocks(found, lines(found, units(found)))
    calls = [i for s in blocked.statements for i in s if isinstance(i, Call)]
    assert len(calls) == 4 and len({c.block for c in calls}) == 1
    stage = blocked.blocks[calls[0].block]
    assert [type(i) for i in stage.body] == [Call, Repeat]
    assert [c.args[-1] for c in calls] == [2, 3, 5, 2]  # the repeat counts: 3, 4, 6, 3 blocks
    assert "bottleneck(" in text and written(text) <= 42


@pytest.mark.parametrize("imported", ["convnext_tiny"], indirect=True)
def test_convnext_declares_its_layer_scale_in_its_block(imported):
    """The learned tensor (`param gamma`) and the `mul` that reads it stay in the block's
    branch, not statements between the blocks: each call declares its own."""
    _, _, _, text, _ = imported
    block = text[text.index("block cn_block(out) {") :].split("\n}\n")[0]
    assert "    param gamma: [out, 1, 1]\n    add {" in block and "mul(gamma)" in block
    network = text[text.index("network ") :]
    assert "param" not in network and "repeat 3 {\n        cn_block(96)" in network
    assert written(text) <= 24  # the zoo's spec: 32


@pytest.mark.parametrize("imported", ["unet"], indirect=True)
def test_unet_reads_its_long_skips_by_name(imported):
    """U-Net's levels are skips (concat with an empty branch) inside skips: written as
    the zoo writes them, each level a statement that concatenates an encoder map by name,
    not branches nested four deep; with the figures and outputs of the original."""
    pytest.importorskip("onnxruntime")
    from tests.import_support import assert_same_figures, assert_same_outputs

    name, model, _, text, weights = imported
    zoo = resolve_spec(name).read_text(encoding="utf-8")
    assert written(text) <= 1.5 * written(zoo) and "concat {" not in text
    assert text.count("concat(enc") == 4 and "block block1(out) {" in text
    assert_same_figures(name, text)
    assert_same_outputs(name, model, text, weights)


def test_the_blocked_specs_weights_compute_the_same_outputs(imported):
    pytest.importorskip("onnxruntime")
    from tests.import_support import assert_same_outputs

    name, model, _, text, weights = imported
    assert_same_outputs(name, model, text, weights)


# ---- records built by hand ----

RNG = np.random.default_rng(1)


def _conv(c: int, k: int, x: str, y: str, **kw) -> Stage:
    kwargs = (*kw.items(), ("bias", False))
    return Stage("conv", (c, k), kwargs, (x,), y, (("weight", RNG.standard_normal((c, c, k, k))),))


def _bn(c: int, x: str, y: str) -> Stage:
    stats = ("weight", "bias", "running_mean", "running_var")
    return Stage("bn", (), (), (x,), y, tuple((s, np.abs(RNG.standard_normal(c))) for s in stats))


def _residual(x: str, tag: str, dilation: int = 1) -> list[Stage]:
    """add { conv bn relu conv(3, dilated) bn relu conv bn | } relu, reading x."""
    wide = {"padding": dilation} | ({"dilation": dilation} if dilation != 1 else {})
    return [
        _conv(8, 1, x, f"{tag}c1"),
        _bn(8, f"{tag}c1", f"{tag}b1"),
        Stage("relu", (), (), (f"{tag}b1",), f"{tag}r1"),
        _conv(8, 3, f"{tag}r1", f"{tag}c2", **wide),
        _bn(8, f"{tag}c2", f"{tag}b2"),
        Stage("relu", (), (), (f"{tag}b2",), f"{tag}r2"),
        _conv(8, 1, f"{tag}r2", f"{tag}c3"),
        _bn(8, f"{tag}c3", f"{tag}b3"),
        Stage("add", (), (), (f"{tag}b3", x), f"{tag}s"),
        Stage("relu", (), (), (f"{tag}s",), f"{tag}out"),
    ]


@cache
def chains(*dilations: int) -> Imported:
    stages = [_conv(8, 3, "x", "stem", padding=1)]
    for k, d in enumerate(dilations):
        stages += _residual(stages[-1].output, f"u{k}", d)
    x = Input("x", ("N", 8, 16, 16))
    return Imported("Chains", (x,), (stages[-1].output,), tuple(stages), "chains.onnx")


def _checked(imported: Imported, tmp_path) -> str:
    text = spec_text(imported)
    [analysis] = check(Source("<import>", text))
    order = [imported.stages[i].op for i in stage_order(imported)]
    assert [n.op for n in analysis.graph.nodes] == order
    write_weights(imported, text, tmp_path / "w.safetensors")  # no Mismatch: paired in order
    return text


def test_three_identical_chains_are_one_block_repeated_three_times(tmp_path):
    text = _checked(chains(1, 1, 1), tmp_path)
    blocked = find_blocks(chains(1, 1, 1), lines(chains(1, 1, 1), units(chains(1, 1, 1))))
    assert len(blocked.blocks) == 1 and blocked.blocks[0].params == ()
    [[_, repeat]] = blocked.statements
    assert isinstance(repeat, Repeat) and repeat.count == 3
    # the network's output is named: its statement is the last call, out of the repeat
    assert "    repeat 2 {\n        block1\n    }\n    u2out = block1\n" in text
    assert text.count("add {") == 1


def test_chains_that_differ_in_a_number_are_one_block_with_a_parameter(tmp_path):
    text = _checked(chains(1, 2, 3), tmp_path)
    assert "block block1(padding) {" in text
    # the dilation goes with the padding (one column of values): one parameter for both;
    # every conv has no bias, said once
    assert "conv(8, 3, padding=padding, dilation=padding)" in text
    assert "defaults conv(bias=false)" in text
    assert "block1(1) block1(2) block1(3)" in text and text.count("add {") == 1


def test_flat_writes_every_layer_out():
    text = spec_text(chains(1, 1, 1), blocks=False)
    assert "block" not in text and text.count("add {") == 3


@pytest.mark.parametrize("imported", ["resnet18"], indirect=True)
def test_the_command_writes_blocks_unless_flat(imported, tmp_path):
    from netspec.cli.main import main

    _, model, _, text, _ = imported
    blocked, flat = tmp_path / "b.netspec", tmp_path / "f.netspec"
    assert main(["import", str(model), "-o", str(blocked)]) == 0
    assert main(["import", str(model), "-o", str(flat), "--flat"]) == 0
    assert blocked.read_text().split("\n", 1)[1] == text.split("\n", 1)[1]
    assert "block" not in flat.read_text() and written(flat.read_text()) > written(text)
    for spec in (blocked, flat):
        check(Source(str(spec), spec.read_text()))


def _scaled(x: str, tag: str) -> list[Stage]:
    """add { conv mul(gamma) | }, reading x, with the learned tensor declared before the
    mul that reads it (as the ONNX reader makes it)."""
    gamma = Stage("param", ((8, 1, 1),), (), (), f"{tag}_gamma", (("", RNG.random((8, 1, 1))),))
    return [
        _conv(8, 3, x, f"{tag}c", padding=1),
        gamma,
        Stage("mul", (), (), (f"{tag}c", gamma.output), f"{tag}m"),
        Stage("add", (), (), (f"{tag}m", x), f"{tag}s"),
    ]


def test_a_learned_tensor_goes_into_the_block_of_the_stage_that_reads_it(tmp_path):
    stages = [_conv(8, 3, "x", "stem", padding=1)]
    for k in range(3):
        stages += _scaled(stages[-1].output, f"u{k}")
    # one tensor read by two stages: declared once, outside the block (no call declares it)
    shared = Stage("param", ((8, 1, 1),), (), (), "shared", (("", RNG.random((8, 1, 1))),))
    stages += [shared, Stage("mul", (), (), (stages[-1].output, "shared"), "a")]
    stages += [Stage("mul", (), (), ("a", "shared"), "b"), Stage("add", (), (), ("a", "b"), "c")]
    found = Imported("Scaled", (Input("x", ("N", 8, 16, 16)),), ("c",), tuple(stages), "s.onnx")
    text = _checked(found, tmp_path)
    assert "block block1() {\n    param gamma: [8, 1, 1]\n    add { conv(8, 3, " in text
    assert "repeat 3 {\n        block1\n    }" in text and "mul(gamma) | }" in text
    assert text.count("param ") == 2 and "    param shared: [8, 1, 1]\n    c = mul(shared)" in text
    flat = spec_text(found, blocks=False)
    assert flat.count("param ") == 4 and "mul(u0_gamma) | }" in flat
