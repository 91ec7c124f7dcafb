"""`netspec predict MODEL.onnx INPUT`: run an exported model with onnxruntime.

The end of the train -> export -> infer story. Assumes onnxruntime and numpy (the onnx
extra); MODEL is an `.onnx` file, or a spec with `--weights FILE` (a checkpoint, .pt,
.npz or .safetensors), exported in memory as `netspec export` would write it. INPUT is
an `.npy` array, an `.npz` with an array `x` (or a single array), or an image (PNG,
JPEG, ...; needs Pillow), read as grey levels when the model takes one channel, else
RGB, scaled to [0, 1]. A model exported from a netspec checkpoint carries the
preprocessing it was trained with (metadata ``netspec.preprocess.*``, see
netspec.training.preprocess): predict applies it -- arrays times the loader's scale,
arrays and images fitted to the input by the model's --fit, then standardised -- and
says so in a note on stderr. Without it, an image is resized (bilinear) to the input's
height and width (kept at its own size where the model's are dim_params, as
`netspec export --dynamic-sizes` writes them) and arrays are used as they are. An input
whose size along an axis is outside the sizes the model accepts (metadata
``netspec.accepted_sizes``) is refused before onnxruntime runs, the sizes named. The
batch rule (preprocess.as_batch): an array of the input's rank is a batch, one of rank
one less a single sample; others are adapted by the model's --fit, or refused with both
shapes named. Guarantees the top
classes of every sample: softmax probabilities of the outputs, or, for a network whose
output is LeNet-5's RBF distances (metadata `netspec.scores` = `negated`), of their
negatives divided by `netspec.score_divisor`, as training scores them; exit status 0,
1 for input that cannot be run (one line), 2 for misuse.
"""

from __future__ import annotations

import argparse
import sys
import zipfile
import zlib
from pathlib import Path

from netspec.cli.common import fail, misuse, network_arguments

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


class PredictError(Exception):
    """Input that cannot be run: the message says why and what to do."""


DESCRIPTION = "`netspec predict MODEL.onnx INPUT`: run an exported model with onnxruntime."


def add_arguments(predict: argparse.ArgumentParser) -> None:
    predict.add_argument(
        "model", help="an .onnx file written by `netspec export`, or a spec with --weights"
    )
    predict.add_argument("input", help="an .npy / .npz array or an image file")
    predict.add_argument(
        "--weights", metavar="FILE", help="with a spec: its trained weights (as export takes)"
    )
    network_arguments(predict, "with a spec: the network, if the file has several")
    predict.add_argument(
        "--top", type=int, default=3, metavar="K", help="classes shown, at least 1 (3)"
    )
    predict.add_argument("--labels", metavar="FILE", help="class names, one per line")


def run_command(args: argparse.Namespace, overrides: dict) -> int:
    if args.top < 1:
        return misuse(f"argument --top: show at least 1 class, not {args.top}", "predict")
    try:
        import numpy as np
        import onnxruntime as ort
    except ImportError as exc:
        return fail(f"predict needs {exc.name} (pip install 'netspec[onnx]')")
    from netspec.training.preprocess import Preprocessing

    try:
        session = _session(ort, args.model, args, overrides)
        spec, props = session.get_inputs()[0], _metadata(session)
        if spec.type != "tensor(float)":  # token ids, a mask: not an image or an array
            raise PredictError(
                f"the model reads {spec.name} as {spec.type[7:-1]}, and predict feeds "
                "images and float arrays to classifiers; a text model writes with "
                "`netspec sample CHECKPOINT`"
            )
        pre = Preprocessing.from_metadata(props)
        x = _prepared(np, Path(args.input), spec.shape, pre)
        _check_sizes(props, x.shape)
        (scores,) = session.run([session.get_outputs()[0].name], {spec.name: x})[:1]
        labels = _labels(args.labels)
    except PredictError as exc:
        return fail(str(exc))
    divisor = _divisor(props) if props.get("netspec.scores") == "negated" else None
    for i, row in enumerate(_probabilities(np, scores, divisor)):
        print(f"sample {i}: " + ", ".join(_top(np, row, args.top, labels)))
    return 0


def _session(ort, model: str, args: argparse.Namespace, overrides: dict):
    if Path(model).suffix.lower() != ".onnx":
        model = _exported(model, args.weights, args.network, overrides, args.input_shapes)
    elif args.input_shapes:
        raise PredictError("--input-shape goes with a spec; an .onnx file has its own shapes")
    elif args.weights:
        raise PredictError("--weights goes with a spec; an .onnx file holds its own weights")
    elif not Path(model).is_file():
        raise PredictError(f"no model file {model}")
    try:
        return ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own kinds for a foreign file
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        raise PredictError(f"{model} is not a model onnxruntime can run ({first})") from None


