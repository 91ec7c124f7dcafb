"""Datasets: loading, scaling, labels and the held-out split.

Two sources:

- ``digits``: scikit-learn's bundled handwritten digits (1797 samples, 8x8 pixels,
  grey levels 0..16, classes 0..9; no download). Pixels are divided by 16, so they
  lie in [0, 1] with 0 the background. scikit-learn is the optional extra
  ``netspec[digits]``.
- a ``.npz`` file with arrays ``x`` (samples first) and ``y``, used as stored. Integer
  ``y`` are class labels, one per sample, which must lie in 0..K-1 for a network whose
  output is [N, K]; floating-point ``y`` are regression targets, one per output
  element, for ``--loss mse`` only.

Text (``text`` or a .txt / .md file) is next-byte prediction: text.py prepares it. A
folder of class sub-folders of images (``./photos``) is images.py's, decoded lazily.
Integer ``x`` for a network whose input is int64 are token ids, used as stored
(ids.py: never fitted or standardised; checked against the input's shape and the
embeddings' vocabularies); for any other network ``x`` becomes float32.

Then, in this order: `fit.fit_samples` adapts the samples to the input shape (padding
adds zeros, the digits' background); the split; and, where `standardize` is on (the
default for digits, off for .npz files), one affine map x -> (x - mean) / std with the
mean and standard deviation of every element of the *training* part (pads included),
applied to both parts. The padded background then stays uniform, below the mean, as in
LeCun et al. 1998 (background -0.1, foreground 1.175: mean about 0, variance about 1).

The split (split.py) is seeded and, for class labels, stratified: each class gives
round(fraction x its count) samples to the held-out part, chosen by a permutation from
numpy's default_rng(seed). The same seed gives the same split on every machine.

Assumes torch and numpy are installed (``netspec.training`` checks first). Guarantees a
Dataset whose samples fit the graph's one input and whose targets fit its one output,
or a TrainingError naming the data, the input or output, and what to change.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch

from netspec.ir import Graph
from netspec.training.corpus import is_text
from netspec.training.dataset import Dataset
from netspec.training.errors import TrainingError
from netspec.training.fit import fit_samples
from netspec.training.ids import token_ids
from netspec.training.images import is_image_folder, prepare_images
from netspec.training.options import TrainConfig
from netspec.training.split import split
from netspec.training.tokens import takes_ids
from netspec.values import Shape, show_shape

DIGITS_HINT = "install it with: pip install 'netspec[digits]'"
DIGITS_SCALE = 1 / 16  # grey levels 0..16 to [0, 1]


def prepare(data: str | Path, graph: Graph, config: TrainConfig) -> Dataset:
    """Load `data`, fit it to the graph's single input and output, and split it."""
    if len(graph.inputs) != 1 or len(graph.outputs) != 1:
        raise TrainingError(
            f"training takes a network with one input and one output; {graph.name} has "
            f"{len(graph.inputs)} inputs and {len(graph.outputs)} outputs"
        )
    if is_image_folder(data):
        return prepare_images(data, graph, config)
    if is_text(data):
        from netspec.training.text import prepare_text

        return prepare_text(data, graph, config)
    x, y, notes = load_arrays(data)
    (in_name, in_id), (out_name, out_id) = graph.inputs[0], graph.outputs[0]
    in_shape, out_shape = graph.shape(in_id), graph.shape(out_id)
    what = f"the input {in_name} {show_shape(in_shape)}"
    if takes_ids(graph):
        inputs = token_ids(x, graph, config, what)
    else:
        inputs, fitted = fit_samples(torch.from_numpy(_real(x)), in_shape, config.fit, what)
        notes += fitted
    out_what = f"the output {out_name} {show_shape(out_shape)}"
    targets, classes = _targets(y, out_shape, config.loss, out_what, graph.parameters)
    train, val = split(y if classes else None, len(y), config.val_fraction, config.seed)
    notes.append(f"split: {len(train)} for training, {len(val)} held out (seed {config.seed})")
    scale = None
    standardize = config.standardize if config.standardize is not None else str(data) == "digits"
    if standardize and not takes_ids(graph):
        inputs, scale = _standardize(inputs, train)
        notes.append(
            f"standardized with the training part's mean {scale[0]:.4f}, std {scale[1]:.4f}"
        )
    factor = DIGITS_SCALE if str(data) == "digits" else 1.0
    return Dataset(
        inputs[train],
        targets[train],
        inputs[val],
        targets[val],
        classes,
        tuple(notes),
        scale,
        factor,
    )


def preprocessing(fit: str, data: Dataset) -> dict[str, object]:
    """What `netspec predict` must do to raw samples (as the data held them) before the
    network sees them: x * scale, fitted by `fit`, then (x - mean) / std where set."""
    mean, std = data.standardized or (None, None)
    return {"scale": data.scale, "fit": fit, "mean": mean, "std": std}


def _standardize(x: torch.Tensor, train: np.ndarray) -> tuple[torch.Tensor, tuple[float, float]]:
    part = x[torch.from_numpy(train)]
    mean, std = float(part.mean()), float(part.std())
    if not std > 0:
        raise TrainingError("the training inputs are constant: nothing to standardize or learn")
    return (x - mean) / std, (mean, std)


