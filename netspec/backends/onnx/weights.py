"""Trained weights for an ONNX export, read from the files users have.

- a netspec checkpoint (`netspec train`'s `.pt`): its architecture hash is checked
  first, so another network's weights are refused with a message, not a shape error;
- a plain PyTorch `state_dict` saved with `torch.save` (`.pt`, `.pth`);
- an `.npz` of arrays named by the state_dict keys (`C1.conv.weight`, ...);
- a `.safetensors` file, read here without the safetensors package: an 8-byte
  little-endian header length, a JSON header (name -> dtype, shape, byte offsets), then
  the raw little-endian data. A `netspec_architecture_hash` in its `__metadata__` is
  checked like a checkpoint's.

A checkpoint's `preprocessing` (the loader's scale, `--fit`, the standardisation's mean
and std) becomes ONNX metadata (:func:`read_weights_and_metadata`, keys
``netspec.preprocess.*``), which `netspec predict` applies; the other formats carry none.

`.npz` and `.safetensors` need only numpy; `.pt` files need torch. Every problem is a
:class:`WeightsError` with one line that says what to do. The keys are not checked here:
the exporter knows which weights the network needs and names any that are missing.
"""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path

import numpy as np

from netspec.analysis.fingerprint import architecture_hash
from netspec.ir import Graph

SHOWN = 12  # hex digits of a hash shown in messages
_SAFETENSORS_DTYPES = {
    "F64": "<f8",
    "F32": "<f4",
    "F16": "<f2",
    "I64": "<i8",
    "I32": "<i4",
    "I16": "<i2",
    "I8": "i1",
    "U8": "u1",
    "BOOL": "?",
}


class WeightsError(Exception):
    """A weights file that cannot be used: the message says why and what to do."""


PREPROCESS = "netspec.preprocess."  # + scale, fit, mean, std


def read_weights(path: str | Path, graph: Graph) -> dict[str, np.ndarray]:
    """The arrays of `path` by state_dict key, for the network `graph`."""
    return read_weights_and_metadata(path, graph)[0]


