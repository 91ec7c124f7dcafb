"""Models written by torch's dynamo exporter (`torch.onnx.export(..., dynamo=True)`):
opset 18+, `ReduceMean` for the global pool, constants computed by small subgraphs
when unoptimised, and batch norm fused into the convolutions by its optimizer (which
its node metadata says). `to_torch` builds of zoo specs, their weights jittered as a
trained model's would be (identical fresh weights the exporter would merge into one),
import with the zoo spec's figures (folded: less each fused batch norm) and outputs."""

from __future__ import annotations

import logging
import warnings

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")
pytest.importorskip(
    "onnxscript", reason="the dynamo exporter needs onnxscript: pip install onnxscript"
)

from netspec.api import check, to_torch  # noqa: E402
from netspec.frontends.emit import spec_text  # noqa: E402
from netspec.frontends.onnx import read_onnx  # noqa: E402
from netspec.frontends.weights_out import weights_by_key  # noqa: E402
from netspec.source import Source  # noqa: E402

SHAPES = {"unet": (1, 1, 256, 256)}


def _exported(name: str, path, optimize: bool = True):
    """The jittered module and its dynamo export at `path`."""
    module = to_torch(name, seed=1).eval()
    noise = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for value in module.state_dict().values():
            if value.is_floating_point():
                value.add_(torch.randn(value.shape, generator=noise) * 0.05)
    x = torch.zeros(SHAPES.get(name, (1, 3, 224, 224)))
    logging.disable(logging.WARNING)  # the exporter narrates each step
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(module, (x,), path, dynamo=True, optimize=optimize)
    finally:
        logging.disable(logging.NOTSET)
    return module


def _imported(module, name: str, path):
    """The figures of the spec imported from `path`, and its notes, after checking
    that its own module computes the module's outputs with the imported weights."""
    imported = read_onnx(path)
    text = spec_text(imported)
    [spec] = check(Source(f"{name}.netspec", text))
    built = to_torch(Source(f"{name}.netspec", text)).eval()
    weights = weights_by_key(imported, spec.graph)
    built.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in weights.items()})
    x = torch.randn(SHAPES.get(name, (1, 3, 224, 224)), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected, got = module(x), built(x)
    scale = float(expected.abs().max())
    assert float((expected - got).abs().max()) <= 1e-4 * max(scale, 1.0)
    totals = spec.totals
    return (totals.params, totals.buffers, totals.macs), imported.notes


@pytest.mark.parametrize("name", ["resnet18", "convnext_tiny", "unet"])
def test_an_optimised_export_imports_with_batch_norm_folded(name, tmp_path):
    module = _exported(name, tmp_path / f"{name}.onnx")
    figures, notes = _imported(module, name, tmp_path / f"{name}.onnx")
    [zoo] = check(name)
    bns = [m for m in module.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    channels = sum(m.num_features for m in bns)
    # a fused batch norm leaves a conv bias (C) for its 2C parameters and 2C + 1 buffers
    folded = (zoo.totals.params - channels, zoo.totals.buffers - 2 * channels - len(bns))
    assert figures == (*folded, zoo.totals.macs)
    if bns:
        assert notes and f"folded into {len(bns)} of" in notes[0]
    else:
        assert notes == ()  # the metadata names every fusion: none, so no guess either


def test_an_unoptimised_export_keeps_batch_norm(tmp_path):
    module = _exported("mobilenet_v2", tmp_path / "m.onnx", optimize=False)
    figures, notes = _imported(module, "mobilenet_v2", tmp_path / "m.onnx")
    [zoo] = check("mobilenet_v2")
    assert figures == (zoo.totals.params, zoo.totals.buffers, zoo.totals.macs)
    assert notes == ()
