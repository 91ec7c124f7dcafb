"""Reading trained weights for an export: checkpoints, state_dicts, .npz, .safetensors."""

from __future__ import annotations

import json
import struct

import pytest

np = pytest.importorskip("numpy")

from netspec.analysis.fingerprint import architecture_hash  # noqa: E402
from netspec.api import one_network  # noqa: E402
from netspec.backends.onnx.weights import WeightsError, read_weights  # noqa: E402

LENET = one_network("lenet5").graph


def safetensors_bytes(tensors: dict[str, tuple[str, list[int], bytes]], meta=None) -> bytes:
    """A .safetensors file written by hand from the format's definition."""
    header, body = {}, b""
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {
            "dtype": dtype,
            "shape": shape,
            "data_offsets": [len(body), len(body) + len(raw)],
        }
        body += raw
    if meta is not None:
        header["__metadata__"] = meta
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + body


def test_npz_arrays_by_state_dict_key(tmp_path):
    w = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.savez(tmp_path / "w.npz", **{"F6.linear.weight": w})
    assert np.array_equal(read_weights(tmp_path / "w.npz", LENET)["F6.linear.weight"], w)


def test_safetensors_read_without_the_package(tmp_path):
    f32 = np.array([[1.5, -2.0], [3.25, 4.0]], dtype="<f4")
    bf16 = (np.array([1.0, -0.5], dtype="<f4").view("<u4") >> 16).astype("<u2")
    count = np.array([7], dtype="<i8")
    path = tmp_path / "w.safetensors"
    path.write_bytes(
        safetensors_bytes(
            {
                "a.weight": ("F32", [2, 2], f32.tobytes()),
                "b.weight": ("BF16", [2], bf16.tobytes()),
                "c.num_batches_tracked": ("I64", [], count.tobytes()),
            },
            {"netspec_architecture_hash": architecture_hash(LENET)},
        )
    )
    weights = read_weights(path, LENET)
    assert np.array_equal(weights["a.weight"], f32)
    assert weights["b.weight"].tolist() == [1.0, -0.5]
    assert weights["c.num_batches_tracked"].item() == 7


def test_safetensors_of_another_architecture_is_refused(tmp_path):
    path = tmp_path / "w.safetensors"
    meta = {"netspec_architecture_hash": "0" * 64, "network": "Other"}
    path.write_bytes(safetensors_bytes({}, meta))
    with pytest.raises(WeightsError, match="weights of network Other .* not of LeNet5"):
        read_weights(path, LENET)


def test_checkpoint_and_state_dict_files(tmp_path):
    torch = pytest.importorskip("torch")
    import netspec
    from netspec.training import checkpoint

    state = netspec.to_torch("lenet5", seed=0).state_dict()
    checkpoint.save(
        tmp_path / "c.pt",
        {"architecture_hash": architecture_hash(LENET), "network": "LeNet5", "state_dict": state},
    )
    weights = read_weights(tmp_path / "c.pt", LENET)
    assert np.array_equal(weights["C3.conv.weight"], state["C3.conv.weight"].numpy())
    other = one_network("lenet5_d2l").graph
    with pytest.raises(WeightsError, match="not of LeNetD2L"):
        read_weights(tmp_path / "c.pt", other)
    torch.save(state, tmp_path / "s.pt")
    assert set(read_weights(tmp_path / "s.pt", LENET)) == set(state)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("w.bin", b"x", "unknown weights format '.bin'"),
        ("w.npz", b"not a zip", "is not a readable .npz archive"),
        ("w.safetensors", b"\x05\x00\x00\x00\x00\x00\x00\x00{oops", "bad header"),
    ],
)
def test_bad_files_are_one_line_errors(tmp_path, name, content, message):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(WeightsError, match=message):
        read_weights(tmp_path / name, LENET)
    with pytest.raises(WeightsError, match="no weights file"):
        read_weights(tmp_path / "missing.npz", LENET)