def _exported(
    spec: str, weights: str | None, network: str | None, overrides: dict, shapes: dict
) -> bytes:
    """The spec's network with trained weights as an ONNX model, in memory."""
    from netspec.api import one_network
    from netspec.backends.onnx.to_onnx import model_for
    from netspec.backends.onnx.weights import WeightsError
    from netspec.backends.onnx.write import EXTERNAL_THRESHOLD
    from netspec.errors import CompileError

    if not weights:
        raise PredictError(
            f"{spec} is not an .onnx file: give a model, or a spec with --weights FILE "
            "(a spec's initial weights predict nothing)"
        )
    try:
        graph = one_network(spec, network, overrides, input_shapes=shapes, lowering=True).graph
        model = model_for(graph, weights)
    except MemoryError:
        raise PredictError(f"not enough memory for the weights of {spec}") from None
    except CompileError as exc:  # the first problem, on one line (`netspec check` shows all)
        first = exc.diagnostics[0]
        where = f"{spec}:{first.span.line}: " if first.span else ""
        raise PredictError(f"{where}{first.message} (netspec check {spec} shows all)") from None
    except (WeightsError, OSError) as exc:
        raise PredictError(str(exc)) from None
    if model.size() > EXTERNAL_THRESHOLD:  # protobuf cannot hold it in one piece
        raise PredictError(
            f"{spec} makes a model over 2 GiB: export it (netspec export, its weights in a "
            "side file) and predict on the .onnx file"
        )
    return model.to_bytes()


def _prepared(np, path: Path, shape: list, pre) -> object:
    """The model's input batch from the file: read, scaled, fitted and standardised as
    the model was trained (where it says how), with a note on stderr saying so."""
    from netspec.training.preprocess import ShapeError, as_batch

    fit = pre.fit if pre else None
    x = read_input(np, path, shape, native=fit is not None)
    scaled = pre is not None and not _is_image(path)
    if scaled:
        x = x * np.float32(pre.scale)
    try:
        x, adapted = as_batch(x, shape, fit)
    except ShapeError as exc:
        raise PredictError(str(exc)) from None
    if pre is not None:
        x = pre.standardize(x)
        print(f"netspec predict: note: {pre.describe(scaled, adapted)}", file=sys.stderr)
    return np.ascontiguousarray(x, dtype=np.float32)


