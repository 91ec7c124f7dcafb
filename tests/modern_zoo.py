"""Reference figures of the zoo specs issue 14 added, from torchvision 0.28's models with
default arguments (and, for resnet20_cifar, He et al. 2016 §4.2 and a hand-written
PyTorch module in tests/test_zoo_modern.py): trainable parameters, buffer elements
(batch norm running mean + var + num_batches_tracked) and multiply-adds as
torch.utils.flop_counter counts them, halved (torchvision's GFLOPS). torchvision does
not load on this machine kind (its wheels need a CUDA torch):
tools/modern_zoo_figures.py recomputes these where it does.

MODERN: spec -> (params, buffers, macs); SHAPES: spec -> the output shape after every
top-level statement, in order (torchvision's module boundaries, named in each spec's
header). A spec is listed here once it is written.
"""

from __future__ import annotations

MODERN = {
    "convnext_tiny": (28_589_128, 0, 4_455_531_264),
    "efficientnet_b0": (5_288_548, 42_065, 385_814_752),
    "efficientnet_v2_s": (21_458_488, 153_982, 8_365_617_152),
    "mobilenet_v3_large": (5_483_032, 24_446, 216_589_760),
    "mobilenet_v3_small": (2_542_856, 12_146, 56_510_400),
    "regnet_y_400mf": (4_344_144, 27_205, 401_842_848),
    "resnet20_cifar": (269_722, 1_395, 40_551_040),
    "shufflenet_v2_x1_0": (2_278_604, 16_236, 144_907_992),
}

# Issue 16's transformers (its reference table): ViT-B/16 from torchvision 0.28
# (vit_b_16(weights=None)), BERT-base from Hugging Face's BertModel with its default
# BertConfig and the pooler, 128 tokens; GPT-2 small from GPT2LMHeadModel with its
# default GPT2Config (tied head), context 1024. Their multiply-adds include attention's
# products QKᵀ and AV, as torchvision's GFLOPS do.
TRANSFORMERS = {
    "vit_b_16": (86_567_656, 0, 17_563_828_224),
    "bert_base": (109_482_240, 0, 11_174_215_680),
    "gpt2_small": (124_439_808, 0, 145_824_153_600),
}

# Issue 16's recurrent language model: Zaremba, Sutskever, Vinyals 2014 (arXiv:1409.2329),
# the "medium" LSTM (2 layers of 650, 35 steps, vocabulary 10,000), figures as issue 16
# gives them: gates 2 x 35 x 4 x (650·650 + 650·650) = 236,600,000 plus the output
# layer 35 x 650 x 10,000 = 227,500,000; parameters as PyTorch's nn.Embedding, nn.LSTM
# and nn.Linear count them (tests/test_recurrent.py builds them).
RECURRENT = {
    "lstm_lm": (19_780_400, 0, 464_100_000),
}

SHAPES = {
    "convnext_tiny": [
        ("stem", ("N", 96, 56, 56)),
        ("stage1", ("N", 96, 56, 56)),
        ("down1", ("N", 192, 28, 28)),
        ("stage2", ("N", 192, 28, 28)),
        ("down2", ("N", 384, 14, 14)),
        ("stage3", ("N", 384, 14, 14)),
        ("down3", ("N", 768, 7, 7)),
        ("stage4", ("N", 768, 7, 7)),
        ("head", ("N", 1000)),
    ],
    "efficientnet_b0": [
        ("stem", ("N", 32, 112, 112)),
        ("stage1", ("N", 16, 112, 112)),
        ("stage2", ("N", 24, 56, 56)),
        ("stage3", ("N", 40, 28, 28)),
        ("stage4", ("N", 80, 14, 14)),
        ("stage5", ("N", 112, 14, 14)),
        ("stage6", ("N", 192, 7, 7)),
        ("stage7", ("N", 320, 7, 7)),
        ("last_conv", ("N", 1280, 7, 7)),
        ("head", ("N", 1000)),
    ],
    "efficientnet_v2_s": [
        ("stem", ("N", 24, 192, 192)),
        ("stage1", ("N", 24, 192, 192)),
        ("stage2", ("N", 48, 96, 96)),
        ("stage3", ("N", 64, 48, 48)),
        ("stage4", ("N", 128, 24, 24)),
        ("stage5", ("N", 160, 24, 24)),
        ("stage6", ("N", 256, 12, 12)),
        ("last_conv", ("N", 1280, 12, 12)),
        ("head", ("N", 1000)),
    ],
    "mobilenet_v3_large": [
        ("stem", ("N", 16, 112, 112)),
        ("block1", ("N", 16, 112, 112)),
        ("block2", ("N", 24, 56, 56)),
        ("block3", ("N", 24, 56, 56)),
        ("block4", ("N", 40, 28, 28)),
        ("block5", ("N", 40, 28, 28)),
        ("block6", ("N", 40, 28, 28)),
        ("block7", ("N", 80, 14, 14)),
        ("block8", ("N", 80, 14, 14)),
        ("block9", ("N", 80, 14, 14)),
        ("block10", ("N", 80, 14, 14)),
        ("block11", ("N", 112, 14, 14)),
        ("block12", ("N", 112, 14, 14)),
        ("block13", ("N", 160, 7, 7)),
        ("block14", ("N", 160, 7, 7)),
        ("block15", ("N", 160, 7, 7)),
        ("last_conv", ("N", 960, 7, 7)),
        ("head", ("N", 1000)),
    ],
    "mobilenet_v3_small": [
        ("stem", ("N", 16, 112, 112)),
        ("block1", ("N", 16, 56, 56)),
        ("block2", ("N", 24, 28, 28)),
        ("block3", ("N", 24, 28, 28)),
        ("block4", ("N", 40, 14, 14)),
        ("block5", ("N", 40, 14, 14)),
        ("block6", ("N", 40, 14, 14)),
        ("block7", ("N", 48, 14, 14)),
        ("block8", ("N", 48, 14, 14)),
        ("block9", ("N", 96, 7, 7)),
        ("block10", ("N", 96, 7, 7)),
        ("block11", ("N", 96, 7, 7)),
        ("last_conv", ("N", 576, 7, 7)),
        ("head", ("N", 1000)),
    ],
    "regnet_y_400mf": [
        ("stem", ("N", 32, 112, 112)),
        ("stage1", ("N", 48, 56, 56)),
        ("stage2", ("N", 104, 28, 28)),
        ("stage3", ("N", 208, 14, 14)),
        ("stage4", ("N", 440, 7, 7)),
        ("head", ("N", 1000)),
    ],
    "resnet20_cifar": [
        ("stem", ("N", 16, 32, 32)),
        ("stage1", ("N", 16, 32, 32)),
        ("stage2", ("N", 32, 16, 16)),
        ("stage3", ("N", 64, 8, 8)),
        ("head", ("N", 10)),
    ],
    "shufflenet_v2_x1_0": [
        ("stem", ("N", 24, 112, 112)),
        ("pool", ("N", 24, 56, 56)),
        ("stage2", ("N", 116, 28, 28)),
        ("stage3", ("N", 232, 14, 14)),
        ("stage4", ("N", 464, 7, 7)),
        ("conv5", ("N", 1024, 7, 7)),
        ("head", ("N", 1000)),
    ],
}