def load_arrays(data: str | Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """x as float32 (scaled as the module doc says), y as stored, and a note."""
    if str(data) == "digits":
        return _digits()
    x, y = _npz(Path(data))
    note = f"data: {data}, {len(x)} samples of shape {show_shape(x.shape[1:])}, used as stored"
    return x, y, [note]


def _digits() -> tuple[np.ndarray, np.ndarray, list[str]]:
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise TrainingError(
            f"--data digits needs scikit-learn, which is not installed; {DIGITS_HINT}"
        ) from None
    bunch = load_digits()
    x = (bunch.images * DIGITS_SCALE).astype(np.float32)
    note = "data: digits (scikit-learn), 1797 samples of 8x8, grey levels 0..16 scaled to [0, 1]"
    return x, bunch.target.astype(np.int64), [note]


def _npz(path: Path) -> tuple[np.ndarray, np.ndarray]:
    usage = "save one with numpy.savez(path, x=samples, y=labels)"
    if not path.is_file():
        raise TrainingError(f"no data file {path}; give --data digits or a .npz file ({usage})")
    if not zipfile.is_zipfile(path):
        with open(path, "rb") as stream:
            single = stream.read(6) == b"\x93NUMPY"
        what = "it holds a single array (.npy)" if single else "not a zip of .npy arrays"
        raise TrainingError(f"{path} is not a .npz archive ({what}); {usage}")
    try:
        loaded = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise TrainingError(f"{path} is not a .npz archive ({exc}); {usage}") from None
    with loaded:
        missing = [k for k in ("x", "y") if k not in loaded.files]
        if missing:
            found = ", ".join(loaded.files) or "none"
            raise TrainingError(f"{path} has no array {missing[0]} (arrays: {found}); {usage}")
        try:
            x, y = loaded["x"], loaded["y"]
        except (ValueError, OSError, zipfile.BadZipFile) as exc:
            raise TrainingError(f"cannot read the arrays of {path}: {exc}") from None
    return _checked_x(x, path), _checked_y(y, len(x), path)


def _checked_x(x: np.ndarray, path: Path) -> np.ndarray:
    if not (np.issubdtype(x.dtype, np.number) or x.dtype == bool) or np.iscomplexobj(x):
        raise TrainingError(f"{path}: x must hold real numbers, not {x.dtype}")
    if x.ndim == 0 or len(x) == 0:
        raise TrainingError(f"{path}: x holds no samples (shape {list(x.shape)})")
    if np.issubdtype(x.dtype, np.integer) or x.dtype == bool:
        return np.ascontiguousarray(x)  # token ids stay integers; _real converts others
    x = np.ascontiguousarray(x, dtype=np.float32)
    if not np.isfinite(x).all():
        raise TrainingError(f"{path}: x holds NaN or infinite values")
    return x


def _real(x: np.ndarray) -> np.ndarray:
    """Samples for a network of real-valued inputs: float32."""
    return np.ascontiguousarray(x, dtype=np.float32)


def _checked_y(y: np.ndarray, samples: int, path: Path) -> np.ndarray:
    if y.ndim == 0 or len(y) != samples:
        raise TrainingError(
            f"{path}: y has shape {list(y.shape)} but x has {samples} samples; "
            "give one label (or target row) per sample"
        )
    return y


def _targets(
    y: np.ndarray, out: Shape, loss: str, what: str, parameters: Mapping[str, object]
) -> tuple[torch.Tensor, int | None]:
    """Class labels as int64 with the class count, or float32 regression targets."""
    if np.issubdtype(y.dtype, np.integer) or y.dtype == bool:
        return _labels(y.astype(np.int64), out, what, parameters)
    if not np.issubdtype(y.dtype, np.floating):
        raise TrainingError(f"y must hold integer class labels or float targets, not {y.dtype}")
    if loss != "mse":
        raise TrainingError(
            f"y holds floating-point values, but --loss {loss} needs integer class labels: "
            "store y as integers (y.astype(int)), or use --loss mse for real-valued targets"
        )
    want, have = tuple(out[1:]), tuple(y.shape[1:])
    if have == () and want == (1,):
        y, have = y[:, None], (1,)
    if len(have) != len(want) or any(
        isinstance(w, int) and w != h for w, h in zip(want, have, strict=True)
    ):
        raise TrainingError(
            f"targets of shape {show_shape(have)} per sample do not match {what}; "
            "give y as [samples, *output dims without N]"
        )
    if not np.isfinite(y).all():
        raise TrainingError("y holds NaN or infinite values")
    return torch.from_numpy(np.ascontiguousarray(y, dtype=np.float32)), None


def _labels(
    y: np.ndarray, out: Shape, what: str, parameters: Mapping[str, object]
) -> tuple[torch.Tensor, int]:
    if y.ndim != 1:
        raise TrainingError(
            f"class labels must be one integer per sample (y of shape [samples]), "
            f"got y of shape {list(y.shape)}"
        )
    if len(out) != 2 or not isinstance(out[1], int):
        raise TrainingError(f"class labels need an output [N, classes]; {what} is not one")
    classes, low, high = out[1], int(y.min()), int(y.max())
    if low < 0:  # no number of classes makes a negative label an index: relabel
        raise TrainingError(
            f"labels range from {low} to {high}, but class labels are indices "
            f"0..{classes - 1} and cannot be negative; relabel the data to start at 0 "
            f"(for example, add {-low} to every label)"
        )
    if high >= classes:
        hint = (
            f"--set classes={high + 1}"
            if "classes" in parameters
            else f"relabel the data to 0..{classes - 1} or give the network {high + 1} outputs"
        )
        raise TrainingError(
            f"labels range from {low} to {high}, but {what} has {classes} classes "
            f"(labels 0..{classes - 1}); {hint}"
        )
    return torch.from_numpy(y), classes
