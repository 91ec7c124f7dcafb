"""ONNX external data (issue 13, defect 6): a model over protobuf's 2 GiB keeps its
weights in a side file `<model>.data`, automatically above a threshold or when asked
for. The threshold is a setting, so these tests take that path on small models: the
file must pass `onnx.checker.check_model(path)`, load with `onnx.load`, and give
onnxruntime's outputs of the inline model. Seeded weights are drawn a chunk at a time,
with the values of one draw. A real > 2 GiB export is an opt-in slow test."""

from __future__ import annotations

import os

import pytest

import netspec
from netspec.cli.main import main

np = pytest.importorskip("numpy")
onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
write = pytest.importorskip("netspec.backends.onnx.write")
emit = pytest.importorskip("netspec.backends.onnx.emit")
from onnx import numpy_helper  # noqa: E402

from netspec.api import one_network  # noqa: E402
from netspec.backends.onnx.to_onnx import build  # noqa: E402

# fc1.weight and fc2.weight are 1.44 MB (over LARGE: page-aligned), the biases 2.4 kB
TWO = "network Two {\n  input x: [N, 600]\n  fc1 = linear(600)\n  fc2 = linear(600)\n}\n"


@pytest.fixture
def two(tmp_path):
    path = tmp_path / "two.netspec"
    path.write_text(TWO)
    return path


def run(path, x: np.ndarray) -> list[np.ndarray]:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})


def arrays(model) -> dict[str, np.ndarray]:
    return {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}


def external_entries(path) -> dict[str, dict[str, str]]:
    model = onnx.load(str(path), load_external_data=False)
    return {
        t.name: {e.key: e.value for e in t.external_data}
        for t in model.graph.initializer
        if t.data_location == onnx.TensorProto.EXTERNAL
    }


@pytest.mark.parametrize("spec", ["two", "lenet5"])
def test_external_data_is_the_inline_model(tmp_path, two, spec):
    spec = two if spec == "two" else spec
    inline = netspec.export_onnx(spec, tmp_path / "inline.onnx", seed=4)
    external = netspec.export_onnx(spec, tmp_path / "m.onnx", seed=4, external_data=True)
    assert (tmp_path / "m.onnx.data").is_file() and not (tmp_path / "inline.onnx.data").exists()
    onnx.checker.check_model(str(external), full_check=True)
    ours, theirs = onnx.load(str(external)), onnx.load(str(inline))
    assert [t.name for t in ours.graph.initializer] == [t.name for t in theirs.graph.initializer]
    for name, array in arrays(theirs).items():
        np.testing.assert_array_equal(arrays(ours)[name], array, strict=True)
    shape = [1, 600] if spec == two else [1, 1, 32, 32]
    x = np.random.default_rng(0).random([3, *shape[1:]], dtype=np.float32)
    for a, b in zip(run(external, x), run(inline, x), strict=True):
        np.testing.assert_array_equal(a, b)


def test_offsets_are_aligned_and_lengths_exact(tmp_path, two):
    path = netspec.export_onnx(two, tmp_path / "m.onnx", external_data=True)
    entries = external_entries(path)
    weights = [f"fc{i}.{p}" for i in (1, 2) for p in ("weight", "bias")]
    assert list(entries) == weights
    end = 0
    for name, entry in entries.items():
        offset, length = int(entry["offset"]), int(entry["length"])
        assert entry["location"] == "m.onnx.data"
        assert length == (600 * 600 if name.endswith("weight") else 600) * 4
        assert offset >= end and offset % (write.PAGE if length > write.LARGE else 64) == 0
        end = offset + length
    assert int(entries["fc2.weight"]["offset"]) == 23 * 65536  # after 1,442,400 bytes
    assert (tmp_path / "m.onnx.data").stat().st_size == end


def test_small_initializers_stay_in_the_model(tmp_path):
    path = netspec.export_onnx("lenet5", tmp_path / "m.onnx", external_data=True)
    entries = external_entries(path)
    model = onnx.load(str(path), load_external_data=False)
    inline = [t for t in model.graph.initializer if t.name not in entries]
    assert entries and inline  # C1's 600-byte weight, the shape constants
    assert all(len(t.raw_data) < write.INLINE_BELOW for t in inline)
    assert all(int(e["length"]) >= write.INLINE_BELOW for e in entries.values())


def test_external_data_is_automatic_above_the_threshold(tmp_path, two):
    size = build(one_network(two).graph).size()
    below = netspec.export_onnx(two, tmp_path / "a.onnx", external_threshold=size)
    assert not (tmp_path / "a.onnx.data").exists()
    assert below.read_bytes() == build(one_network(two).graph).to_bytes()
    netspec.export_onnx(two, tmp_path / "b.onnx", external_threshold=size - 1)
    assert (tmp_path / "b.onnx.data").is_file()
    assert write.EXTERNAL_THRESHOLD < 2**31  # protobuf's limit, less headroom


