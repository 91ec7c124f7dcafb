"""Re-measure the figures of issue 14's zoo specs (tests/modern_zoo.py) on torchvision's
models, and compare them with the tests' and with netspec's analysis.

Runs only where torchvision's models import: it needs torch and torchvision, which are
not test dependencies (torchvision's wheels for this machine kind are built against a
CUDA torch). Where the C extension does not load, ``--stub-fake-kernels`` makes
``torch.library.register_fake`` a no-op while torchvision imports (none of these models
uses torchvision's own ops). Installing the wheel without its dependencies beside the
CPU torch is enough: ``pip install --no-deps --target DIR torchvision==0.28.0`` and
``--path DIR``. From the repository root:

    python tools/modern_zoo_figures.py --stub-fake-kernels [--path DIR]   # exit 1 on a difference

Assumes torchvision's ``get_model(name, weights=None)`` with default arguments, in eval
mode, at the input side of each spec (224; 384 for efficientnet_v2_s). Measures, for each
model: ``sum(numel)`` over ``parameters()`` and ``buffers()`` (batch norm running
statistics and ``num_batches_tracked`` included), ``torch.utils.flop_counter``'s total
halved (multiply-adds, torchvision's GFLOPS), the output shape of each torchvision
module that a top-level statement of the spec stands for (STATEMENTS), and the largest
difference of the two models' outputs with the same random weights. resnet20_cifar
has no torchvision model: tests/test_zoo_modern.py checks it against a hand-written one.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.modern_zoo import MODERN, SHAPES  # noqa: E402
from tools.torchvision_figures import load_torchvision  # noqa: E402

SIDE = {"efficientnet_v2_s": 384}


# spec statement -> the torchvision module whose output it is ("" for the model's output)
def _features(*names: str, head: str = "head") -> dict[str, str]:
    """Statements that are torchvision's `features.0`, `features.1`, ... in order."""
    return {name: f"features.{i}" for i, name in enumerate(names)} | {head: ""}


STATEMENTS = {
    "convnext_tiny": _features(
        "stem", "stage1", "down1", "stage2", "down2", "stage3", "down3", "stage4"
    ),
    "efficientnet_b0": _features("stem", *(f"stage{i}" for i in range(1, 8)), "last_conv"),
    "efficientnet_v2_s": _features("stem", *(f"stage{i}" for i in range(1, 7)), "last_conv"),
    "mobilenet_v3_large": _features("stem", *(f"block{i}" for i in range(1, 16)), "last_conv"),
    "mobilenet_v3_small": _features("stem", *(f"block{i}" for i in range(1, 12)), "last_conv"),
    "regnet_y_400mf": {
        "stem": "stem",
        **{f"stage{i}": f"trunk_output.block{i}" for i in range(1, 5)},
        "head": "",
    },
    "shufflenet_v2_x1_0": {
        "stem": "conv1",
        "pool": "maxpool",
        **{f"stage{i}": f"stage{i}" for i in range(2, 5)},
        "conv5": "conv5",
        "head": "",
    },
}


def measure(torchvision: Any, name: str) -> tuple[tuple[int, int, int], dict[str, tuple]]:
    """(params, buffers, macs) and the output shape of each module in STATEMENTS."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    model = torchvision.models.get_model(name, weights=None).eval()
    modules = dict(model.named_modules())
    shapes: dict[str, tuple] = {}
    hooks = []
    for statement, path in STATEMENTS.get(name, {}).items():
        if path:

            def keep(module, args, out, statement=statement):
                shapes[statement] = ("N", *out.shape[1:])

            hooks.append(modules[path].register_forward_hook(keep))
    side = SIDE.get(name, 224)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        out = model(torch.zeros(1, 3, side, side))
    for hook in hooks:
        hook.remove()
    for statement, path in STATEMENTS.get(name, {}).items():
        if not path:
            shapes[statement] = ("N", *out.shape[1:])
    params = sum(p.numel() for p in model.parameters())
    buffers = sum(b.numel() for b in model.buffers())
    return (params, buffers, counter.get_total_flops() // 2), shapes


def output_difference(torchvision: Any, name: str) -> float:
    """The largest |difference| of torchvision's model and netspec's built module on one
    random input, with the same random weights: the two state_dicts hold the same tensors
    in the same order (checked: shape by shape), so they are copied entry by entry."""
    import torch

    from netspec.api import check
    from netspec.backends.torch.to_torch import to_torch

    theirs = torchvision.models.get_model(name, weights=None).eval()
    [analysis] = check(name)
    ours = to_torch(analysis.graph, seed=0).eval()
    a, b = theirs.state_dict(), ours.state_dict()
    pairs = list(zip(a, b, strict=True))
    assert all(a[x].shape == b[y].shape for x, y in pairs), "the state_dicts differ"
    generator = torch.Generator().manual_seed(0)
    for x, y in pairs:
        if a[x].is_floating_point():  # a positive variance, small weights elsewhere
            drawn = torch.rand(a[x].shape, generator=generator)
            a[x] = drawn + 0.5 if x.endswith("running_var") else (drawn - 0.5) / 5
        b[y] = a[x]
    theirs.load_state_dict(a)
    ours.load_state_dict(b)
    side = SIDE.get(name, 224)
    image = torch.randn(2, 3, side, side, generator=generator)
    with torch.no_grad():
        return float((theirs(image) - ours(image)).abs().max())


def compare(name: str, figures: tuple, shapes: dict[str, tuple]) -> list[str]:
    from netspec.api import check

    [analysis] = check(name)
    t = analysis.totals
    ours = (t.trainable_params, t.buffers, t.macs)
    problems = []
    for what, measured, tested, spec in zip(
        ("params", "buffers", "macs"), figures, MODERN[name], ours, strict=True
    ):
        if not measured == tested == spec:
            problems.append(f"{what}: torchvision {measured:,}, tests {tested:,}, spec {spec:,}")
    expected = [(s, tuple(shapes[s])) for s, _ in SHAPES[name] if s in shapes]
    written = [(s.name, s.output_shape) for s in analysis.statements if s.name in shapes]
    if expected != written:
        problems.append(f"statement shapes: torchvision {expected}, spec {written}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stub-fake-kernels", action="store_true")
    parser.add_argument("--path", help="a directory holding torchvision (pip --target)")
    args = parser.parse_args()
    if args.path:
        sys.path.insert(0, args.path)
    torchvision = load_torchvision(args.stub_fake_kernels)
    failed = 0
    for name in sorted(n for n in MODERN if n in STATEMENTS):
        figures, shapes = measure(torchvision, name)
        problems = compare(name, figures, shapes)
        difference = output_difference(torchvision, name)
        if difference > 1e-5:
            problems.append(f"outputs with the same weights differ by {difference:.3g}")
        status = "ok" if not problems else "DIFFERS"
        print(f"{name:22} params {figures[0]:>12,} buffers {figures[1]:>8,} "
              f"macs {figures[2]:>15,}  outputs differ by {difference:.2g}  {status}")  # fmt: skip
        for problem in problems:
            print(f"    {problem}")
        failed += bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
