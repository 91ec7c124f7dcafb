"""`netspec import --torch` on torchvision's own models, where torchvision loads.

tests/test_import_torch.py imports netspec's `to_torch` builds of the zoo specs that
equal torchvision models; this repeats it with torchvision's models themselves (not a
test dependency: see tools/torchvision_figures.py for why, and --stub-fake-kernels).
Run it from the repository root:

    python tools/import_torchvision.py [--stub-fake-kernels] [--models resnet50,...]

For each model (built with ``get_model(name, weights=None)``, in eval mode, on [1, 3,
224, 224]) it imports the module, checks the spec, and compares: parameters and buffers
(``sum(numel)``, torch's ``num_batches_tracked`` counters left out of the buffers, as
ONNX has none), the zoo spec's multiply-adds, and the outputs of the spec's own module
with the imported weights against torchvision's (max abs difference <= 1e-4). Prints a
line per model; exit status 1 on any difference or refusal.

Each model is imported twice: from the module (``read_module``: traced with batch norm
kept) and from the file ``torch.onnx.export(model, x, path)`` writes with its defaults
(eval mode: batch norm folded into the convolutions, which the import says; parameters
are then not compared, multiply-adds and outputs are).

Last run: see docs/import.md (torch 2.13.0+cpu, torchvision 0.28.0, --stub-fake-kernels).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
from pathlib import Path

MODELS = {  # torchvision name -> the zoo spec that equals it
    "resnet50": "resnet50",
    "mobilenet_v2": "mobilenet_v2",
    "efficientnet_b0": "efficientnet_b0",
    "vit_b_16": "vit_b_16",
}


def _torchvision(stub: bool):
    path = Path(__file__).with_name("torchvision_figures.py")
    spec = importlib.util.spec_from_file_location("torchvision_figures", path)
    figures = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(figures)
    return figures.load_torchvision(stub)


def compare(model, zoo: str) -> str | None:
    """What differs between `model` and its import (None: nothing)."""
    import torch

    from netspec.api import check, to_torch
    from netspec.frontends.emit import spec_text
    from netspec.frontends.torch_module import read_module
    from netspec.frontends.weights_out import weights_by_key
    from netspec.source import Source

    imported = read_module(model, [(1, 3, 224, 224)], zoo)
    text = spec_text(imported)
    [spec] = check(Source(f"{zoo}.netspec", text))
    [hand] = check(zoo)
    params = sum(p.numel() for p in model.parameters())
    buffers = sum(b.numel() for n, b in model.named_buffers() if "num_batches" not in n)
    counters = sum(1 for n, _ in model.named_buffers() if "num_batches" in n)
    found = (spec.totals.params, spec.totals.buffers - counters, spec.totals.macs)
    wanted = (params, buffers, hand.totals.macs)
    if found != wanted:
        return f"params, buffers, macs {found} != {wanted}"
    built = to_torch(Source(f"{zoo}.netspec", text)).eval()
    weights = weights_by_key(imported, spec.graph)
    built.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in weights.items()})
    # the batch traced: a reshape the trace wrote with a fixed size (ViT's [1, 768, 196])
    # holds for it alone
    x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        gap = float((model(x) - built(x)).abs().max())
    return None if gap <= 1e-4 else f"outputs differ by {gap:.3g}"


def compare_exported(model, zoo: str, folder: Path) -> str | None:
    """The same through a file: `torch.onnx.export(model, x, path)` with its defaults
    (eval mode: batch norm folded into the convolutions, which the import says), read by
    `netspec import`; what differs (None: nothing). Parameters are compared where nothing
    arrived folded; multiply-adds and outputs always."""
    import warnings

    import torch

    from netspec.api import check, to_torch
    from netspec.frontends.emit import spec_text
    from netspec.frontends.onnx import read_onnx
    from netspec.frontends.weights_out import weights_by_key
    from netspec.source import Source

    x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    path = folder / f"{zoo}.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), path, dynamo=False)
    imported = read_onnx(path)
    text = spec_text(imported)
    [spec] = check(Source(f"{zoo}.netspec", text))
    [hand] = check(zoo)
    params = sum(p.numel() for p in model.parameters())
    if spec.totals.macs != hand.totals.macs:
        return f"multiply-adds {spec.totals.macs} != {hand.totals.macs}"
    if not imported.notes and spec.totals.params != params:
        return f"parameters {spec.totals.params} != {params}"
    built = to_torch(Source(f"{zoo}.netspec", text)).eval()
    weights = weights_by_key(imported, spec.graph)
    built.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in weights.items()})
    with torch.no_grad():
        gap = float((model(x) - built(x)).abs().max())
    if gap > 1e-4:
        return f"outputs differ by {gap:.3g}"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stub-fake-kernels", action="store_true")
    parser.add_argument("--models", default=",".join(MODELS))
    args = parser.parse_args()
    torchvision = _torchvision(args.stub_fake_kernels)
    failed = 0
    with tempfile.TemporaryDirectory() as folder:
        for name in args.models.split(","):
            model = torchvision.models.get_model(name, weights=None).eval()
            for how, check in (("module", compare), ("onnx file", compare_exported)):
                given = (model, MODELS[name]) + ((Path(folder),) if how != "module" else ())
                try:
                    problem = check(*given)
                except Exception as exc:  # noqa: BLE001 (a refusal is a result worth printing)
                    problem = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
                print(f"{name:<16} {how:<10} {'same' if problem is None else problem}")
                failed += problem is not None
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
