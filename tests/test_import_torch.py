"""`netspec import --torch`: a PyTorch module traced (torch's ONNX exporter, in memory,
batch norm kept) and read into a spec with the module's parameters, buffers and
multiply-adds, whose own module computes the module's outputs with the imported weights.
The modules are netspec's own `to_torch` builds of zoo specs (torchvision does not load
on this machine kind: tools/torchvision_figures.py repeats the figures with it)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")

from netspec.api import check, to_torch  # noqa: E402
from netspec.frontends.emit import spec_text  # noqa: E402
from netspec.frontends.torch_module import BadFactory, module_from, read_module  # noqa: E402
from netspec.frontends.weights_out import weights_by_key  # noqa: E402
from netspec.source import Source  # noqa: E402

# the zoo specs that equal torchvision's models, and their published parameter counts
TORCHVISION = {"resnet18": 11_689_512, "mobilenet_v2": 3_504_872, "efficientnet_b0": 5_288_548}
TORCHVISION["vit_b_16"] = 86_567_656  # attention traced through scaled_dot_product_attention


@pytest.mark.parametrize("name", list(TORCHVISION))
def test_a_module_imports_with_its_figures_and_outputs(name):
    module = to_torch(name, seed=1).eval()
    imported = read_module(module, [(1, 3, 224, 224)], f"to_torch({name})")
    text = spec_text(imported)
    [spec] = check(Source(f"{name}.netspec", text))
    [zoo] = check(name)
    assert spec.totals.params == zoo.totals.params == TORCHVISION[name]
    assert (spec.totals.buffers, spec.totals.macs) == (zoo.totals.buffers, zoo.totals.macs)
    built = to_torch(Source(f"{name}.netspec", text)).eval()
    weights = weights_by_key(imported, spec.graph)
    built.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in weights.items()})
    # the batch traced: a reshape the trace wrote with a fixed size (ViT's [1, 768, 196])
    # holds for it alone
    x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.allclose(module(x), built(x), atol=1e-4)


def test_what_cannot_be_traced_or_found_is_said():
    with pytest.raises(BadFactory, match="cannot be traced on"):
        read_module(to_torch("alexnet"), [(1, 3, 224, 224)], "alexnet")  # it needs 227
    for target, says in [
        ("torch.nn", "not package.module:factory"),
        ("no_such_package:make", "No module named"),
        ("torch.nn:NoSuchThing", "NoSuchThing"),
        ("math:sqrt", "failed"),
        ("math:pi", "not a torch.nn.Module"),
    ]:
        with pytest.raises(BadFactory, match=says):
            module_from(target)


def test_the_command_imports_a_module_by_its_factory(tmp_path, monkeypatch, capsys):
    from netspec.cli.main import main

    (tmp_path / "mymodels.py").write_text(
        "import torch.nn as nn\n"
        "def small():\n"
        "    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),\n"
        "                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 10))\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    spec = tmp_path / "small.netspec"
    command = ["import", "--torch", "mymodels:small", "-o", str(spec)]
    assert main([*command, "--shape", "1,3,32,32"]) == 0
    [analysis] = check(spec)
    assert analysis.totals.params == 8 * 3 * 9 + 8 + 16 + 8 * 10 + 10
    assert "conv(8, 3, padding=1) bn relu global_avgpool flatten linear(10)" in spec.read_text()
    assert main(command) == 2  # no --shape
    assert main(["import", "--torch", "mymodels:nope", "--shape", "1,3,32,32", "-o", "x"]) == 1
    assert "has no attribute 'nope'" in capsys.readouterr().err
