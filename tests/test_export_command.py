"""`netspec export` and `netspec.export_onnx`: the file they write, and the errors.

The file must load, pass onnx.checker's full check, carry the metadata, take given
weights exactly, and not exist at all after a failure.
"""

from __future__ import annotations

import pytest

import netspec
from netspec.cli.main import main

np = pytest.importorskip("numpy")
onnx = pytest.importorskip("onnx")
from onnx import numpy_helper  # noqa: E402


def export(tmp_path, *extra: str, spec: str = "lenet5") -> tuple[int, object]:
    target = tmp_path / "model.onnx"
    return main(["export", spec, "-o", str(target), *extra]), target


def test_export_writes_a_checked_model(tmp_path, capsys):
    code, target = export(tmp_path)
    assert code == 0
    model = onnx.load(str(target))
    onnx.checker.check_model(model, full_check=True)
    props = {p.key: p.value for p in model.metadata_props}
    assert props["netspec.network"] == "LeNet5" and props["netspec.scores"] == "negated"
    assert model.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "N"
    assert "wrote" in capsys.readouterr().err


def test_export_is_the_api_and_is_reproducible(tmp_path):
    code, target = export(tmp_path, "--batch", "4", "--seed", "7")
    assert code == 0
    again = netspec.export_onnx("lenet5", tmp_path / "api.onnx", batch=4, seed=7)
    assert again.read_bytes() == target.read_bytes()
    assert onnx.load(str(target)).graph.input[0].type.tensor_type.shape.dim[0].dim_value == 4


def test_export_takes_weights(tmp_path):
    model = netspec.to_onnx("lenet5", seed=3)
    weights = {
        t.name: numpy_helper.to_array(t) for t in model.graph.initializer if "/" not in t.name
    }
    np.savez(tmp_path / "w.npz", **weights)
    code, target = export(tmp_path, "--weights", str(tmp_path / "w.npz"))
    assert code == 0
    written = {t.name: numpy_helper.to_array(t) for t in onnx.load(str(target)).graph.initializer}
    for key, value in weights.items():
        np.testing.assert_array_equal(written[key], value)


@pytest.mark.parametrize(
    ("extra", "status", "message"),
    [
        (("--opset", "9"), 2, "argument --opset: netspec writes opsets 13 to"),
        (("--weights", "missing.npz"), 1, "missing.npz"),
    ],
)
def test_export_refuses_bad_options(tmp_path, capsys, monkeypatch, extra, status, message):
    monkeypatch.chdir(tmp_path)
    code, target = export(tmp_path, *extra)
    err = capsys.readouterr().err
    assert code == status and message in err and "Traceback" not in err
    assert not target.exists()


def test_export_refuses_weights_that_do_not_fit(tmp_path, capsys):
    np.savez(tmp_path / "w.npz", **{"C1.conv.weight": np.zeros((6, 1, 5, 5), np.float32)})
    code, target = export(tmp_path, "--weights", str(tmp_path / "w.npz"))
    err = capsys.readouterr().err
    assert code == 1 and "the weights have no 'C1.conv.bias'" in err
    assert "the spec is not accepted" not in err and not target.exists()


def test_export_reports_spec_errors_at_their_line(tmp_path, capsys):
    spec = tmp_path / "bad.netspec"
    spec.write_text("network Bad {\n  input x: [N, 3, 8, 8]\n  c = conv(4, kernel=9)\n}\n")
    code, target = export(tmp_path, spec=str(spec))
    err = capsys.readouterr().err
    assert code == 1 and "bad.netspec:3" in err and not target.exists()


def test_export_to_an_unwritable_place_fails_cleanly(tmp_path, capsys):
    code = main(["export", "lenet5", "-o", str(tmp_path / "no" / "such" / "m.onnx")])
    err = capsys.readouterr().err
    assert code == 1 and "cannot write" in err and "Traceback" not in err
