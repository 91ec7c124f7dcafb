"""`netspec export --dynamic-sizes`: ONNX models whose input's spatial sizes are free.

ResNet-18 (multiples of 32) and U-Net (multiples of 16) are exported with dim_params
`H` and `W`; onnx.checker and strict shape inference pass; onnxruntime's outputs at three
accepted sizes equal those of the PyTorch module (seed 0, eval mode) run at the same
sizes, within test_to_onnx.py's tolerance; the metadata holds each axis's accepted sizes
as text and as pieces; `netspec predict` refuses an input of a size outside them before
onnxruntime runs; a network whose lowering is fixed to one size (an adaptive pool to
4x4) is refused, at that layer. Small specs cover the lowerings that have a dynamic form
(nearest upsample by 2 as Resize, channel_shuffle as Gather, a transposed convolution's
crop counted from the end).
"""

from __future__ import annotations

import json

import pytest

import netspec
from netspec.cli.main import main
from netspec.errors import CompileError
from netspec.source import Source

np = pytest.importorskip("numpy")
onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
torch = pytest.importorskip("torch")

TOLERANCE = 1e-4  # max |ort - torch| / max(1, max |torch|), as tests/test_to_onnx.py

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

FIXED = """
network Fixed {
    input image: [N, 3, 32, 32]
    conv(8, 3, padding=1) relu
    pool = adaptive_avgpool(4)
    flatten
    linear(10)
}
"""

LAYOUTS = """
network Layouts {
    input image: [N, 4, 8, 8]
    conv(8, 3, padding=1) relu
    channel_shuffle(2)
    conv(8, 3, stride=2, padding=1)
    upsample(2)
    conv_transpose(4, 3, stride=2, padding=1, output_padding=1)
    conv_transpose(4, 3, dilation=2, padding=2, output_padding=1)
}
"""


def state(module) -> dict:
    return {
        k: v.detach().numpy()
        for k, v in module.state_dict().items()
        if not k.endswith("num_batches_tracked")
    }


def dims(value_info) -> list:
    return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]


def exported(spec):
    """The torch module (seed 0, eval) and the dynamic ONNX model with its weights."""
    module = netspec.to_torch(spec, seed=0).eval()
    model = netspec.to_onnx(spec, weights=state(module), dynamic_sizes=True)
    onnx.checker.check_model(model, full_check=True)
    onnx.shape_inference.infer_shapes(model, strict_mode=True)
    return module, model


def worst_error(module, model, channels: int, sizes) -> float:
    """The largest relative difference of onnxruntime and PyTorch at square `sizes`."""
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    worst = 0.0
    for size in sizes:
        x = np.random.default_rng(size).random((1, channels, size, size), np.float32)
        (theirs,) = session.run(None, {name: x})
        with torch.no_grad():
            ours = module(torch.from_numpy(x)).numpy()
        assert theirs.shape == ours.shape
        worst = max(worst, float(np.abs(theirs - ours).max()) / max(1.0, np.abs(ours).max()))
    return worst


def accepted(model) -> dict:
    props = {p.key: p.value for p in model.metadata_props}
    return json.loads(props["netspec.accepted_sizes"])


def test_resnet18_runs_at_three_sizes():
    module, model = exported("resnet18")
    assert dims(model.graph.input[0]) == ["N", 3, "H", "W"]
    assert dims(model.graph.output[0]) == ["N", 1000]
    assert worst_error(module, model, 3, (64, 96, 128)) <= TOLERANCE
    sizes = accepted(model)
    assert sizes["axes"] == ["H", "W"] and sizes["others_as_declared"] is True
    assert sizes["H"] == sizes["W"] == "32-306783360 step 32"
    [[lo, hi, period, residues]] = sizes["pieces"]["H"]
    assert (lo, period, residues) == (32, 32, [0]) and hi >= 306783360


def test_unet_output_follows_the_input():
    module, model = exported("unet")
    assert dims(model.graph.input[0]) == ["N", 1, "H", "W"]
    assert dims(model.graph.output[0]) == ["N", 2, "H", "W"]
    assert worst_error(module, model, 1, (32, 48, 64)) <= TOLERANCE
    assert accepted(model)["H"] == "16-33554432 step 16"


def test_dynamic_lowerings_agree_with_pytorch():
    spec = Source("layouts.netspec", LAYOUTS)
    module, model = exported(spec)
    ops = {n.op_type for n in model.graph.node}
    # Resize: the upsample; Gather: the shuffle; Slice: the second transposed conv's crop
    assert {"Resize", "Gather", "Slice"} <= ops and "Reshape" not in ops
    # the output is 2 ceil(H / 2) + 1: a size of its own, named by the output and axis
    assert dims(model.graph.output[0]) == ["N", 4, "conv_transpose2_H", "conv_transpose2_W"]
    assert worst_error(module, model, 4, (8, 9, 16)) <= TOLERANCE


def test_a_size_fixed_lowering_is_refused(tmp_path, capsys):
    with pytest.raises(CompileError, match=r"adaptive_avgpool \(pool\) lowers to a graph fixed"):
        netspec.to_onnx(Source("fixed.netspec", FIXED), dynamic_sizes=True)
    spec = tmp_path / "fixed.netspec"
    spec.write_text(FIXED)
    out = tmp_path / "fixed.onnx"
    assert main(["export", str(spec), "-o", str(out), "--dynamic-sizes"]) == 1
    assert "adaptive_avgpool (pool)" in capsys.readouterr().err
    assert not out.exists()
    # without --dynamic-sizes the same network exports, at its one size
    assert main(["export", str(spec), "-o", str(out)]) == 0


def test_one_accepted_size_stays_a_number():
    model = netspec.to_onnx("lenet5", dynamic_sizes=True)
    assert dims(model.graph.input[0]) == ["N", 1, 32, 32]
    assert accepted(model)["H"] == "32"


def test_predict_refuses_a_size_outside_the_set(tmp_path, capsys):
    model = tmp_path / "resnet18.onnx"
    assert main(["export", "resnet18", "-o", str(model), "--dynamic-sizes"]) == 0
    rng = np.random.default_rng(0)
    np.save(tmp_path / "ok.npy", rng.random((1, 3, 64, 96), np.float32))
    np.save(tmp_path / "bad.npy", rng.random((1, 3, 225, 64), np.float32))
    capsys.readouterr()
    assert main(["predict", str(model), str(tmp_path / "ok.npy")]) == 0
    assert capsys.readouterr().out.startswith("sample 0: class ")
    assert main(["predict", str(model), str(tmp_path / "bad.npy")]) == 1
    err = capsys.readouterr().err
    assert "the model accepts H in 32-306783360 step 32; the input has H = 225" in err
    assert "Traceback" not in err


def test_named_sizes_are_dynamic_already():
    """[N, L, 64]: L is a dim_param without the flag; the flag would vary the features."""
    seq = "network Seq {\n    input x: [N, L, 64]\n    linear(128) gelu linear(64)\n}\n"
    assert dims(netspec.to_onnx(Source("seq.netspec", seq)).graph.input[0]) == ["N", "L", 64]
    with pytest.raises(CompileError, match=r"names its sizes \(L\): they are dynamic already"):
        netspec.to_onnx(Source("seq.netspec", seq), dynamic_sizes=True)
