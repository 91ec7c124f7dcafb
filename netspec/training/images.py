"""`--data DIR`: a folder of class sub-folders of images, read without a loading script.

The layout is torchvision's ImageFolder: ``DIR/cat/1.png``, ``DIR/dog/2.jpg``. The
classes are the sub-folders' names, sorted (label i is the i-th); a class's images are
every file below its folder (sub-folders included, symbolic links to folders not
followed; a class folder that is a link is skipped) whose name ends in .png, .jpg,
.jpeg, .bmp, .gif, .webp, .tif or .tiff (any case). Hidden files and folders (a leading
dot) are skipped, and so are other files (counted in a note). Where DIR has both
``train/`` and ``val/`` they are the split and must hold the same class folders;
otherwise split.py's seeded, stratified split holds out --val-fraction of every class.

A value of --data is a folder when it is not a built-in data set's name (``digits``,
``text``) and names a folder, or names nothing and has no file suffix (so that a
mistyped folder gets this module's message); write ``./digits`` for a folder named
like a built-in set.

The samples are decoded lazily (image_files.py): the Dataset's x_train and x_val are
ImageFiles, its y_train and y_val int64 label tensors. Standardisation is on unless
--no-standardize: one mean and one std over every element (all channels together, pads
included) of a seeded sample of at most 1000 training images -- one pair, because a
checkpoint's preprocessing and the ONNX metadata `netspec predict` reads hold one pair.

Assumes torch, numpy and (when a folder is read) Pillow. Guarantees, before training
starts, a Dataset whose every part is non-empty and whose labels fit the network's
output, or a TrainingError saying what to change: a missing folder, fewer than two
classes, an empty class, train/ and val/ that disagree, more than 10 million images, a
network that does not take [N, 1 or 3, H, W] images or give [N, K >= classes] scores,
symbolic input sizes, or a class whose first image Pillow cannot read or --fit cannot
fit. A file that fails later (during an epoch) fails the run with its name.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from netspec.ir import Graph
from netspec.training.dataset import Dataset
from netspec.training.errors import TrainingError
from netspec.training.image_files import Decoding, ImageFiles, fitted, mean_and_std, size_of
from netspec.training.image_scan import Folder, scan
from netspec.training.options import TrainConfig, parse_fit
from netspec.training.split import split
from netspec.training.tokens import takes_ids
from netspec.values import show_shape

BUILT_IN = ("digits", "text")
STATISTICS_SAMPLE = 1000  # images read to estimate the mean and std: bounded, seeded
SHOWN_CLASSES = 10


def is_image_folder(data: str | Path) -> bool:
    """Whether `data` is a folder for this module (see the module docstring)."""
    if str(data) in BUILT_IN:
        return False
    path = Path(data)
    return path.is_dir() or (not path.exists() and not path.suffix)


def prepare_images(root: str | Path, graph: Graph, config: TrainConfig) -> Dataset:
    """The image folder `root` as a Dataset for `graph`'s one input and output."""
    folder = scan(Path(root))
    decoding = _decoding(graph, config, folder)
    classes = _classes(graph, folder)
    for path in folder.firsts:  # fail now, not in epoch 3, on an unreadable class
        fitted(path, decoding)
    labels = np.asarray(folder.labels, dtype=np.int64)
    train, val, how = _split(folder, labels, config)  # index arrays into folder.paths
    x_train = ImageFiles([folder.paths[i] for i in train], decoding)
    x_val = ImageFiles([folder.paths[i] for i in val], decoding)
    split_note = f"split: {len(train)} for training, {len(val)} held out ({how})"
    notes = [*folder.notes(SHOWN_CLASSES), split_note, _decoded(decoding)]
    if classes > len(folder.classes):
        last = len(folder.classes) - 1
        notes.append(f"the network scores {classes} classes; the folder's are 0..{last}")
    standardized = None
    if config.standardize is not False:  # on by default: pixels in [0, 1] are not centred
        mean, std, read = mean_and_std(x_train, STATISTICS_SAMPLE, config.seed)
        x_train, x_val = x_train.standardize(mean, std), x_val.standardize(mean, std)
        standardized = (mean, std)
        notes.append(f"standardized with mean {mean:.4f}, std {std:.4f} of {read} training images")
    return Dataset(
        x_train,
        torch.from_numpy(labels[train]),
        x_val,
        torch.from_numpy(labels[val]),
        classes,
        tuple(notes),
        standardized,
        1.0,  # pixels are read as [0, 1], as `netspec predict` reads an image
    )