def test_the_command_asks_for_it(tmp_path, capsys, two):
    out = tmp_path / "m.onnx"
    assert main(["export", str(two), "-o", str(out), "--external-data"]) == 0
    assert f"wrote {out} and its weights {out}.data: Two," in capsys.readouterr().err
    onnx.checker.check_model(str(out), full_check=True)
    assert main(["export", str(two), "-o", str(tmp_path / "n.onnx")]) == 0
    assert not (tmp_path / "n.onnx.data").exists()


def test_both_files_are_written_whole_or_not_at_all(tmp_path, monkeypatch, two):
    import netspec.files

    (tmp_path / "m.onnx").write_bytes(b"old model")
    (tmp_path / "m.onnx.data").write_bytes(b"old data")
    calls = []
    original = netspec.files._write

    def failing(stream, data):  # the side file is written, then the disk is full
        calls.append(stream.name)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        original(stream, data)

    monkeypatch.setattr(netspec.files, "_write", failing)
    with pytest.raises(OSError, match="No space"):
        netspec.export_onnx(two, tmp_path / "m.onnx", external_data=True)
    assert (tmp_path / "m.onnx").read_bytes() == b"old model"
    assert (tmp_path / "m.onnx.data").read_bytes() == b"old data"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx", "m.onnx.data", "two.netspec"]


@pytest.mark.parametrize("spec", ["lenet5", "two"])
def test_seeded_weights_are_drawn_in_chunks_with_the_same_values(monkeypatch, two, spec):
    graph = one_network(two if spec == "two" else spec).graph
    whole = build(graph, seed=5).to_bytes()
    monkeypatch.setattr(emit, "CHUNK", 7)  # many chunks, none aligned to a row
    assert build(graph, seed=5).to_bytes() == whole
    if spec == "two":  # and they are one float64 draw of the whole shape, as before
        rng, bound = np.random.default_rng(5), 1 / 600**0.5
        expected = rng.uniform(-bound, bound, (600, 600)).astype(np.float32)
        drawn = dict(build(graph, seed=5).initializers)["fc1.weight"]
        np.testing.assert_array_equal(drawn, expected)


def test_too_little_memory_is_said_so(tmp_path, capsys, monkeypatch):
    def no_memory(self, shape, init, fan_in):  # as numpy says it, on a small machine
        raise MemoryError("Unable to allocate 2.33 GiB for an array")

    monkeypatch.setattr(emit.Emitter, "_initial", no_memory)
    out = tmp_path / "m.onnx"
    assert main(["export", "lenet5", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "not enough memory for the model's weights: 60,840 parameters" in err
    assert "internal error" not in err and "checker" not in err
    assert not out.exists()


@pytest.mark.slow
def test_a_model_over_2_gib(tmp_path):
    """The issue's case: three linear(14000, bias=false), 2.35 GB of weights. About a
    minute and 6 GB of memory: run with NETSPEC_SLOW=1."""
    if os.environ.get("NETSPEC_SLOW") != "1":
        pytest.skip("slow (2.35 GB written): set NETSPEC_SLOW=1 to run")
    spec = tmp_path / "big.netspec"
    layers = "".join(f"  fc{i} = linear(14000, bias=false)\n" for i in range(3))
    spec.write_text(f"network Big {{\n  input x: [N, 14000]\n{layers}}}\n")
    out = tmp_path / "big.onnx"
    assert main(["export", str(spec), "-o", str(out)]) == 0
    assert out.stat().st_size < 1 << 20 and (tmp_path / "big.onnx.data").stat().st_size > 2**31
    onnx.checker.check_model(str(out), full_check=True)
    (y,) = run(out, np.ones((1, 14000), np.float32))
    assert y.shape == (1, 14000) and np.isfinite(y).all()


def test_a_graph_over_2_gib_is_refused_by_name():
    """Constants (not parameters) stay in the checked graph: past 2 GiB protobuf would
    fail with only "Failed to serialize proto". (np.zeros is not touched: no memory.)"""
    model = build(one_network("lenet5").graph)
    constants = [*model.initializers, ("big", np.zeros(2**29, np.float32))]
    big = write.OnnxModel(model.skeleton, constants, model.params)
    with pytest.raises(ValueError, match=r"takes 2,147,\d{3},\d{3} bytes, over protobuf's 2 GiB"):
        big.check()