def _is_image(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES


def read_input(np, path: Path, shape: list, native: bool = False) -> object:
    """The input file as a float32 array (image: scaled to [0, 1], sized to `shape`
    unless `native`, where the model's fit adapts it)."""
    if not path.is_file():
        raise PredictError(f"no input file {path}")
    suffix = path.suffix.lower()
    if suffix in (".npy", ".npz"):
        return _numbers(np, path, _array(np, path))
    if suffix in IMAGE_SUFFIXES:
        return _image(np, path, shape, native)
    raise PredictError(f"{path}: give an .npy or .npz array, or an image file")


def _array(np, path: Path):
    """The array of an .npy file, or the array `x` (or the only one) of an .npz; a file
    numpy cannot read (empty, truncated, pickled objects) is a PredictError."""
    try:
        if path.suffix.lower() == ".npy":
            return np.load(path, allow_pickle=False)
        with np.load(path, allow_pickle=False) as archive:
            names = archive.files
            if "x" not in names and len(names) != 1:
                raise PredictError(f"{path} holds {names}; name the input array x")
            return archive["x" if "x" in names else names[0]]
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise PredictError(f"{path} is not a readable {path.suffix} array ({first})") from None


def _numbers(np, path: Path, array):
    """The array as float32, refused unless it holds real numbers (strings, complex
    numbers or an .npz member that is not an array would be converted wrongly or fail)."""
    dtype = getattr(array, "dtype", None)
    if dtype is None or dtype.fields or dtype.kind not in "biuf":
        what = f"{dtype} values" if dtype is not None else "no array"
        raise PredictError(f"{path} holds {what}; give an array of real numbers")
    return array.astype(np.float32)


def _image(np, path: Path, shape: list, native: bool = False):
    try:
        from PIL import Image
    except ImportError:
        raise PredictError("reading images needs Pillow (pip install pillow)") from None
    if len(shape) != 4 or not isinstance(shape[1], int):
        raise PredictError(f"an image needs a model input [N, C, H, W], not {shape}")
    channels, height, width = shape[1:]
    # a model with dynamic sizes (H, W named) takes the image at its own size
    native = native or not (isinstance(height, int) and isinstance(width, int))
    from PIL import ImageOps

    from netspec.training.levels import WIDE, LevelsError, check_pixels, levels

    size = None if native else (width, height)
    try:
        with Image.open(path) as image:
            check_pixels(image)  # before exif_transpose decodes it
            image = ImageOps.exif_transpose(image)
            if image.mode in WIDE:  # 16-bit or float: scaled by its range, not clipped
                pixels = _resized(np, Image, levels(image, channels), size)
            else:
                image = image.convert("L" if channels == 1 else "RGB")
                image = image if size is None else image.resize(size)
                pixels = np.asarray(image, dtype=np.float32) / 255.0
    except LevelsError as exc:
        raise PredictError(f"{path} {exc}") from None
    except (OSError, ValueError) as exc:  # not an image, or a truncated one
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise PredictError(f"{path} is not a readable image ({first})") from None
    return pixels[None] if channels == 1 else pixels.transpose(2, 0, 1)


def _resized(np, image_module, values, size):
    """Levels [H, W] or [H, W, 3] resized to `size` (None: kept) as Pillow resizes an
    8-bit image (bicubic), one channel at a time as 32-bit float images."""
    if size is None:
        return values
    planes = values[:, :, None] if values.ndim == 2 else values
    resized = [
        np.asarray(image_module.fromarray(np.ascontiguousarray(planes[:, :, c])).resize(size))
        for c in range(planes.shape[2])
    ]
    out = np.clip(np.stack(resized, axis=2), 0.0, 1.0).astype(np.float32)
    return out[:, :, 0] if values.ndim == 2 else out


def _check_sizes(props: dict, shape: tuple) -> None:
    """Refuse an input whose size along an axis is outside the sizes the model accepts
    (`netspec.accepted_sizes`, written by `netspec export --dynamic-sizes`): onnxruntime
    would fail deep inside, or run and answer nonsense."""
    import json

    try:
        sizes = json.loads(props.get("netspec.accepted_sizes", "{}"))
        axes, pieces = sizes.get("axes", []), sizes.get("pieces", {})
    except (ValueError, AttributeError):
        return  # not netspec's metadata: onnxruntime checks what the model declares
    for i, axis in enumerate(axes):
        if 2 + i >= len(shape) or axis not in pieces:
            continue
        s = shape[2 + i]
        if _accepts(pieces[axis], s) is False:
            raise PredictError(
                f"the model accepts {axis} in {sizes.get(axis, 'none')}; the input has {axis} = {s}"
            )


def _accepts(pieces: list, s: int) -> bool | None:
    """Whether s is in one of the pieces [lo, hi, period, [residues]]; None for pieces
    that are not of that form (then onnxruntime is left to judge)."""
    try:
        return any(lo <= s <= hi and s % period in residues for lo, hi, period, residues in pieces)
    except (TypeError, ValueError, ZeroDivisionError):
        return None


def _labels(path: str | None) -> list[str] | None:
    if path is None:
        return None
    try:
        return [line.strip() for line in Path(path).read_text(encoding="utf-8").splitlines()]
    except OSError as exc:
        raise PredictError(f"cannot read labels {path}: {exc.strerror or exc}") from None


def _metadata(session) -> dict:
    return dict(session.get_modelmeta().custom_metadata_map)


def _divisor(props: dict) -> float:
    """RBF distances are divided by their features before the softmax, as in training;
    a model exported before that metadata existed gives 1."""
    try:
        value = float(props.get("netspec.score_divisor", 1))
    except ValueError:
        return 1.0
    return value if value > 0 else 1.0


def _probabilities(np, scores, divisor: float | None):
    """Softmax of the scores: the outputs, or -outputs / divisor for rbf distances."""
    scores = np.asarray(scores, dtype=np.float64).reshape(len(scores), -1)
    scores = -scores / divisor if divisor else scores
    scores = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(scores)
    return exp / exp.sum(axis=1, keepdims=True)


def _top(np, row, k: int, labels: list[str] | None) -> list[str]:
    order = np.argsort(-row)[:k]
    name = lambda c: labels[c] if labels and c < len(labels) else f"class {c}"  # noqa: E731
    return [f"{name(int(c))} {row[c]:.1%}" for c in order]
