"""Finding the images of an image folder: its classes, files and train/val layout.

The rules are images.py's module docstring's: class folders sorted by name, the image
files below each (by suffix, any case) sorted by path, hidden entries and symbolic
links to folders skipped (class folders included), ``train/`` with ``val/`` as the
split. Nothing is decoded here; only names are read.

Assumes nothing but the file system (no torch, numpy or Pillow). Guarantees a Folder
with at least two classes, at least one image per class (in each part, for train/ and
val/), at most MAX_IMAGES images, the training part's files first; or a TrainingError
naming the folder and what to change.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from netspec.training.errors import TrainingError

SUFFIXES = frozenset((".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"))
MAX_IMAGES = 10_000_000  # a list of paths beyond this is gigabytes: refuse, say why
LAYOUT = "a folder of class sub-folders of images (DIR/cat/1.png, DIR/dog/2.jpg)"


@dataclass
class Folder:
    """The images of a folder: paths with labels, the training part's first."""

    root: Path
    classes: list[str]
    paths: list[str] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    firsts: list[str] = field(default_factory=list)  # each class's first file, per part
    skipped: int = 0  # files that are not images by their suffix
    val_start: int | None = None  # where val/'s files begin, if it has one

    def shown(self, limit: int) -> str:
        """The class names, the first `limit` of them."""
        more = f", ... ({len(self.classes) - limit} more)" if len(self.classes) > limit else ""
        return ", ".join(self.classes[:limit]) + more

    def notes(self, limit: int) -> list[str]:
        skipped = f"; {self.skipped} other files skipped" if self.skipped else ""
        labels = ", ".join(f"{i} {c}" for i, c in enumerate(self.classes[:limit]))
        more = ", ..." if len(self.classes) > limit else ""
        return [
            f"data: {self.root}, an image folder of {len(self.paths)} images in "
            f"{len(self.classes)} classes{skipped}",
            f"labels: {labels}{more}",
        ]


def scan(root: Path) -> Folder:
    """The classes and image files of `root` (the module docstring's guarantees)."""
    if not root.exists():
        raise TrainingError(
            f"no folder {root}; --data takes digits, text, a .npz file, a .txt or .md file, "
            f"or {LAYOUT}"
        )
    if not root.is_dir():
        raise TrainingError(f"{root} is not a folder; --data DIR takes {LAYOUT}")
    parts = _parts(root)
    classes = _class_names(parts[0])
    folder = Folder(root, classes)
    for index, part in enumerate(parts):
        if index == 1:
            _same_classes(parts[0], part, classes)
            folder.val_start = len(folder.paths)
        for label, name in enumerate(classes):
            _add(folder, part / name, label)
    return folder


def _parts(root: Path) -> list[Path]:
    """[root], or [root/train, root/val] where both are there."""
    train, val = root / "train", root / "val"
    if train.is_dir() and val.is_dir():
        return [train, val]
    if train.is_dir() or val.is_dir():
        have, missing = ("train", "val") if train.is_dir() else ("val", "train")
        raise TrainingError(
            f"{root} has {have}/ but no {missing}/: give both, each with the same class "
            f"folders (the split), or no {have}/ ({LAYOUT}, split by --val-fraction)"
        )
    return [root]


def _class_names(folder: Path) -> list[str]:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        raise TrainingError(f"cannot read {folder}: {exc.strerror or exc}") from None
    # a linked class folder is skipped: its images would be counted again under a
    # second label where it links to another class
    names = [
        e.name for e in entries if e.is_dir(follow_symlinks=False) and not e.name.startswith(".")
    ]
    if len(names) >= 2:
        return names
    loose = sum(1 for e in entries if e.is_file() and _is_image(e.name))
    here = f" and {loose} images directly" if loose else ""
    found = f"only {names[0]}/" if names else "no class folders"
    raise TrainingError(
        f"{folder} has {found}{here}; classification needs at least 2 classes, each "
        f"a sub-folder of its images: {LAYOUT}"
    )


def _same_classes(train: Path, val: Path, classes: list[str]) -> None:
    theirs = _class_names(val)
    if theirs != classes:
        missing = sorted(set(classes) - set(theirs))
        extra = sorted(set(theirs) - set(classes))
        diff = "; ".join(
            f"{what}: {', '.join(names)}"
            for what, names in (("missing in val/", missing), ("only in val/", extra))
            if names
        )
        raise TrainingError(
            f"{val} and {train} must hold the same class folders ({diff}); "
            "give them the same sub-folders"
        )


def _add(folder: Folder, where: Path, label: int) -> None:
    """Append the images below `where` with `label`; refuse an empty class."""
    found = 0

    def unreadable(exc: OSError) -> None:
        raise TrainingError(f"cannot read {exc.filename}: {exc.strerror or exc}")

    for path, subfolders, files in os.walk(where, onerror=unreadable):
        subfolders[:] = sorted(s for s in subfolders if not s.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            if not _is_image(name):
                folder.skipped += 1
                continue
            folder.paths.append(os.path.join(path, name))
            folder.labels.append(label)
            found += 1
        if len(folder.paths) > MAX_IMAGES:
            raise TrainingError(
                f"{folder.root} holds more than {MAX_IMAGES:,} images; netspec train lists "
                "every path in memory: train on a subset (a folder of links) or write a loader"
            )
    if not found:
        raise TrainingError(
            f"{where} holds no images (.png, .jpg, .jpeg, .bmp, .gif, .webp, .tif, .tiff); "
            "add some, or remove the folder if it is not a class"
        )
    folder.firsts.append(folder.paths[-found])


def _is_image(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in SUFFIXES
