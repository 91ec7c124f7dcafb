"""`netspec explain SPEC BLOCK` ends with where the block's cost goes, and why the cheap
blocks of issue 14's networks are cheap: a squeeze-and-excite gate's negligible
multiply-adds, a depthwise-separable pair against the full convolution, a channel
shuffle's free permutation. Every number is the analysis's or arithmetic shown."""

from __future__ import annotations

from netspec.api import check
from netspec.cli.main import main
from netspec.teach.explain.cost import cost_block
from netspec.teach.explain.network import select


def summary(capsys, *args: str) -> str:
    assert main(["explain", *args]) == 0
    out = capsys.readouterr().out
    return out[out.index("where the cost goes") :]


def test_the_gate_of_a_squeeze_and_excite_block_is_nearly_free(capsys):
    out = summary(capsys, "regnet_y_400mf", "stage1.y_block1")
    [analysis] = check("regnet_y_400mf")
    layers = [analysis.layers[i] for i in select(analysis, "stage1.y_block1")]
    gate = [x for x in layers if ".squeeze_excite1.mul1.1." in x.path]
    assert sum(x.cost.macs for x in gate) == 768 and sum(x.counts.params for x in gate) == 824
    total = sum(x.cost.macs for x in layers)
    assert f"768 of {total:,} multiply-adds = 0.0018%" in out
    assert "824 of the 10,040 parameters" in out
    assert "each weight used at 1 position)" in out and "at 3,136 positions" in out


def test_depthwise_separable_against_the_full_convolution(capsys):
    out = summary(capsys, "mobilenet_v3_large", "block4")
    # 5x5 depthwise on 72 channels at 28x28, then 1x1 to 40: Howard et al.'s eq. 5
    separable, full = (25 * 72 + 72 * 40) * 784, 25 * 72 * 40 * 784
    assert f"= {separable:,} against 25·72·40·784 = {full:,} = {full / separable:.1f}x" in out
    assert "1/40 + 1/25 of a full 5x5 convolution from 72 to 40 channels" in out


def test_channel_shuffle_is_a_permutation(capsys):
    out = summary(capsys, "shufflenet_v2_x1_0", "stage2.unit1")
    assert "116 channels in 2 groups of 58 = 0 parameters, 0 multiply-adds" in out
    assert "(j mod 2)·58 + j div 2" in out


def test_one_layer_has_no_summary():
    [analysis] = check("lenet5")
    assert cost_block(analysis, select(analysis, "C1.conv"), "C1.conv") is None
    block = cost_block(analysis, select(analysis, "C1"), "C1")
    share = 100 * 117_600 / analysis.totals.macs  # C1: 6 x 28 x 28 outputs x 25 taps
    line = f"156 parameters, 117,600 multiply-adds ({share:.1f}% of the network's)"
    assert block is not None and block.lines == (line,)
