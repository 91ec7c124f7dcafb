"""What the activations panel feeds a network: the image (a bundled sample or an upload)
as the input tensor, and the weights (random, the server's checkpoint, or an upload).

An upload is base64 text in the request; its decoded size is checked before it is
decoded. An image must be a PNG or a JPEG of at most MAX_PIXELS pixels, both read from
its header before any pixel is decoded; it is converted as `netspec predict` reads an
image (grey levels for one channel, else RGB, resized to the input's height and width,
scaled to [0, 1]) and, with a checkpoint that records a standardisation, standardised
as in training. Weights are read with ``torch.load(weights_only=True)``, which runs no
pickled code, or as safetensors (where that package is installed): a netspec checkpoint
(netspec/training/checkpoint.py; its architecture hash must be the network's) or a plain
state dict, loaded strictly.

Assumes torch and Pillow are importable (activations.py checks first) and runs in a
playground worker. Guarantees that no file is read but the bundled samples and the
server's own checkpoint (SERVER_WEIGHTS, which the app sets and a client cannot: the
worker drops a client's), that
nothing is written, and that every refusal is a BadRequest or a WeightsRefused saying why.
"""

from __future__ import annotations

import base64
import binascii
import io
import warnings
from importlib.resources import files
from typing import Any

import torch
from PIL import Image, UnidentifiedImageError

from netspec.analysis.fingerprint import architecture_hash
from netspec.ir import Graph
from netspec.serve.fields import BadRequest
from netspec.serve.worker import SERVER_WEIGHTS

MAX_IMAGE = 2 * 1024**2  # bytes of an uploaded image
MAX_WEIGHTS = 11 * 1024**2  # bytes of uploaded weights: as base64 (4/3), within the 16 MiB body
MAX_PIXELS = 4096 * 4096  # an image's width x height, read from its header
SAMPLES = {"digit": "digit.png", "photo": "photo.jpg"}
FORMATS = ("PNG", "JPEG")


class WeightsRefused(ValueError):
    """Weights that do not fit the network (the server's checkpoint, or an upload)."""


def image_bytes(request: dict[str, Any]) -> bytes:
    """The request's image: a sample's bytes (package data) or the decoded upload."""
    value = request.get("image", "digit")
    if isinstance(value, str) and value in SAMPLES:
        return (files("netspec.serve") / "samples" / SAMPLES[value]).read_bytes()
    if isinstance(value, dict) and set(value) == {"upload"}:
        return _decoded(value["upload"], MAX_IMAGE, "image")
    raise BadRequest('`image` is "digit", "photo" or {"upload": "<base64 PNG or JPEG>"}')


def weights_choice(request: dict[str, Any]) -> str | bytes:
    """ "random", "checkpoint" (the server's), or the uploaded weights' bytes."""
    value = request.get("weights", "random")
    if value == "random":
        return value
    if value == "checkpoint":
        if not isinstance(request.get(SERVER_WEIGHTS), str):
            raise BadRequest(
                "this server has no checkpoint: start it with `netspec serve --weights FILE`, "
                "or upload one"
            )
        return value
    if isinstance(value, dict) and set(value) == {"upload"}:
        return _decoded(value["upload"], MAX_WEIGHTS, "weights")
    raise BadRequest('`weights` is "random", "checkpoint" or {"upload": "<base64 file>"}')


def _decoded(text: object, limit: int, what: str) -> bytes:
    if not isinstance(text, str):
        raise BadRequest(f"the uploaded {what} must be base64 text")
    text = text.split(",", 1)[1] if text.startswith("data:") else text  # a data: URL
    if len(text) * 3 // 4 > limit + 3:  # before decoding: base64 is 4 characters per 3 bytes
        raise BadRequest(f"the uploaded {what} is larger than {limit:,} bytes")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest(f"the uploaded {what} is not base64") from None
    if len(data) > limit:
        raise BadRequest(f"the uploaded {what} is larger than {limit:,} bytes")
    return data


