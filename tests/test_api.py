"""The public API (``netspec.check``, ``to_torch``, ...): every function that builds one
network takes it as ``network=``; the lowerings still take their old ``network_name=``.

A spec of two networks, A and B, so that each call must pick; B is checked by its name
and its parameter count (3 x 64 + 3 = 195) in whatever each call returns.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import netspec
from netspec import api
from netspec.errors import CompileError

TWO = """network A {
    input x: [N, 4]
    y = linear(3)
}

network B(classes=3) {
    input image: [N, 1, 8, 8]
    scores = flatten linear(classes)
}
"""
B_PARAMS = 3 * 64 + 3


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    path = tmp_path / "two.netspec"
    path.write_text(TWO)
    return path


def test_the_facade_exports_the_public_api():
    names = "check to_torch to_onnx export_onnx torch_source train load parse elaborate analyze"
    for name in names.split():
        assert getattr(netspec, name) is getattr(api, name), name
        assert name in netspec.__all__, name


def test_the_stages_take_network(spec):
    source = netspec.load(spec)
    [graph] = netspec.elaborate(netspec.parse(source), network="B")
    assert graph.name == "B" and netspec.analyze(graph).totals.params == B_PARAMS
    [analysis] = netspec.check(spec, network="B")
    assert analysis.graph.name == "B" and analysis.totals.params == B_PARAMS
    assert api.one_network(spec, network="B").graph.name == "B"
    assert api.check_text(TWO, network="A")[0].graph.name == "A"


def test_one_network_must_be_chosen(spec):
    with pytest.raises(CompileError, match="choose the one to build"):
        netspec.torch_source(spec)


def test_torch_source_takes_network_and_its_old_name(spec):
    text = netspec.torch_source(spec, network="B")
    assert text == netspec.torch_source(spec, network_name="B")
    assert text == netspec.torch_source(spec, "B")
    assert text != netspec.torch_source(spec, network="A")
    with pytest.raises(TypeError, match="disagree"):
        netspec.torch_source(spec, network="A", network_name="B")


def test_to_torch_takes_network(spec):
    torch = pytest.importorskip("torch")
    module = netspec.to_torch(spec, network="B", seed=0)
    assert sum(p.numel() for p in module.parameters()) == B_PARAMS
    old = netspec.to_torch(spec, network_name="B", seed=0)
    for (name, x), (_, y) in zip(
        module.state_dict().items(), old.state_dict().items(), strict=True
    ):
        assert torch.equal(x, y), name


def test_onnx_takes_network(spec, tmp_path):
    onnx = pytest.importorskip("onnx")
    pytest.importorskip("numpy")
    model = netspec.to_onnx(spec, network="B")
    assert [i.name for i in model.graph.input] == ["image"]
    assert model == netspec.to_onnx(spec, network_name="B")
    path = netspec.export_onnx(spec, tmp_path / "b.onnx", network="B")
    assert [i.name for i in onnx.load(path).graph.input] == ["image"]
    again = netspec.export_onnx(spec, tmp_path / "old.onnx", network_name="B")
    assert again.read_bytes() == path.read_bytes()


def test_train_takes_network(spec, tmp_path):
    pytest.importorskip("torch")
    np = pytest.importorskip("numpy")
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", x=rng.uniform(size=(20, 8, 8)), y=np.arange(20) % 3)
    result = netspec.train(spec, tmp_path / "d.npz", network="B", epochs=1, quiet=True)
    assert result.network == "B"
    assert sum(p.numel() for p in result.module.parameters()) == B_PARAMS
