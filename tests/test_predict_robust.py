"""`netspec predict` on input it cannot run and output nobody reads (issue 13, defect 8):
each bad file is one line and exit status 1, never a traceback; a shape error names the
shape as given; `--top` below 1 is misuse (exit 2); `| head` is not an error."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest

np = pytest.importorskip("numpy")
onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from netspec.cli.main import main  # noqa: E402
from tests.test_predict import linear_model  # noqa: E402

SHAPE = ["N", 1, 4, 4]


@pytest.fixture
def model(tmp_path):
    return linear_model(tmp_path / "m.onnx", np.eye(16, 3), SHAPE)


def npy_bytes(tmp_path, array, **options) -> bytes:
    np.save(tmp_path / "a.npy", array, **options)
    return (tmp_path / "a.npy").read_bytes()


def damaged_npz(tmp_path) -> bytes:
    """A compressed .npz whose member data is overwritten: the zip's directory is whole."""
    np.savez_compressed(tmp_path / "a.npz", x=np.random.default_rng(0).random((1, 1, 4, 4)))
    data = bytearray((tmp_path / "a.npz").read_bytes())
    with zipfile.ZipFile(tmp_path / "a.npz") as archive:
        info = archive.infolist()[0]
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start : start + info.compress_size] = b"\xff" * info.compress_size
    return bytes(data)


def bad_inputs(tmp_path) -> dict[str, tuple[str, bytes, str]]:
    full = npy_bytes(tmp_path, np.zeros((1, 1, 4, 4), np.float32))
    np.savez(tmp_path / "a.npz", x=np.zeros((1, 1, 4, 4), np.float32))
    npz = (tmp_path / "a.npz").read_bytes()
    objects = npy_bytes(tmp_path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    return {
        "empty": ("x.npy", b"", "is not a readable .npy array"),
        "object": ("x.npy", objects, "Object arrays cannot be loaded"),
        "string": ("x.npy", npy_bytes(tmp_path, np.array(["a", "b"])), "holds <U1 values"),
        "complex": ("x.npy", npy_bytes(tmp_path, np.zeros(16, complex)), "holds complex128"),
        "truncated": ("x.npy", full[: len(full) // 2], "is not a readable .npy array"),
        "truncated_header": ("x.npy", full[:20], "is not a readable .npy array"),
        "truncated_npz": ("x.npz", npz[: len(npz) // 2], "is not a readable .npz array"),
        "damaged_npz": ("x.npz", damaged_npz(tmp_path), "is not a readable .npz array"),
    }


CASES = [
    "empty", "object", "string", "complex", "truncated", "truncated_header",
    "truncated_npz", "damaged_npz",
]  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_unreadable_input_is_one_line(tmp_path, capsys, model, case):
    name, content, message = bad_inputs(tmp_path)[case]
    (tmp_path / name).write_bytes(content)
    assert main(["predict", str(model), str(tmp_path / name)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.splitlines()) == 1 and message in captured.err


def test_a_shape_error_names_the_shape_given(tmp_path, capsys, model):
    np.save(tmp_path / "x.npy", np.zeros((5, 8, 8), np.float32))
    assert main(["predict", str(model), str(tmp_path / "x.npy")]) == 1
    err = capsys.readouterr().err
    assert "the input has shape [5, 8, 8]; the model takes [N, 1, 4, 4]" in err


@pytest.mark.parametrize("top", ["0", "-3"])
def test_top_below_one_is_misuse(tmp_path, capsys, model, top):
    np.save(tmp_path / "x.npy", np.zeros((1, 4, 4), np.float32))
    assert main(["predict", str(model), str(tmp_path / "x.npy"), "--top", top]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and f"--top: show at least 1 class, not {top}" in captured.err


def test_top_one_shows_one_class(tmp_path, capsys, model):
    np.save(tmp_path / "x.npy", np.eye(1, 16, 2, dtype=np.float32).reshape(1, 4, 4) * 9)
    assert main(["predict", str(model), str(tmp_path / "x.npy"), "--top", "1"]) == 0
    assert capsys.readouterr().out == "sample 0: class 2 100.0%\n"


def test_a_closed_pipe_is_not_an_error(tmp_path, model):
    """`netspec predict ... | head -1`: far more output than a pipe buffers, the reader
    gone after one line."""
    np.save(tmp_path / "x.npy", np.zeros((5000, 1, 4, 4), np.float32))
    command = [sys.executable, "-m", "netspec", "predict", str(model), str(tmp_path / "x.npy")]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        first = process.stdout.readline()
        process.stdout.close()
        err = process.stderr.read().decode()
        status = process.wait(timeout=60)
    assert first.startswith(b"sample 0: ")
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert status == 0


def test_a_spec_whose_model_is_too_large_for_one_protobuf(tmp_path, capsys, monkeypatch):
    """predict exports a spec in memory, as one protobuf: over 2 GiB (here a lowered
    threshold) that is refused with what to do, not left to onnxruntime's parse error."""
    import netspec
    from netspec.backends.onnx import write

    model = netspec.to_onnx("lenet5", seed=3)
    weights = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}
    np.savez(tmp_path / "w.npz", **{k: v for k, v in weights.items() if "/" not in k})
    np.save(tmp_path / "x.npy", np.zeros((1, 32, 32), np.float32))
    args = ["predict", "lenet5", str(tmp_path / "x.npy"), "--weights", str(tmp_path / "w.npz")]
    assert main(args) == 0
    capsys.readouterr()
    monkeypatch.setattr(write, "EXTERNAL_THRESHOLD", 1000)
    assert main(args) == 1
    assert "makes a model over 2 GiB: export it" in capsys.readouterr().err


@pytest.mark.parametrize("part", [0, 0.5])
def test_an_unreadable_image_is_one_line(tmp_path, capsys, model, part):
    image = pytest.importorskip("PIL.Image")
    noise = np.random.default_rng(0).integers(0, 256, (64, 64), dtype=np.uint8)
    image.fromarray(noise).save(tmp_path / "a.png")
    data = (tmp_path / "a.png").read_bytes()
    (tmp_path / "b.png").write_bytes(data[: int(len(data) * part)])
    assert main(["predict", str(model), str(tmp_path / "b.png")]) == 1
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "is not a readable image" in err
