"""The diagram's boxes and edges (netspec.teach.diagram.graph), checked against the IR.

Each structure is checked by what a reader should see: LeNet-5 is a chain, ResNet-18's
basic blocks have two paths into an add, GoogLeNet's inceptions four branches into a
concat, U-Net's decoders a skip edge from the encoder of their level; and every layer
is in exactly one box.
"""

from __future__ import annotations

from functools import cache
from itertools import pairwise

import pytest

from netspec.api import one_network
from netspec.ops import REGISTRY
from netspec.teach.diagram.graph import (
    box_count,
    call_label,
    diagram_graph,
    family,
)
from netspec.teach.diagram.style import FAMILY_STYLE


@cache
def analysis(name: str):
    return one_network(name)


def graph(name: str, depth: int):
    return diagram_graph(analysis(name), depth)


def ins(g, key: str) -> list:
    return [e for e in g.edges if e.target == key]


def outs(g, key: str) -> list:
    return [e for e in g.edges if e.source == key]


def test_every_op_has_a_family():
    legend = set(FAMILY_STYLE) - {"block", "input", "output"}  # those are not ops' families
    assert {name: family(name) for name in REGISTRY if family(name) not in legend} == {}


@pytest.mark.parametrize(
    "name", ["lenet5", "resnet18", "googlenet", "unet", "densenet121", "mobilenet_v2"]
)
@pytest.mark.parametrize("depth", [0, 1, 2])
def test_every_layer_is_in_exactly_one_box(name, depth):
    a = analysis(name)
    g = graph(name, depth)
    seen = [i for b in g.boxes for i in b.layers]
    assert sorted(seen) == list(range(len(a.layers)))
    assert sum(b.params for b in g.boxes) == a.totals.params
    assert box_count(a.graph, depth) == sum(1 for b in g.boxes if b.layers)


@pytest.mark.parametrize("name", ["lenet5", "resnet18", "googlenet", "unet", "densenet121"])
@pytest.mark.parametrize("depth", [0, 1, 2])
def test_edges_run_forward_and_have_one_per_pair(name, depth):
    g = graph(name, depth)
    position = {b.key: i for i, b in enumerate(g.boxes)}
    pairs = [(e.source, e.target) for e in g.edges]
    assert len(pairs) == len(set(pairs))
    assert all(position[a] < position[b] for a, b in pairs)
    for box in g.boxes:  # every box is reached, and every box but an output feeds one
        assert box.kind == "input" or ins(g, box.key), box.key
        assert box.kind == "output" or outs(g, box.key), box.key


def test_lenet5_is_a_chain_of_its_statements():
    g = graph("lenet5", 0)
    keys = [b.key for b in g.boxes]
    assert keys == ["input:image", "C1", "S2", "C3", "S4", "C5", "F6", "output", "output:output"]
    assert [(e.source, e.target) for e in g.edges] == list(pairwise(keys))
    c1 = g.box("C1")
    # (5*5*1 + 1) * 6 = 156 parameters, 28 = (32 - 5) / 1 + 1 (notes 001)
    assert (c1.params, c1.shape, c1.windows) == (156, ("N", 6, 28, 28), ("5x5 /1",))
    assert c1.label == "conv · scaled_tanh" and c1.family == "conv"
    assert g.box("S2").family == "pool" and g.box("F6").family == "linear"
    shapes = {(e.source, e.target): (e.shape, e.changed) for e in g.edges}
    assert shapes[("C1", "S2")] == (("N", 6, 28, 28), True)
    assert shapes[("input:image", "C1")] == (("N", 1, 32, 32), False)  # an input changes nothing


def test_lenet5_depth_1_has_a_box_per_layer():
    g = graph("lenet5", 1)
    assert [b.key for b in g.boxes if b.layers] == [x.path for x in analysis("lenet5").layers]
    assert g.box("C1.conv").label == "conv 6" and g.box("C1.conv").windows == ("5x5 /1",)
    relu_like = g.box("C1.scaled_tanh")
    assert (relu_like.family, relu_like.params, relu_like.windows) == ("activation", 0, ())


