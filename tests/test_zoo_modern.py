"""The zoo specs of issue 14 (tests/modern_zoo.py): every statement's output shape, and
each built with PyTorch (parameters and buffers equal the analysis's, the output shape
too) — the totals are in tests/test_zoo.py with the other zoo specs. ONNX round trips of
the zoo are in tests/test_to_onnx.py (sampled) and behind NETSPEC_SLOW for all of them.
"""

from __future__ import annotations

import pytest

from netspec.api import check
from tests.modern_zoo import MODERN, SHAPES


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_every_statement_has_torchvisions_shape(name):
    [analysis] = check(name)
    assert [(s.name, s.output_shape) for s in analysis.statements] == SHAPES[name]


def test_every_modern_spec_has_its_shapes():
    assert sorted(SHAPES) == sorted(MODERN)


@pytest.mark.parametrize("name", sorted(MODERN))
def test_built_module_has_the_analysis_counts(name):
    torch = pytest.importorskip("torch")
    from netspec.backends.torch.to_torch import to_torch

    [analysis] = check(name)
    module = to_torch(analysis.graph, seed=0).eval()
    assert sum(p.numel() for p in module.parameters()) == analysis.totals.params
    assert sum(b.numel() for b in module.buffers()) == analysis.totals.buffers
    side = 64  # a smaller input: the shapes scale, the parameters and outputs do not
    with torch.no_grad():
        out = module(torch.zeros(1, 3, side, side))
    assert tuple(out.shape) == (1, *analysis.statements[-1].output_shape[1:])


def _hand_written_resnet20(torch):
    """He et al. 2016 §4.2's ResNet-20, option A shortcuts, written as usual in PyTorch."""
    nn, F = torch.nn, torch.nn.functional

    class Basic(nn.Module):
        def __init__(self, cin: int, c: int, stride: int):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, c, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(c)
            self.conv2 = nn.Conv2d(c, c, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(c)
            self.pad = (c - cin) // 2 if stride != 1 or cin != c else None

        def forward(self, x):
            out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
            if self.pad is not None:  # option A: subsample, zero-pad the new channels
                x = F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad, self.pad))
            return F.relu(out + x)

    class ResNet20(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
            self.bn = nn.BatchNorm2d(16)
            blocks, cin = [], 16
            for c, stride in ((16, 1), (32, 2), (64, 2)):
                for i in range(3):
                    blocks.append(Basic(cin, c, stride if i == 0 else 1))
                    cin = c
            self.stages = nn.Sequential(*blocks)
            self.fc = nn.Linear(64, 10)

        def forward(self, x):
            x = self.stages(F.relu(self.bn(self.conv(x))))
            return self.fc(x.mean((2, 3)))

    return ResNet20()


def test_resnet20_equals_a_hand_written_module():
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode

    from netspec.backends.torch.to_torch import to_torch

    [analysis] = check("resnet20_cifar")
    reference = _hand_written_resnet20(torch).eval()
    ours = to_torch(analysis.graph, seed=0).eval()
    theirs_state, ours_state = reference.state_dict(), ours.state_dict()
    assert [t.shape for t in theirs_state.values()] == [t.shape for t in ours_state.values()]
    assert sum(p.numel() for p in reference.parameters()) == analysis.totals.params == 269_722
    assert sum(b.numel() for b in reference.buffers()) == analysis.totals.buffers == 1_395
    with FlopCounterMode(display=False) as counter:
        reference(torch.zeros(1, 3, 32, 32))
    assert counter.get_total_flops() // 2 == analysis.totals.macs == 40_551_040
    generator = torch.Generator().manual_seed(0)
    for value in theirs_state.values():
        if value.is_floating_point():
            value.copy_(torch.rand(value.shape, generator=generator) / 5 + 0.4)
    ours.load_state_dict(dict(zip(ours_state, theirs_state.values(), strict=True)))
    x = torch.randn(2, 3, 32, 32, generator=generator)
    with torch.no_grad():
        assert torch.allclose(reference(x), ours(x), atol=1e-5)