def image_tensor(data: bytes, channels: int, height: int, width: int) -> torch.Tensor:
    """The image as a [1, channels, height, width] float tensor in [0, 1]."""
    too_many = f"the image has more than the {MAX_PIXELS:,} pixels the playground takes"
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as image:
            if image.width * image.height > MAX_PIXELS:  # from the header: nothing decoded
                raise BadRequest(f"{too_many} ({image.width} x {image.height})")
            image = image.convert("L" if channels == 1 else "RGB").resize((width, height))
    except BadRequest:
        raise
    except Image.DecompressionBombError:  # Pillow's own limit, above ours: also the header
        raise BadRequest(too_many) from None
    except UnidentifiedImageError:
        raise BadRequest("the upload is not a PNG or JPEG image") from None
    except (OSError, ValueError, SyntaxError) as exc:  # a damaged or truncated file
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
        raise BadRequest(f"the upload is not a readable PNG or JPEG image ({first})") from None
    pixels = torch.frombuffer(bytearray(image.tobytes()), dtype=torch.uint8)
    pixels = pixels.reshape(height, width, channels).permute(2, 0, 1)
    return (pixels.float() / 255.0).unsqueeze(0)


def load_weights(module: torch.nn.Module, graph: Graph, choice: str | bytes, request) -> dict:
    """Put the chosen weights into `module`; returns the checkpoint's `preprocessing`
    ({} for random weights or a plain state dict)."""
    if choice == "random":
        return {}
    if choice == "checkpoint":
        saved = _server_checkpoint(request[SERVER_WEIGHTS])
    else:
        saved = _uploaded(choice)
    state = saved
    if isinstance(saved, dict) and "format" in saved:
        _check_architecture(saved, graph)
        state = saved.get("state_dict")
    if not isinstance(state, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise WeightsRefused("the weights are neither a netspec checkpoint nor a state dict")
    try:
        module.load_state_dict(state)
    except (RuntimeError, TypeError, ValueError) as exc:  # keys or sizes that differ
        first = " ".join(str(exc).split())[:300]
        raise WeightsRefused(f"the weights do not fit this network: {first}") from None
    pre = saved.get("preprocessing") if "format" in saved else None
    return pre if isinstance(pre, dict) else {}


def _server_checkpoint(path: str) -> Any:
    """The server's checkpoint, read as `netspec train` wrote it (or safetensors)."""
    from netspec.training.checkpoint import read
    from netspec.training.errors import TrainingError

    try:
        if path.endswith(".safetensors"):
            with open(path, "rb") as stream:
                return _safetensors(stream.read())
        return read(path)
    except TrainingError as exc:
        raise WeightsRefused(str(exc)) from None
    except OSError as exc:  # moved or removed since the server started
        raise WeightsRefused(f"the server's checkpoint cannot be read: {exc.strerror}") from None


def _uploaded(data: bytes) -> Any:
    if _is_safetensors(data):
        return _safetensors(data)
    try:  # weights_only: tensors and plain values only; a pickle's code never runs
        with warnings.catch_warnings():  # its protocol warnings are not the visitor's
            warnings.simplefilter("ignore")
            return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 (torch.load raises many kinds on a foreign file)
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        raise BadRequest(
            "the uploaded weights are not a checkpoint torch.load(weights_only=True) "
            f"accepts ({type(exc).__name__}: {first})"
        ) from None


def _is_safetensors(data: bytes) -> bool:
    """safetensors: an 8-byte little-endian header length, then a JSON header."""
    return len(data) > 9 and data[8:9] == b"{" and int.from_bytes(data[:8], "little") < len(data)


def _safetensors(data: bytes) -> dict[str, torch.Tensor]:
    try:
        from safetensors.torch import load
    except ImportError:
        raise BadRequest("reading .safetensors needs the safetensors package") from None
    try:
        return load(data)
    except Exception as exc:  # noqa: BLE001 (a damaged file)
        raise BadRequest(f"the weights are not readable safetensors ({exc})") from None


def _check_architecture(saved: dict, graph: Graph) -> None:
    expected = architecture_hash(graph)
    if saved.get("architecture_hash") != expected:
        raise WeightsRefused(
            f"the checkpoint was saved from network {saved.get('network')} "
            f"(spec {saved.get('spec')}), whose architecture differs from {graph.name} "
            "in the editor: its weights do not fit; open the spec it was trained from"
        )


def standardized(x: torch.Tensor, preprocessing: dict) -> torch.Tensor:
    """(x - mean) / std where the checkpoint's training standardised its samples."""
    mean, std = preprocessing.get("mean"), preprocessing.get("std")
    if isinstance(mean, (int, float)) and isinstance(std, (int, float)) and std:
        return (x - mean) / std
    return x