def _split(
    folder: Folder, labels: np.ndarray, config: TrainConfig
) -> tuple[np.ndarray, np.ndarray, str]:
    """The indices of both parts, and how they were chosen."""
    if folder.val_start is None:
        train, val = split(labels, len(labels), config.val_fraction, config.seed)
        return train, val, f"seed {config.seed}, stratified, --val-fraction {config.val_fraction}"
    every = np.arange(len(labels))
    return every[: folder.val_start], every[folder.val_start :], "the train/ and val/ folders"


def _decoding(graph: Graph, config: TrainConfig, folder: Folder) -> Decoding:
    """The input as images: [N, 1 or 3, H, W] with sizes given, or a TrainingError."""
    name, tensor = graph.inputs[0]
    shape = tuple(graph.shape(tensor))
    what = f"the input {name} {show_shape(shape)}"
    if takes_ids(graph) or len(shape) != 4:
        kind = "token ids" if takes_ids(graph) else f"{len(shape)} axes"
        raise TrainingError(
            f"an image folder needs a network whose input is images [N, C, H, W]; "
            f"{what} of {graph.name} takes {kind}"
        )
    channels, height, width = shape[1:]
    if not all(_given(d) for d in (channels, height, width)):
        c, h, w = size_of(folder.firsts[0])
        c = channels if _given(channels) else c
        given = f"{name}=[{shape[0]},{c},{h},{w}]"
        raise TrainingError(
            f"{what} leaves its sizes open; images are decoded to one size: give it with "
            f"--input-shape {given} (the size of {folder.firsts[0]})"
        )
    if channels not in (1, 3):
        raise TrainingError(
            f"{what} takes {channels} channels; images are decoded as grey levels (1 channel) "
            "or RGB (3): change the spec's input channels"
        )
    return Decoding((shape[0], channels, height, width), config.fit, what)


def _given(size: object) -> bool:
    """A size the spec fixes: an int, not a name nor a traced size (an int whose `expr`
    is the formula of a symbolic size, elaborated at a sample value)."""
    return isinstance(size, int) and getattr(size, "expr", None) is None


def _classes(graph: Graph, folder: Folder) -> int:
    """The network's class count: an output [N, K] with K >= the folder's classes."""
    name, tensor = graph.outputs[0]
    out, found = graph.shape(tensor), len(folder.classes)
    what = f"the output {name} {show_shape(out)}"
    if len(out) != 2 or not isinstance(out[1], int):
        raise TrainingError(
            f"an image folder's {found} classes need an output [N, classes]; {what} is not one"
        )
    if out[1] < found:
        hint = (
            f"--set classes={found}"
            if "classes" in graph.parameters
            else f"give the network {found} outputs"
        )
        raise TrainingError(
            f"{folder.root} has {found} classes ({folder.shown(SHOWN_CLASSES)}) but {what} "
            f"scores {out[1]}; {hint}"
        )
    return out[1]


def _decoded(decoding: Decoding) -> str:
    _, channels, height, width = decoding.shape
    mode, size = parse_fit(decoding.fit)
    how = {
        "resize": "resized (bilinear) where another size",
        "pad": "zero-padded (centred) where smaller",
        "none": "each must be that size already",
    }[mode]
    if size is not None:
        how = f"resized (bilinear) to {size} then zero-padded (centred)"
    kind = "grey levels" if channels == 1 else "RGB"
    return f"images: decoded as {kind} in [0, 1] to {height}x{width} ({how}; --fit {decoding.fit})"
