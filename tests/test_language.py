"""Language features end to end: each spec is small and its figures are worked by hand."""

from __future__ import annotations

import pytest

from netspec.api import check_text
from netspec.errors import CompileError


def one(text: str, **kw):
    [analysis] = check_text(text, **kw)
    return analysis


def paths(text: str) -> list[str]:
    return [layer.path for layer in one(text).layers]


def test_several_inputs_from_and_outputs():
    a = one(
        """
network TwoTowers {
    input image: [N, 3, 8, 8]
    input extra: [N, 5]
    feat = conv(4, 3) global_avgpool flatten         -> [N, 4]
    from extra
    side = linear(4)
    both = add(feat)
    output both, side
}
"""
    )
    graph = a.graph
    assert [name for name, _ in graph.inputs] == ["image", "extra"]
    assert {name: graph.shape(t) for name, t in graph.outputs} == {
        "both": ("N", 4),
        "side": ("N", 4),
    }
    # conv 3->4 k3: 4*3*9 + 4 = 112; linear 5->4: 24
    assert a.totals.trainable_params == 112 + 24


def test_repeat_as_index_let_and_if_else_if():
    a = one(
        """
network Widths {
    input x: [N, 2, 16, 16]
    repeat 3 as i {
        let c = 8 * (i + 1)
        if i == 0 {
            conv(c, 3, padding=1)
        } else if i == 1 {
            conv(c, 3, padding=1, stride=2)
        } else {
            conv(c, 1)
        }
    }
}
"""
    )
    shapes = [layer.output_shape for layer in a.layers]
    assert shapes == [("N", 8, 16, 16), ("N", 16, 8, 8), ("N", 24, 8, 8)]
    assert [layer.path for layer in a.layers] == ["conv1", "conv2", "conv3"]


def test_defaults_apply_file_wide_and_explicit_arguments_win():
    a = one(
        """
defaults conv(bias=false, padding=1)

network D {
    input x: [N, 3, 8, 8]
    conv(4, 3)
    conv(4, 3, bias=true)
}
"""
    )
    assert [layer.counts.trainable for layer in a.layers] == [4 * 3 * 9, 4 * 4 * 9 + 4]
    assert a.layers[0].output_shape == ("N", 4, 8, 8)


def test_block_reads_its_input_shape_and_takes_tensor_arguments():
    a = one(
        """
block fuse(skip) {
    conv(in.c, 1) concat(skip)
}

network U {
    input x: [N, 3, 8, 8]
    e = conv(6, 3, padding=1)
    conv(6, 3, padding=1)
    fuse(e)                                     -> [N, 12, 8, 8]
}
"""
    )
    assert a.layers[-1].path == "fuse1.concat1"


def test_const_lists_indexing_and_symbolic_checkpoints():
    a = one(
        """
const WIDTHS = [16, 32]

network Net(classes=7) {
    input x: [B, 1, 12, 12]
    conv(WIDTHS[0], 3) conv(WIDTHS[-1], 3)          -> [B, 32, 8, 8]
    global_avgpool flatten linear(classes)          -> [B, classes]
}
"""
    )
    assert a.graph.outputs and a.layers[-1].output_shape == ("B", 7)


def test_concrete_batch_multiplies_connections():
    per_sample = one("network A {\n input x: [N, 4]\n linear(3)\n}").totals.connections
    batch = one("network A {\n input x: [8, 4]\n linear(3)\n}").totals.connections
    assert per_sample == (4 + 1) * 3 and batch == 8 * per_sample


def test_naming_rules():
    text = """
block unit(c) {
    conv(c, 3, padding=1) bn relu
    conv(c, 3, padding=1) bn
}

network Names {
    input x: [N, 4, 8, 8]
    stem = conv(4, 3, padding=1) relu conv(4, 1)
    unit(4)
    repeat 2 {
        res = add {
            unit(4)
          |
        }
    }
    head = global_avgpool
}
"""
    assert paths(text) == [
        "stem.conv1", "stem.relu", "stem.conv2",
        "unit1.conv1", "unit1.bn1", "unit1.relu1", "unit1.conv2", "unit1.bn2",
        "res.0.0.unit1.conv1", "res.0.0.unit1.bn1", "res.0.0.unit1.relu1",
        "res.0.0.unit1.conv2", "res.0.0.unit1.bn2", "res.0",
        "res.1.0.unit1.conv1", "res.1.0.unit1.bn1", "res.1.0.unit1.relu1",
        "res.1.0.unit1.conv2", "res.1.0.unit1.bn2", "res.1",
        "head",
    ]  # fmt: skip


def test_statements_sum_their_layers():
    a = one(
        """
network S {
    input x: [N, 1, 6, 6]
    a = conv(2, 3) relu
    repeat 2 {
        conv(2, 1)
    }
}
"""
    )
    assert [s.name for s in a.statements] == ["a", "repeat1"]
    assert a.statements[1].counts.trainable == 2 * (2 * 2 + 2)


def test_network_parameters_and_overrides():
    text = "network P(width=4, depth=2) {\n input x: [N, 3]\n repeat depth {\n linear(width)\n }\n}"
    assert len(one(text).layers) == 2
    a = one(text, overrides={"width": 5, "depth": 3})
    assert len(a.layers) == 3 and a.layers[-1].output_shape == ("N", 5)


def test_every_independent_error_is_reported():
    with pytest.raises(CompileError) as caught:
        check_text(
            "network E {\n    input x: [N, 3, 8, 8]\n    conv(4, 3, strid=1)\n"
            "    a = linear(4)\n    maxpol(2)\n}\n"
        )
    codes = [d.code for d in caught.value.diagnostics]
    assert codes.count("E-arg") == 1 and codes.count("E-op") == 1


def test_floor_warning_says_which_rows_are_dropped():
    a = one("network W {\n    input x: [N, 1, 28, 28]\n    conv(8, 3, stride=2)\n}\n")
    messages = [w.message for w in a.warnings]
    assert [w.code for w in a.warnings] == ["W-floor"]  # one per layer, naming its axes
    assert "along H and W," in messages[0]
    assert "leaves the last 1 input row and column (index 27) unused" in messages[0]
    # Padding that absorbs the remainder, or a strided 1x1 shortcut, warns of nothing.
    assert not one(
        "network P {\n input x: [N, 1, 28, 28]\n conv(8, 3, stride=2, padding=1)\n}"
    ).warnings
    assert not one("network S {\n input x: [N, 1, 56, 56]\n conv(8, 1, stride=2)\n}").warnings