def test_resnet18_statements_then_blocks_then_residual_adds():
    a = analysis("resnet18")
    assert [b.key for b in graph("resnet18", 0).boxes if b.layers] == [
        "stem", "layer1", "layer2", "layer3", "layer4", "head",
    ]  # fmt: skip
    g1 = graph("resnet18", 1)
    blocks = [b for b in g1.boxes if b.kind == "call"]
    assert [b.key for b in blocks] == [f"layer{i}.basic{j}" for i in range(1, 5) for j in (1, 2)]
    assert blocks[2].label == "basic(width=128, stride=2)" and blocks[2].family == "block"
    assert all(len(ins(g1, b.key)) == 1 for b in blocks)  # at depth 1 a chain of blocks
    g2 = graph("resnet18", 2)
    maker = {a.graph.nodes[i].output: b.key for b in g2.boxes for i in b.layers}
    for call in (c for c in a.graph.calls if c.block == "basic"):
        add = g2.box(f"{call.path}.add1")
        assert add.family == "merge"
        sources = {e.source for e in ins(g2, add.key)}
        assert len(sources) == 2, call.path  # the residual branch and the shortcut
        branch = f"{call.path}.add1.0."
        assert any(s.startswith(branch) for s in sources)
        # identity shortcut: straight from the box that made the block's input;
        # projection (where the shape changes): through a 1x1 convolution and a bn
        shortcut = next(s for s in sources if not s.startswith(branch))
        if shortcut == maker[call.input]:
            assert g2.box(shortcut).shape == add.shape
        else:
            assert shortcut == f"{call.path}.add1.1.bn1"
            assert ins(g2, f"{call.path}.add1.1.conv1")[0].source == maker[call.input]


def test_googlenet_inceptions_are_four_branches_into_a_concat_at_depth_1():
    g = graph("googlenet", 1)
    concats = [b for b in g.boxes if b.label == "concat"]
    assert len(concats) == 9
    for concat in concats:
        stem = concat.key.removesuffix(".concat1")
        sources = [e.source for e in ins(g, concat.key)]
        assert sorted(s.split(".")[2] for s in sources) == ["0", "1", "2", "3"]
        heads = [b.key for b in g.boxes if b.key.startswith(f"{stem}.concat1.") and
                 not ins(g, b.key)[0].source.startswith(f"{stem}.")]  # fmt: skip
        assert len(heads) == 4  # each branch starts from the box before the inception
        assert len({ins(g, h)[0].source for h in heads}) == 1
    inception3a = g.box("inception3a.concat1")
    assert inception3a.shape == ("N", 256, 28, 28)  # 64 + 128 + 32 + 32 (Table 1)
    assert graph("googlenet", 0).box("inception3a").label == "inception(64, 96, 128, 16, 32, 32)"


def test_unet_has_a_skip_edge_from_each_encoder_to_its_decoder():
    g = graph("unet", 0)
    for level in (1, 2, 3, 4):
        into = {e.source: e for e in ins(g, f"dec{level}")}
        assert f"enc{level}" in into, level
        assert into[f"enc{level}"].shape == g.box(f"enc{level}").shape
        assert len(into) == 2
    g1 = graph("unet", 1)
    sources = {e.source for e in ins(g1, "dec4.concat")}
    assert sources == {"dec4.conv_transpose", "enc4.double_conv"}
    assert g1.box("enc4.double_conv").label == "double_conv(c=512)"


def test_depth_opens_block_calls_one_level_at_a_time():
    name = "mobilenet_v2"
    counts = [box_count(analysis(name).graph, d) for d in range(5)]
    assert counts == sorted(counts) and counts[3] == counts[4] == len(analysis(name).layers)
    g2 = graph(name, 2)
    # inverted_residual opened: its add has the linear bottleneck and the identity
    add = g2.box("bottleneck2.inverted_residual2.add1")
    assert {e.source for e in ins(g2, add.key)} == {
        "bottleneck2.inverted_residual2.add1.0.linear_bottleneck1",
        "bottleneck2.inverted_residual1.linear_bottleneck1",
    }


def test_call_label_names_arguments_while_short():
    calls = {c.path: c for c in analysis("resnet18").graph.calls}
    assert call_label(calls["layer1"]) == "stage(64, 2, 1)"  # named would pass 30 characters
    assert call_label(calls["layer1.basic1"]) == "basic(width=64, stride=1)"
    assert graph("resnet18", 0).box("layer1").label == "stage(64, 2, stride=1)"  # as written
    assert graph("resnet18", 0).box("stem").windows == ("7x7 /2 p3", "3x3 /2 p1")
