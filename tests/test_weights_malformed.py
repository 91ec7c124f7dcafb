"""Malformed `.safetensors` files given to `--weights` (issue 13, defect 7): each is a
one-line WeightsError that says what is wrong, never an internal error, and never read
as something it is not (an empty header, data from past the end of the file)."""

from __future__ import annotations

import json
import struct

import pytest

np = pytest.importorskip("numpy")

from netspec.api import one_network  # noqa: E402
from netspec.backends.onnx.weights import WeightsError, read_weights  # noqa: E402
from netspec.cli.main import main  # noqa: E402

LENET = one_network("lenet5").graph


def crafted(header: object, body: bytes = b"", length: int | None = None) -> bytes:
    """A .safetensors file with the given JSON header, body and declared header length."""
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text) if length is None else length) + text + body


def entry(dtype="F32", shape=(2,), offsets=(0, 8)) -> dict:
    return {"dtype": dtype, "shape": list(shape), "data_offsets": list(offsets)}


CASES = {
    "list_header": (crafted([1, 2]), "its header is a JSON list, not an object"),
    "string_header": (crafted("w"), "its header is a JSON str"),
    "huge_length": (crafted({}, length=2**62), "header length is 4611686018427387904 bytes"),
    "length_past_end": (crafted({}, length=100), "header length is 100 bytes; the file has 2"),
    "short_file": (b"\x01\x00", "header length"),
    "offsets_past_end": (crafted({"w": entry()}, b"\0" * 4), r"data_offsets \[0, 8\] past"),
    "empty_past_end": (crafted({"w": entry(shape=[0], offsets=[100, 100])}), "past the end"),
    "offsets_reversed": (crafted({"w": entry(offsets=[8, 0])}, b"\0" * 8), "malformed header"),
    "negative_offset": (crafted({"w": entry(offsets=[-8, 0])}, b"\0" * 8), "malformed header"),
    "size_mismatch": (
        crafted({"w": entry(shape=[3])}, b"\0" * 8),
        "holds 8 bytes; F32 .3. needs 12",
    ),
    "list_dtype": (crafted({"w": entry(dtype=["F32"])}, b"\0" * 8), "malformed header"),
    "float_shape": (crafted({"w": entry(shape=[2.0])}, b"\0" * 8), "malformed header"),
    "entry_a_list": (crafted({"w": [1]}), "malformed header"),
    "metadata_a_list": (crafted({"__metadata__": [1]}), "__metadata__ is not a JSON object"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_malformed_safetensors_is_a_weights_error(tmp_path, case):
    content, message = CASES[case]
    path = tmp_path / "w.safetensors"
    path.write_bytes(content)
    with pytest.raises(WeightsError, match=message):
        read_weights(path, LENET)


@pytest.mark.parametrize("case", ["list_header", "huge_length", "offsets_past_end"])
def test_export_says_what_is_wrong(tmp_path, capsys, case):
    pytest.importorskip("onnx")
    content, message = CASES[case]
    (tmp_path / "w.safetensors").write_bytes(content)
    out = tmp_path / "m.onnx"
    assert (
        main(["export", "lenet5", "-o", str(out), "--weights", str(tmp_path / "w.safetensors")])
        == 1
    )
    err = capsys.readouterr().err
    assert "internal error" not in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_a_well_formed_file_still_reads(tmp_path):
    w = np.arange(2, dtype="<f4")
    path = tmp_path / "w.safetensors"
    path.write_bytes(crafted({"w": entry(), "e": entry(shape=[0], offsets=[8, 8])}, w.tobytes()))
    weights = read_weights(path, LENET)
    assert weights["w"].tolist() == [0.0, 1.0] and weights["e"].shape == (0,)
