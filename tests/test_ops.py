"""Every op's formulas, case by case, with the expected figures worked by hand.

Each case is one statement `y = <op>` on a declared input; the expected output shape,
trainable parameters and connections are written out as formulas. Connections follow
LeCun's count (reference README, LeNet-5): fan-in of a unit (links to real input units,
not padding, plus one bias link) summed over the units; per sample.
Where torch is installed, the conv / pool / linear / bn cases are also built in PyTorch
and their output shapes and parameter counts compared.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product
from typing import Any

import pytest

from netspec.api import check_text
from netspec.errors import CompileError
from netspec.ops import REGISTRY, Counts


@dataclass(frozen=True)
class Case:
    id: str
    shape: tuple  # the input x
    op: str  # the statement under test: y = <op>
    out: tuple
    params: int  # trainable
    connections: int
    fixed: int = 0
    buffers: int = 0
    pre: str = ""  # lines between `input x` and `y = ...`
    attrs: dict = field(default_factory=dict)  # normalised attributes of y's own layer
    torch: Any = None  # nn -> module, for the torch cross-check
    dtype: str = ""  # the input's dtype when it is not float32 (token ids: int64)


def _dims(shape: tuple) -> str:
    return ", ".join(map(str, shape))


CASES = [
    # --- attention (multi-head self-attention with its projections) --------------------
    Case(
        "attention-mha",
        ("N", 6, 16),
        "attention(4)",
        ("N", 6, 16),
        params=4 * 16 * 16 + 4 * 16,  # 1,088: nn.MultiheadAttention(16, 4)'s
        connections=(16 + 1) * 6 * 64 + 4 * 6 * 6 * 16 + 4 * 6 * 6 * 6,  # 9,696
    ),
    Case(
        "attention-gqa-causal",
        ("N", 6, 16),
        "attention(4, causal=true, kv_heads=2, bias=false)",
        ("N", 6, 16),
        params=2 * 16 * 16 + 2 * 16 * 8,  # 768: k and v have 16·2/4 = 8 outputs
        connections=16 * 6 * (32 + 16) + 4 * 6 * 6 * 16 + 4 * 6 * 6 * 6,  # 7,776
    ),
    Case(
        "attention-cross-padded",
        ("N", 6, 16),
        "attention(4, memory=enc, padding=pad)",
        ("N", 6, 16),
        params=2 * 16 * 16 + 2 * 8 * 16 + 4 * 16,  # 832: q, out 16x16; k, v 8 -> 16
        # (D + 1)·L·2D + (Dm + 1)·S·2Dkv + 4·L·S·D + heads·L·S·S; the mask links nothing
        connections=17 * 6 * 32 + 9 * 4 * 32 + 4 * 6 * 4 * 16 + 4 * 6 * 4 * 4,  # 6,336
        pre="input enc: [N, 4, 8]\n    input pad: [N, 4] bool",
    ),
    # --- embedding (token ids to vectors: Zaremba et al.'s medium LSTM LM's input) -------
    Case(
        "embedding-lm",
        ("N", 35),
        "embedding(10000, 650)",
        ("N", 35, 650),
        params=10_000 * 650,
        connections=35 * 650,  # one weight read per output unit
        dtype="int64",
    ),
    # --- recurrence (alone, the sequence; tests/test_recurrent.py holds them against torch)
    Case(
        "lstm-one-layer",
        ("N", 5, 6),
        "lstm(4)",
        ("N", 5, 4),
        params=4 * (4 * 6 + 4 * 4) + 2 * 4 * 4,  # 192: nn.LSTM(6, 4)'s
        connections=5 * 4 * 4 * (6 + 4 + 2),  # each gate unit, each step: in + hidden + 2 biases
    ),
    Case(
        "gru-bidirectional-two-layers",
        ("N", 5, 6),
        "gru(4, layers=2, bidirectional=true)",
        ("N", 5, 8),
        params=2 * ((3 * (4 * 6 + 4 * 4) + 24) + (3 * (4 * 8 + 4 * 4) + 24)),  # 624
        connections=2 * (5 * 3 * 4 * (6 + 4 + 2) + 5 * 3 * 4 * (8 + 4 + 2)),  # 3,120
    ),
    Case(
        "rnn-relu-sequence-first",
        (7, 2, 6),
        'rnn(5, batch_first=false, nonlinearity="relu", bias=false)',
        (7, 2, 5),
        params=5 * 6 + 5 * 5,  # 55
        connections=2 * 7 * 5 * (6 + 5),  # 770: a batch of 2, 7 steps
    ),
    # --- the parts of a hand-written attention, and fixed positions (ops/sequence.py) ----
    Case("scale-scores", ("N", 2, 5, 5), "scale(0.125)", ("N", 2, 5, 5), params=0, connections=0),
    Case("causal-mask", ("N", 2, 5, 5), "causal_mask", ("N", 2, 5, 5), params=0, connections=0),
    Case(
        "sinusoidal-positions",
        ("N", 6, 8),
        "sinusoidal(10)",
        ("N", 6, 8),
        params=0,
        connections=0,
        buffers=10 * 8,  # the fixed table, max_length x D
    ),
    Case(
        "learned-positions",
        ("N", 6, 8),
        "learned_positions(10)",
        ("N", 6, 8),
        params=10 * 8,  # a learned row per position (GPT-2's wpe)
        connections=0,
    ),
    # --- matmul (attention's scores: a tensor by its own transpose) ---------------------
    Case(
        "matmul-scores",
        ("N", 2, 5, 4),
        "matmul { | transpose(-1, -2) }",
        ("N", 2, 5, 5),
        params=0,
        connections=2 * 4 * (2 * 5 * 5),  # a row and a column of k = 4 per output unit
    ),
    # --- conv -------------------------------------------------------------------------
    Case(
        "conv2d",
        ("N", 3, 8, 8),
        "conv(8, 3)",
        ("N", 8, 6, 6),
        params=8 * 3 * 9 + 8,  # 224
        connections=(3 * 9 + 1) * 8 * 6 * 6,
        torch=lambda nn: nn.Conv2d(3, 8, 3),
    ),
    Case(
        "conv1d-stride",
        ("N", 4, 11),
        "conv(6, 3, stride=2)",
        ("N", 6, 5),
        params=6 * 4 * 3 + 6,  # o = (11 - 3) // 2 + 1 = 5
        connections=(4 * 3 + 1) * 6 * 5,
        torch=lambda nn: nn.Conv1d(4, 6, 3, stride=2),
    ),
    Case(
        "conv3d",
        ("N", 2, 5, 6, 7),
        "conv(4, 3)",
        ("N", 4, 3, 4, 5),
        params=4 * 2 * 27 + 4,
        connections=(2 * 27 + 1) * 4 * 3 * 4 * 5,
        torch=lambda nn: nn.Conv3d(2, 4, 3),
    ),
    Case(
        "conv3d-per-dim",
        ("N", 2, 8, 9, 11),
        "conv(3, [1, 3, 5], stride=[1, 2, 3])",
        ("N", 3, 8, 4, 3),  # 8-1+1; (9-3)//2+1; (11-5)//3+1
        params=3 * 2 * (1 * 3 * 5) + 3,
        connections=(2 * 15 + 1) * 3 * 8 * 4 * 3,
        torch=lambda nn: nn.Conv3d(2, 3, (1, 3, 5), stride=(1, 2, 3)),
    ),
    Case(
        "conv-dilation",
        ("N", 1, 9, 9),
        "conv(2, 3, dilation=2)",
        ("N", 2, 5, 5),
        params=2 * 1 * 9 + 2,  # dilated extent 2*(3-1)+1 = 5: o = 9 - 5 + 1
        connections=(9 + 1) * 2 * 5 * 5,
        torch=lambda nn: nn.Conv2d(1, 2, 3, dilation=2),
    ),
    Case(
        "conv-groups",
        ("N", 4, 6, 6),
        "conv(8, 3, groups=2)",
        ("N", 8, 4, 4),
        params=8 * (4 // 2) * 9 + 8,
        connections=(2 * 9 + 1) * 8 * 4 * 4,
        torch=lambda nn: nn.Conv2d(4, 8, 3, groups=2),
    ),
    Case(
        "conv-depthwise-nobias",
        ("N", 6, 5, 5),
        "conv(6, 3, groups=6, bias=false)",
        ("N", 6, 3, 3),
        params=6 * 1 * 9,
        connections=9 * 6 * 3 * 3,
        torch=lambda nn: nn.Conv2d(6, 6, 3, groups=6, bias=False),
    ),
    # padding 1 on 4 with k 3: per axis the taps inside the input are 2+3+3+2 = 10
    Case(
        "conv-padding",
        ("N", 1, 4, 4),
        "conv(1, 3, padding=1)",
        ("N", 1, 4, 4),
        params=9 + 1,
        connections=1 * (10 * 10) + 16,
        torch=lambda nn: nn.Conv2d(1, 1, 3, padding=1),
    ),
    # H padded by 1 (10 in-input taps per axis as above), W unpadded (4 outputs x 3 taps)
    Case(
        "conv-padding-per-dim",
        ("N", 1, 4, 6),
        "conv(2, 3, padding=[1, 0])",
        ("N", 2, 4, 4),
        params=2 * 9 + 2,
        connections=1 * 2 * (10 * 12) + 2 * 16,
        attrs={"padding": ((1, 1), (0, 0))},
        torch=lambda nn: nn.Conv2d(1, 2, 3, padding=(1, 0)),
    ),
    # [1, 2] on 5 with k 3: o = 5 + 3 - 3 + 1 = 6; taps in input per output 2,3,3,3,2,1 = 14
    Case(
        "conv1d-before-after",
        ("N", 1, 5),
        "conv(1, 3, padding=[[1, 2]])",
        ("N", 1, 6),
        params=3 + 1,
        connections=14 + 6,
        attrs={"padding": ((1, 2),)},
        torch=lambda nn: nn.Sequential(nn.ConstantPad1d((1, 2), 0.0), nn.Conv1d(1, 1, 3)),
    ),
    # H [0, 1]: taps 2+2+2+1 = 7; W [1, 0]: taps 1+2+2+2 = 7
    Case(
        "conv2d-before-after",
        ("N", 1, 4, 4),
        "conv(1, 2, padding=[[0, 1], [1, 0]])",
        ("N", 1, 4, 4),
        params=4 + 1,
        connections=7 * 7 + 16,
        attrs={"padding": ((0, 1), (1, 0))},
        torch=lambda nn: nn.Sequential(nn.ZeroPad2d((1, 0, 0, 1)), nn.Conv2d(1, 1, 2)),
    ),
    # "same", k 4 on 5: total 3 = 1 before + 2 after; taps per output 3,4,4,3,2 = 16
    Case(
        "conv-same-even-kernel",
        ("N", 1, 5, 5),
        'conv(1, 4, padding="same")',
        ("N", 1, 5, 5),
        params=16 + 1,
        connections=16 * 16 + 25,
        attrs={"padding": ((1, 2), (1, 2))},
        torch=lambda nn: nn.Conv2d(1, 1, 4, padding="same"),
    ),
    # "same", k 3 stride 2 on 6: o = ceil(6/2) = 3, total (3-1)*2 + 3 - 6 = 1 -> (0, 1);
    # taps per output 3,3,2 = 8 per axis
    Case(
        "conv-same-stride",
        ("N", 2, 6, 6),
        'conv(4, 3, stride=2, padding="same")',
        ("N", 4, 3, 3),
        params=4 * 2 * 9 + 4,
        connections=2 * 4 * (8 * 8) + 4 * 9,
        attrs={"padding": ((0, 1), (0, 1))},
        torch=lambda nn: nn.Sequential(nn.ZeroPad2d((0, 1, 0, 1)), nn.Conv2d(2, 4, 3, 2)),
    ),
    Case(
        "conv-valid",
        ("N", 1, 5, 5),
        'conv(1, 3, padding="valid")',
        ("N", 1, 3, 3),
        params=9 + 1,
        connections=(9 + 1) * 9,
        attrs={"padding": ((0, 0), (0, 0))},
        torch=lambda nn: nn.Conv2d(1, 1, 3, padding="valid"),
    ),
    # output 0 reads input 0; output 1 reads inputs 1 and 2
    Case(
        "conv-connect-table",
        ("N", 3, 5, 5),
        "conv(2, 3, connect=[[0], [1, 2]])",
        ("N", 2, 3, 3),
        params=(1 + 2) * 9 + 2,
        connections=(1 * 9 + 1) * 9 + (2 * 9 + 1) * 9,
    ),
    # --- transposed and partial convolutions -----------------------------------------
    # o = 2(3-1) + 1 + 3 - 2 = 6; per axis links from input x through tap t to
    # y = 2x + t - 1 inside [0, 6): 2 + 3 + 3 = 8
    Case(
        "conv-transpose-output-padding",
        ("N", 4, 3, 3),
        "conv_transpose(2, 3, stride=2, padding=1, output_padding=1)",
        ("N", 2, 6, 6),
        params=4 * 2 * 9 + 2,
        connections=4 * 2 * (8 * 8) + 2 * 36,
        torch=lambda nn: nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1),
    ),
    Case(
        "conv-transpose-1d",
        ("N", 3, 4),
        "conv_transpose(5, 2, stride=2)",
        ("N", 5, 8),
        params=3 * 5 * 2 + 5,
        connections=3 * 5 * (4 * 2) + 5 * 8,
        torch=lambda nn: nn.ConvTranspose1d(3, 5, 2, stride=2),
    ),
    Case(
        "conv-transpose-groups",
        ("N", 4, 3, 3),
        "conv_transpose(6, 2, stride=2, groups=2)",
        ("N", 6, 6, 6),
        params=4 * (6 // 2) * 4 + 6,
        connections=4 * 3 * (6 * 6) + 6 * 36,
        torch=lambda nn: nn.ConvTranspose2d(4, 6, 2, stride=2, groups=2),
    ),
    # padding 1 on 8 with k 3: taps inside the input 8 * 3 - 2 = 22 per axis
    Case(
        "partial-conv-mask",
        ("N", 3, 8, 8),
        "partial_conv(8, 3, mask=m, padding=1)",
        ("N", 8, 8, 8),
        params=8 * 3 * 9 + 8,
        connections=3 * 8 * (22 * 22) + 8 * 64,
        pre="input m: [N, 1, 8, 8]",
    ),
    # --- pooling -----------------------------------------------------------------------
    Case(
        "maxpool2d",
        ("N", 3, 8, 8),
        "maxpool(2)",
        ("N", 3, 4, 4),
        params=0,
        connections=3 * 4 * 4 * (2 * 2),
        torch=lambda nn: nn.MaxPool2d(2),
    ),
    Case(
        "maxpool1d",
        ("N", 2, 9),
        "maxpool(3)",
        ("N", 2, 3),
        params=0,
        connections=2 * 3 * 3,
        torch=lambda nn: nn.MaxPool1d(3),
    ),
    Case(
        "avgpool3d",
        ("N", 1, 4, 4, 4),
        "avgpool(2)",
        ("N", 1, 2, 2, 2),
        params=0,
        connections=8 * 8,
        torch=lambda nn: nn.AvgPool3d(2),
    ),
    # o = (7 + 2 - 3) // 2 + 1 = 4; window taps inside the input 2 + 3 + 3 + 2 = 10
    Case(
        "maxpool-overlap-padding",
        ("N", 2, 7, 7),
        "maxpool(3, stride=2, padding=1)",
        ("N", 2, 4, 4),
        params=0,
        connections=2 * (10 * 10),
        torch=lambda nn: nn.MaxPool2d(3, stride=2, padding=1),
    ),
    # ceil: ceil((6 - 3) / 2) + 1 = 3 (floor would give 2); taps 3 + 3 + 2 = 8
    Case(
        "maxpool-ceil",
        ("N", 1, 6, 6),
        "maxpool(3, stride=2, ceil_mode=true)",
        ("N", 1, 3, 3),
        params=0,
        connections=8 * 8,
        torch=lambda nn: nn.MaxPool2d(3, stride=2, ceil_mode=True),
    ),
    # ceil((5 + 2 - 2) / 2) + 1 = 4, but the 4th window would start in the padding: 3;
    # taps inside the input 1 + 2 + 2 = 5 per axis
    Case(
        "maxpool-ceil-correction",
        ("N", 1, 5, 5),
        "maxpool(2, stride=2, padding=1, ceil_mode=true)",
        ("N", 1, 3, 3),
        params=0,
        connections=5 * 5,
        torch=lambda nn: nn.MaxPool2d(2, stride=2, padding=1, ceil_mode=True),
    ),
    # dilated window extent 3*(2-1)+1 = 4: o = 7 - 4 + 1 = 4
    Case(
        "maxpool-dilation",
        ("N", 1, 7),
        "maxpool(2, stride=1, dilation=3)",
        ("N", 1, 4),
        params=0,
        connections=4 * 2,
        torch=lambda nn: nn.MaxPool1d(2, stride=1, dilation=3),
    ),
    Case(
        "maxpool-same",
        ("N", 1, 5, 5),
        'maxpool(2, stride=2, padding="same")',
        ("N", 1, 3, 3),  # ceil(5/2) = 3; total (3-1)*2 + 2 - 5 = 1 -> (0, 1)
        params=0,
        connections=(2 + 2 + 1) ** 2,
        attrs={"padding": ((0, 1), (0, 1))},
    ),
    Case(
        "avgpool",
        ("N", 3, 6, 6),
        "avgpool(3, stride=3)",
        ("N", 3, 2, 2),
        params=0,
        connections=3 * 4 * 9,
        torch=lambda nn: nn.AvgPool2d(3, stride=3),
    ),
    Case(
        "avgpool-no-count-pad",
        ("N", 1, 4, 4),
        "avgpool(3, stride=1, padding=1, count_include_pad=false)",
        ("N", 1, 4, 4),
        params=0,
        connections=10 * 10,
        torch=lambda nn: nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False),
    ),
    # LeNet-5 S2: 2 params per map; (4 + 1 bias link) per unit
    Case(
        "subsample",
        ("N", 6, 28, 28),
        "subsample(2)",
        ("N", 6, 14, 14),
        params=2 * 6,
        connections=6 * 14 * 14 * (4 + 1),
    ),
    Case(
        "global-avgpool",
        ("N", 8, 5, 5),
        "global_avgpool",
        ("N", 8, 1, 1),
        params=0,
        connections=8 * 25,
        torch=lambda nn: nn.AdaptiveAvgPool2d(1),
    ),
    Case(
        "global-maxpool-1d",
        ("N", 4, 10),
        "global_maxpool",
        ("N", 4, 1),
        params=0,
        connections=4 * 10,
        torch=lambda nn: nn.AdaptiveMaxPool1d(1),
    ),
    # windows of 10 -> 3: [0,4) [3,7) [6,10): 12 taps per axis
    Case(
        "adaptive-avgpool",
        ("N", 2, 10, 10),
        "adaptive_avgpool(3)",
        ("N", 2, 3, 3),
        params=0,
        connections=2 * 12 * 12,
        torch=lambda nn: nn.AdaptiveAvgPool2d(3),
    ),
    # H 8 -> 3: [0,3) [2,6) [5,8) = 10; W 8 -> 2: [0,4) [4,8) = 8
    Case(
        "adaptive-maxpool",
        ("N", 3, 8, 8),
        "adaptive_maxpool([3, 2])",
        ("N", 3, 3, 2),
        params=0,
        connections=3 * 10 * 8,
        torch=lambda nn: nn.AdaptiveMaxPool2d((3, 2)),
    ),
    # --- fully connected ---------------------------------------------------------------
    Case(
        "linear",
        ("N", 120),
        "linear(84)",
        ("N", 84),
        params=120 * 84 + 84,
        connections=(120 + 1) * 84,
        torch=lambda nn: nn.Linear(120, 84),
    ),
    Case(
        "linear-3d",
        ("N", 10, 20),
        "linear(7)",
        ("N", 10, 7),
        params=20 * 7 + 7,
        connections=(20 + 1) * 10 * 7,
        torch=lambda nn: nn.Linear(20, 7),
    ),
    Case(
        "linear-nobias",
        ("N", 16),
        "linear(4, bias=false)",
        ("N", 4),
        params=16 * 4,
        connections=16 * 4,
        torch=lambda nn: nn.Linear(16, 4, bias=False),
    ),
    Case(
        "rbf-fixed", ("N", 84), "rbf(10)", ("N", 10), params=0, fixed=10 * 84, connections=84 * 10
    ),
    Case(
        "rbf-trainable",
        ("N", 84),
        "rbf(10, trainable=true)",
        ("N", 10),
        params=10 * 84,
        connections=84 * 10,
    ),
    # --- normalisation and activations -------------------------------------------------
    Case(
        "bn2d",
        ("N", 16, 4, 4),
        "bn",
        ("N", 16, 4, 4),
        params=2 * 16,
        connections=0,
        buffers=2 * 16 + 1,  # running mean, running var, num_batches_tracked
        torch=lambda nn: nn.BatchNorm2d(16),
    ),
    Case(
        "bn1d",
        ("N", 64),
        "bn",
        ("N", 64),
        params=2 * 64,
        connections=0,
        buffers=2 * 64 + 1,
        torch=lambda nn: nn.BatchNorm1d(64),
    ),
    Case(
        "bn3d",
        ("N", 4, 2, 3, 3),
        "bn(eps=1e-3, momentum=0.01)",
        ("N", 4, 2, 3, 3),
        params=2 * 4,
        connections=0,
        buffers=2 * 4 + 1,
        torch=lambda nn: nn.BatchNorm3d(4, eps=1e-3, momentum=0.01),
    ),
    Case(
        "bn-not-affine",
        ("N", 16, 4, 4),
        "bn(affine=false)",
        ("N", 16, 4, 4),
        params=0,
        connections=0,
        buffers=2 * 16 + 1,
        torch=lambda nn: nn.BatchNorm2d(16, affine=False),
    ),
    Case(
        "lrn",
        ("N", 8, 4, 4),
        "lrn(size=5, alpha=1e-4, beta=0.75, k=2)",
        ("N", 8, 4, 4),
        params=0,
        # windows of 2 channels before and 2 after: 3+4+5+5+5+5+4+3 = 34 per position
        connections=34 * 16,
        torch=lambda nn: nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0),
    ),
    Case(
        "layer-norm",
        ("N", 7, 6),
        "layer_norm",
        ("N", 7, 6),
        params=2 * 6,  # a scale and a shift per unit of the last axis
        connections=7 * 6 * 6,  # each of the 42 outputs reads the 6 along its last axis
        torch=lambda nn: nn.LayerNorm(6),
    ),
    Case(
        "rms-norm",
        ("N", 7, 6),
        "rms_norm(eps=1e-6)",
        ("N", 7, 6),
        params=6,  # a scale per unit of the last axis
        connections=7 * 6 * 6,
        torch=lambda nn: nn.RMSNorm(6, eps=1e-6),
    ),
    Case(
        "group-norm",
        ("N", 6, 4, 4),
        "group_norm(3)",
        ("N", 6, 4, 4),
        params=2 * 6,  # a scale and a shift per channel
        connections=6 * 16 * (2 * 16),  # each reads its group: 2 channels x 16 positions
        torch=lambda nn: nn.GroupNorm(3, 6),
    ),
    Case(
        "instance-norm",
        ("N", 6, 4, 4),
        "instance_norm(affine=true, track_running_stats=true)",
        ("N", 6, 4, 4),
        params=2 * 6,
        connections=0,  # eval mode normalises with the running statistics, as bn
        buffers=2 * 6 + 1,
        torch=lambda nn: nn.InstanceNorm2d(6, affine=True, track_running_stats=True),
    ),
    Case(
        "prelu-per-channel",
        ("N", 16, 4, 4),
        "prelu",
        ("N", 16, 4, 4),
        params=16,
        connections=0,
        torch=lambda nn: nn.PReLU(16),
    ),
    Case(
        "prelu-shared",
        ("N", 16, 4, 4),
        "prelu(shared=true)",
        ("N", 16, 4, 4),
        params=1,
        connections=0,
        torch=lambda nn: nn.PReLU(),
    ),
    Case("relu", ("N", 3, 4, 4), "relu", ("N", 3, 4, 4), params=0, connections=0),
    Case("relu6", ("N", 3, 4, 4), "relu6", ("N", 3, 4, 4), params=0, connections=0),
    Case("leaky-relu", ("N", 5), "leaky_relu(slope=0.2)", ("N", 5), params=0, connections=0),
    Case("sigmoid", ("N", 3, 4), "sigmoid", ("N", 3, 4), params=0, connections=0),
    Case("tanh", ("N", 3, 4), "tanh", ("N", 3, 4), params=0, connections=0),
    Case(
        "scaled-tanh",
        ("N", 6, 28, 28),
        "scaled_tanh(a=1.7159, s=0.6667)",
        ("N", 6, 28, 28),
        params=0,
        connections=0,
    ),
    Case("elu", ("N", 7), "elu(alpha=0.5)", ("N", 7), params=0, connections=0),
    Case("gelu", ("N", 7), "gelu", ("N", 7), params=0, connections=0),
    Case("silu", ("N", 7), "silu", ("N", 7), params=0, connections=0),
    Case(
        "gelu-tanh",
        ("N", 7),
        'gelu(approximate="tanh")',
        ("N", 7),
        params=0,
        connections=0,
        torch=lambda nn: nn.GELU(approximate="tanh"),
    ),
    # activation.py: no parameters, no links (a unit's own transform)
    Case(
        "hardswish",
        ("N", 3, 4, 4),
        "hardswish",
        ("N", 3, 4, 4),
        params=0,
        connections=0,
        torch=lambda nn: nn.Hardswish(),
    ),
    Case(
        "hardsigmoid",
        ("N", 7),
        "hardsigmoid",
        ("N", 7),
        params=0,
        connections=0,
        torch=lambda nn: nn.Hardsigmoid(),
    ),
    Case(
        "mish",
        ("N", 2, 5),
        "mish",
        ("N", 2, 5),
        params=0,
        connections=0,
        torch=lambda nn: nn.Mish(),
    ),
    Case(
        "softplus",
        ("N", 7),
        "softplus(beta=2.0, threshold=5.0)",
        ("N", 7),
        params=0,
        connections=0,
        torch=lambda nn: nn.Softplus(beta=2.0, threshold=5.0),
    ),
    Case(
        "drop-path",
        ("N", 3, 4, 4),
        "drop_path(0.1)",
        ("N", 3, 4, 4),
        params=0,
        connections=0,
    ),
    Case("dropout", ("N", 4096), "dropout(0.5)", ("N", 4096), params=0, connections=0),
    Case("identity", ("N", 3, 4, 4), "identity", ("N", 3, 4, 4), params=0, connections=0),
    # every output unit reads every unit along dim
    Case("softmax", ("N", 10), "softmax", ("N", 10), params=0, connections=10 * 10),
    Case(
        "softmax-dim",
        ("N", 3, 4, 4),
        "softmax(dim=1)",
        ("N", 3, 4, 4),
        params=0,
        connections=48 * 3,
    ),
    Case("log-softmax", ("N", 10), "log_softmax(dim=-1)", ("N", 10), params=0, connections=10 * 10),
    # --- shape ops ---------------------------------------------------------------------
    Case("flatten", ("N", 3, 4, 5), "flatten", ("N", 60), params=0, connections=0),
    Case(
        "flatten-start-dim",
        ("N", 3, 4, 5),
        "flatten(start_dim=2)",
        ("N", 3, 20),
        params=0,
        connections=0,
    ),
    # The batch dim is written `N` in the reshape, as in every shape of the language.
    Case(
        "reshape-minus-one",
        ("N", 3, 8, 8),
        "reshape([N, -1, 16])",
        ("N", 12, 16),
        params=0,
        connections=0,
    ),
    Case("reshape-concrete", (2, 3, 8, 8), "reshape([4, -1])", (4, 96), params=0, connections=0),
    Case(
        "upsample-nearest",
        ("N", 3, 8, 8),
        "upsample(2)",
        ("N", 3, 16, 16),
        params=0,
        connections=0,
        torch=lambda nn: nn.Upsample(scale_factor=2),
    ),
    Case(
        "upsample-per-dim",
        ("N", 3, 8, 8),
        "upsample([2, 3])",
        ("N", 3, 16, 24),
        params=0,
        connections=0,
        torch=lambda nn: nn.Upsample(scale_factor=(2, 3)),
    ),
    Case(
        "upsample-fractional",
        ("N", 1, 5, 5),
        "upsample(1.5)",
        ("N", 1, 7, 7),
        params=0,
        connections=0,  # floor(5 * 1.5) = 7
        torch=lambda nn: nn.Upsample(scale_factor=1.5),
    ),
    # interpolating modes: each output unit blends 2^rank input units (4^rank bicubic)
    Case(
        "upsample-linear",
        ("N", 2, 5),
        'upsample(2, mode="linear")',
        ("N", 2, 10),
        params=0,
        connections=2 * 2 * 10,
        torch=lambda nn: nn.Upsample(scale_factor=2, mode="linear"),
    ),
    Case(
        "upsample-bilinear",
        ("N", 3, 8, 8),
        'upsample(2, mode="bilinear")',
        ("N", 3, 16, 16),
        params=0,
        connections=4 * 3 * 16 * 16,
        torch=lambda nn: nn.Upsample(scale_factor=2, mode="bilinear"),
    ),
    Case(
        "upsample-bicubic",
        ("N", 1, 4, 4),
        'upsample(2, mode="bicubic")',
        ("N", 1, 8, 8),
        params=0,
        connections=16 * 64,
        torch=lambda nn: nn.Upsample(scale_factor=2, mode="bicubic"),
    ),
    Case(
        "upsample-trilinear",
        ("N", 1, 2, 2, 2),
        'upsample(2, mode="trilinear")',
        ("N", 1, 4, 4, 4),
        params=0,
        connections=8 * 64,
        torch=lambda nn: nn.Upsample(scale_factor=2, mode="trilinear"),
    ),
    # --- layout and border: wiring, no parameters, no links ----------------------------
    Case("permute", ("N", 3, 4, 5), "permute([0, 2, -1, 1])", ("N", 4, 5, 3), 0, 0),
    Case("transpose", ("N", 3, 4, 5), "transpose(1, -1)", ("N", 5, 4, 3), 0, 0),
    Case("squeeze", ("N", 3, 1, 5), "squeeze(2)", ("N", 3, 5), 0, 0),
    Case("unsqueeze", ("N", 3, 5), "unsqueeze(-1)", ("N", 3, 5, 1), 0, 0),
    Case(
        "channel-shuffle",
        ("N", 6, 4, 4),
        "channel_shuffle(3)",
        ("N", 6, 4, 4),
        0,
        0,
        torch=lambda nn: nn.ChannelShuffle(3),
    ),
    Case(
        "pad-reflect",
        ("N", 2, 4, 5),
        'pad([1, [2, 0]], mode="reflect")',
        ("N", 2, 6, 7),
        0,
        0,
        torch=lambda nn: nn.ReflectionPad2d((2, 0, 1, 1)),
    ),
    # ResNet's option A: 16 channels zero-padded to 32
    Case("pad-channels", ("N", 16, 4, 4), "pad(channels=[8, 8])", ("N", 32, 4, 4), 0, 0),
    Case("slice", ("N", 16, 7, 8), "slice([2, 3], step=2)", ("N", 16, 4, 4), 0, 0),
    Case("slice-one", ("N", 6, 8), "slice(1, start=-4, end=5, step=2)", ("N", 2, 8), 0, 0),
    Case("crop", ("N", 2, 9, 8), "crop([6, 5])", ("N", 2, 6, 5), 0, 0),
    # --- merges ------------------------------------------------------------------------
    # conv: padding 1 on 8 -> 22 in-input taps per axis; add: 2 links per unit
    Case(
        "add-branches",
        ("N", 4, 8, 8),
        "add { conv(4, 3, padding=1) | identity }",
        ("N", 4, 8, 8),
        params=4 * 4 * 9 + 4,
        connections=(4 * 4 * 22 * 22 + 4 * 64) + 2 * 4 * 64,
    ),
    Case(
        "add-three-branches",
        ("N", 2, 3),
        "add { identity | relu | sigmoid }",
        ("N", 2, 3),
        params=0,
        connections=3 * 2 * 3,
    ),
    Case(
        "mul-gate-broadcast",
        ("N", 4, 8, 8),
        "mul { identity | global_avgpool conv(4, 1) sigmoid }",
        ("N", 4, 8, 8),
        params=4 * 4 + 4,
        connections=4 * 64 + (5 * 4 * 1) + 2 * 4 * 64,  # pool 256, conv (4+1)*4, mul 2 each
    ),
    Case(
        "add-by-name",
        ("N", 4, 8, 8),
        "add(x)",
        ("N", 4, 8, 8),
        params=0,
        connections=2 * 4 * 64,
        pre="a = conv(4, 3, padding=1)",
    ),
    # maxpool 3/1 pad 1 on 8: 22 taps per axis
    Case(
        "concat-branches",
        ("N", 4, 8, 8),
        "concat { conv(4, 3, padding=1) | identity | maxpool(3, stride=1, padding=1) }",
        ("N", 12, 8, 8),
        params=4 * 4 * 9 + 4,
        connections=(4 * 4 * 22 * 22 + 4 * 64) + 4 * 22 * 22,
    ),
    Case(
        "concat-by-name",
        ("N", 4, 8, 8),
        "concat(x)",
        ("N", 6 + 4, 8, 8),
        params=0,
        connections=0,
        pre="a = conv(6, 1)",
    ),
    Case(
        "concat-by-names",
        ("N", 4, 8, 8),
        "concat(a, x)",
        ("N", 2 + 6 + 4, 8, 8),
        params=0,
        connections=0,
        pre="a = conv(6, 1)\n    b = conv(2, 1)",
    ),
    Case(
        "concat-dim",
        ("N", 4, 5),
        "concat(x, dim=2)",
        ("N", 4, 10),
        params=0,
        connections=0,
        pre="a = identity",
    ),
]


def spec_for(case: Case) -> str:
    pre = f"    {case.pre}\n" if case.pre else ""
    dtype = f" {case.dtype}" if case.dtype else ""
    return f"network T {{\n    input x: [{_dims(case.shape)}]{dtype}\n{pre}    y = {case.op}\n}}\n"


def run(case: Case):
    (a,) = check_text(spec_for(case), name=f"{case.id}.netspec")
    return a, a.statement("y")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_formula(case):
    a, s = run(case)
    assert s.output_shape == case.out
    assert s.counts == Counts(trainable=case.params, fixed=case.fixed, buffers=case.buffers)
    assert s.connections == case.connections
    if case.attrs:
        (node,) = [a.graph.nodes[i] for i in s.layers if a.graph.nodes[i].path == "y"]
        for key, value in case.attrs.items():
            assert tuple(node.attrs[key]) == value, key


def test_table_covers_every_op():
    used = set()
    for case in CASES:
        try:
            a, s = run(case)
        except CompileError:
            continue  # test_formula reports it; coverage is judged on the cases that check
        used |= {a.layers[i].op for i in s.layers}
    # a statement's layer (param) and ops with several outputs (y, z = chunk(2)) do not
    # fit `y = op`: tests/test_learned_and_parts.py has their formulas
    missing = sorted(set(REGISTRY) - used - {"param", "chunk", "split"})
    assert not missing, f"ops without a formula case: {missing}"


def test_reshape_with_the_batch_dim_in_a_block():
    text = (
        "block tokens(d) {\n    reshape([in.n, -1, d])\n}\n"
        "network T {\n    input x: [N, 3, 8, 8]\n    y = tokens(16)\n}\n"
    )
    (a,) = check_text(text)
    assert a.statement("y").output_shape == ("N", 3 * 8 * 8 // 16, 16)


# --- connections by brute force -----------------------------------------------------


def brute_conv_connections(c_in, c_out, groups, size, k, s, pad, d, out, bias=True):
    """Every output unit: the kernel taps that land on real input (not padding), times
    the input channels of its group, plus one bias link."""
    links = 0
    for o in product(*(range(n) for n in out)):
        taps = 1
        for axis, x in enumerate(o):
            taps_axis = sum(
                1
                for t in range(k[axis])
                if 0 <= x * s[axis] + t * d[axis] - pad[axis][0] < size[axis]
            )
            taps *= taps_axis
        links += taps * (c_in // groups) + (1 if bias else 0)
    return links * c_out


BRUTE = [
    ("2d-pad-stride", 3, 4, 1, (9, 7), 3, (2, 2), ((1, 1), (1, 1)), (1, 1)),
    ("2d-dilated-padded", 2, 2, 1, (8, 8), 3, (1, 2), ((2, 2), (0, 0)), (2, 1)),
    ("2d-asymmetric", 4, 6, 2, (6, 5), 2, (1, 1), ((0, 1), (1, 0)), (1, 1)),
    ("1d-big-pad", 1, 3, 1, (5,), 5, (1,), ((2, 2),), (1,)),
    ("3d-pad", 2, 2, 1, (4, 4, 3), 3, (2, 1, 1), ((1, 1), (1, 1), (1, 1)), (1, 1, 1)),
]


@pytest.mark.parametrize("spec", BRUTE, ids=[b[0] for b in BRUTE])
def test_conv_connections_brute_force(spec):
    _, c_in, c_out, groups, size, k, s, pad, d = spec
    rank = len(size)
    pairs = "[" + ", ".join(f"[{a}, {b}]" for a, b in pad) + "]"
    op = (
        f"conv({c_out}, {k}, stride={list(s)}, padding={pairs}, dilation={list(d)}, "
        f"groups={groups})"
    )
    case_out = tuple(
        (size[i] + pad[i][0] + pad[i][1] - d[i] * (k - 1) - 1) // s[i] + 1 for i in range(rank)
    )
    (a,) = check_text(f"network T {{\n    input x: [N, {c_in}, {_dims(size)}]\n    y = {op}\n}}\n")
    s_fig = a.statement("y")
    assert s_fig.output_shape == ("N", c_out, *case_out)
    expected = brute_conv_connections(c_in, c_out, groups, size, (k,) * rank, s, pad, d, case_out)
    assert s_fig.connections == expected


def test_conv_transpose_connections_brute_force():
    # input 4x4, k 3, stride 2, padding 1, output_padding 1 -> output 2*3 + 1 + 3 - 2 = 8
    c_in, c_out, i, k, st, p, o = 3, 2, 4, 3, 2, 1, 8
    (a,) = check_text(
        "network T {\n    input x: [N, 3, 4, 4]\n"
        "    y = conv_transpose(2, 3, stride=2, padding=1, output_padding=1)\n}\n"
    )
    s = a.statement("y")
    assert s.output_shape == ("N", c_out, o, o)
    # each input unit, through each tap, writes output unit 2x + t - 1 if inside [0, o)
    per_axis = sum(1 for x in range(i) for t in range(k) if 0 <= x * st + t - p < o)
    assert s.connections == c_in * c_out * per_axis**2 + c_out * o * o


# --- every op answers every rule -----------------------------------------------------

_GENERIC = {"int": 2, "ints": 2, "size": 2, "float": 0.5, "bool": False, "dims": ("N", -1)}
_INPUTS = [("N", 4, 6, 6), ("N", 4, 6), ("N", 4, 6, 6, 6), ("N", 4)]


# Layers a statement makes, not a stage: the attributes elaboration gives them.
_STATEMENT_LAYERS = {"param": ({"shape": (4, 1, 1), "init": 0.5}, ())}
# Ops whose generic arguments need a particular value or input: (arguments, input).
_SPECIAL_CALLS = {
    "permute": ({"dims": (0, 2, 3, 1)}, None),
    "squeeze": ({"dim": 2}, ("N", 4, 1, 6)),
    "sinusoidal": ({"max_length": 8}, None),
    "learned_positions": ({"max_length": 8}, None),
}


def _generic_call(op):
    if not op.stage:
        attrs, inputs = _STATEMENT_LAYERS[op.name]
        return attrs, inputs, op.infer(attrs, inputs)
    attrs, extra = {}, []
    shape = next(s for s in _INPUTS if op.min_rank <= len(s) <= op.max_rank)
    for p in op.params:
        if p.kind == "tensor" and p.required:  # an extra input (partial_conv mask)
            extra.append((shape[0], 1, *shape[2:]))
            continue
        if not p.required:
            attrs[p.name] = p.default
        elif p.kind == "str":
            attrs[p.name] = p.choices[0]
        else:
            attrs[p.name] = _GENERIC[p.kind]
    special, special_shape = _SPECIAL_CALLS.get(op.name, ({}, None))
    attrs.update(special)
    shape = special_shape or shape
    inputs = (shape, shape) if op.merge else (shape, *extra)
    if op.several:  # the first of its outputs
        attrs["part"] = 0
    attrs = op.normalize(attrs, inputs)
    out = op.infer(attrs, inputs)
    return attrs, inputs, out


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_op_has_rules(name):
    op = REGISTRY[name]
    assert op.name == name
    assert op.summary.strip(), f"{name} has no summary"
    assert op.connection_rule.strip(), f"{name} has no connection_rule"
    attrs, inputs, out = _generic_call(op)  # NotImplementedError fails here
    assert isinstance(out, tuple) and out
    counts = op.counts(attrs, inputs, out)
    assert isinstance(counts, Counts)
    assert min(counts.trainable, counts.fixed, counts.buffers) >= 0
    connections = op.connections(attrs, inputs, out)
    assert isinstance(connections, int) and connections >= 0
    assert isinstance(op.describe(attrs), str)
    assert isinstance(op.warnings(attrs, inputs, out), list)


# --- torch cross-check ---------------------------------------------------------------

TORCH_CASES = [c for c in CASES if c.torch is not None]


def _concrete(shape: tuple) -> tuple:
    return tuple(2 if d == "N" else d for d in shape)


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("case", TORCH_CASES, ids=[c.id for c in TORCH_CASES])
def test_torch_agrees(case):
    torch = pytest.importorskip("torch")
    module = case.torch(torch.nn).eval()
    with torch.no_grad():
        y = module(torch.zeros(_concrete(case.shape)))
    assert tuple(y.shape) == _concrete(case.out)
    assert sum(p.numel() for p in module.parameters()) == case.params + case.fixed
    assert sum(b.numel() for b in module.buffers()) == case.buffers