def read_weights_and_metadata(
    path: str | Path, graph: Graph
) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """The arrays of `path` by state_dict key, and the ONNX metadata it carries: a
    checkpoint's preprocessing as ``netspec.preprocess.*`` strings (else none)."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"no weights file {path}")
    suffix = path.suffix.lower()
    if suffix == ".npz":
        return _npz(path), {}
    if suffix == ".safetensors":
        return _safetensors(path, graph), {}
    if suffix in (".pt", ".pth", ".ckpt"):
        return _torch_file(path, graph)
    raise WeightsError(
        f"{path}: unknown weights format '{suffix}'; give a netspec checkpoint or a "
        "state_dict (.pt), an .npz or a .safetensors file"
    )


def _npz(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise WeightsError(f"{path} is not a readable .npz archive ({exc})") from None


def _safetensors(path: Path, graph: Graph) -> dict[str, np.ndarray]:
    data = path.read_bytes()
    header, body = _safetensors_header(path, data)
    meta = header.pop("__metadata__", None) or {}
    if not isinstance(meta, dict):
        raise WeightsError(f"{path}: __metadata__ is not a JSON object of strings")
    _check_hash(meta.get("netspec_architecture_hash"), path, graph, meta.get("network"))
    return {name: _tensor(path, name, info, body) for name, info in header.items()}


def _safetensors_header(path: Path, data: bytes) -> tuple[dict, memoryview]:
    """The JSON header (a name -> entry object) and the data after it. The length is
    checked against the file: a huge one would otherwise read the whole file as the
    header and leave an empty body."""
    length = int.from_bytes(data[:8], "little")
    if len(data) < 8 or length > len(data) - 8:
        size = max(len(data) - 8, 0)
        raise WeightsError(
            f"{path} is not a .safetensors file (its header length is {length} bytes; "
            f"the file has {size} after it)"
        )
    try:
        header = json.loads(data[8 : 8 + length])
    except (ValueError, UnicodeDecodeError):
        raise WeightsError(f"{path} is not a .safetensors file (bad header)") from None
    if not isinstance(header, dict):
        kind = type(header).__name__
        raise WeightsError(
            f"{path} is not a .safetensors file (its header is a JSON {kind}, not an object "
            "of tensors)"
        )
    return header, memoryview(data)[8 + length :]


def _tensor(path: Path, name: str, info: object, body: memoryview) -> np.ndarray:
    dtype, shape, start, end = _entry(path, name, info)
    if dtype != "BF16" and dtype not in _SAFETENSORS_DTYPES:
        raise WeightsError(f"{path}: tensor '{name}' has dtype {dtype}, which netspec cannot read")
    if end > len(body):
        raise WeightsError(
            f"{path}: tensor '{name}' has data_offsets [{start}, {end}] past the end of the "
            f"data ({len(body)} bytes): the file is truncated or its header is wrong"
        )
    itemsize = 2 if dtype == "BF16" else np.dtype(_SAFETENSORS_DTYPES[dtype]).itemsize
    if end - start != itemsize * math.prod(shape):
        raise WeightsError(
            f"{path}: tensor '{name}' holds {end - start} bytes; {dtype} {shape} "
            f"needs {itemsize * math.prod(shape)}"
        )
    raw = body[start:end]
    if dtype == "BF16":  # bfloat16: the high half of a float32
        bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
        return bits.view(np.float32).reshape(shape)
    return np.frombuffer(raw, dtype=_SAFETENSORS_DTYPES[dtype]).reshape(shape)


def _entry(path: Path, name: str, info: object) -> tuple[str, list[int], int, int]:
    """A header entry's dtype, shape and data offsets, each of the type the format
    defines (counts and offsets non-negative integers, start <= end)."""
    try:
        dtype, shape, (start, end) = info["dtype"], info["shape"], info["data_offsets"]
    except (KeyError, TypeError, ValueError):
        dtype = shape = start = end = None
    counts = [start, end, *shape] if isinstance(shape, list) else [None]
    if not isinstance(dtype, str) or not all(_count(c) for c in counts) or start > end:
        raise WeightsError(
            f"{path}: tensor '{name}' has a malformed header entry (it needs a dtype, a "
            "shape of counts and data_offsets [start, end])"
        )
    return dtype, shape, start, end


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _torch_file(path: Path, graph: Graph) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    try:
        import torch
    except ImportError:
        raise WeightsError(
            f"{path} is a PyTorch file, which needs torch (pip install 'netspec[torch]'); "
            "or save the weights as .npz or .safetensors"
        ) from None
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch.load raises many kinds on a damaged or foreign file
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        raise WeightsError(f"{path} cannot be loaded by torch.load ({first})") from None
    metadata: dict[str, str] = {}
    if isinstance(saved, dict) and "state_dict" in saved and "architecture_hash" in saved:
        _check_hash(saved["architecture_hash"], path, graph, saved.get("network"))
        metadata = _preprocessing(saved.get("preprocessing"))
        saved = saved["state_dict"]
    if not isinstance(saved, dict) or not all(torch.is_tensor(v) for v in saved.values()):
        raise WeightsError(f"{path} holds neither a netspec checkpoint nor a state_dict")
    return {name: value.detach().cpu().numpy() for name, value in saved.items()}, metadata


def _preprocessing(saved: object) -> dict[str, str]:
    """A checkpoint's preprocessing as metadata strings: numbers in repr (exact round
    trip), None left out; a checkpoint older than the key gives none."""
    if not isinstance(saved, dict):
        return {}
    return {
        PREPROCESS + key: repr(saved[key]) if key != "fit" else str(saved[key])
        for key in ("scale", "fit", "mean", "std")
        if saved.get(key) is not None
    }


def _check_hash(saved: object, path: Path, graph: Graph, network: object) -> None:
    expected = architecture_hash(graph)
    if saved is None or saved == expected:
        return
    raise WeightsError(
        f"{path} holds weights of network {network} (architecture {str(saved)[:SHOWN]}), "
        f"not of {graph.name} (architecture {expected[:SHOWN]}); give the spec and --set "
        "values the weights were trained with"
    )
