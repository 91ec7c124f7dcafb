"""Text for next-byte prediction: the packaged corpus, text files, bytes and entropies.

The tokenizer is the identity on bytes: a text is its UTF-8 bytes, each one of 256
symbols (0..255), so nothing is downloaded or stored beside a checkpoint, and any byte
sequence decodes back (invalid UTF-8 as U+FFFD where it is shown as text). The
packaged corpus, ``--data text``, is netspec's own documentation: the files of
:data:`CORPUS` from ``docs/`` in a source checkout, or ``netspec/_data/docs/`` in a
wheel (pyproject.toml force-includes them), joined in that order with one blank line
between files. A user's file is read as bytes, whatever its encoding.

Two baselines for a next-byte model (in nats per byte; divide by ln 2 for bits):
:func:`entropy`, the plain unigram entropy of a text under its own byte frequencies,
and :func:`unigram_cross_entropy`, the held-out text under the *training* text's byte
frequencies, add-one smoothed over the 256 symbols (so a byte the training text lacks
costs log(n + 256) nats, not infinity). The second is what a model that learnt only
byte frequencies would score on the held-out part, and what ``netspec train`` prints.

Assumes numpy. Guarantees: ``decode(encode(t)) == t`` for every str, bytes in 0..255,
and a TrainingError (naming the file and what to give) for text that cannot be read.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from netspec.resources import shipped
from netspec.training.errors import TrainingError

VOCAB = 256  # byte values
PACKAGED = "text"  # --data text
# Every page of docs/, the held-out last fifth (--val-fraction 0.2) falling on prose
# (the end of tutorial.md, explain.md, torch.md, onnx.md) rather than on training.md,
# whose sample output would otherwise be judged on itself.
CORPUS = (
    "training.md",
    "pictures.md",
    "diagrams.md",
    "performance.md",
    "costs.md",
    "ops.md",
    "language.md",
    "tutorial.md",
    "explain.md",
    "torch.md",
    "onnx.md",
)
TEXT_SUFFIXES = (".txt", ".md", ".text")
SEPARATOR = b"\n\n"


def is_text(data: str | Path) -> bool:
    """Whether `data` names text: ``text`` (the packaged corpus) or a .txt / .md file."""
    return str(data) == PACKAGED or Path(data).suffix.lower() in TEXT_SUFFIXES


def encode(text: str) -> np.ndarray:
    """A text as its UTF-8 bytes, one int64 symbol (0..255) each."""
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8).astype(np.int64)


def decode(symbols: np.ndarray | list[int]) -> str:
    """Symbols 0..255 back to text (bytes that are not UTF-8 become U+FFFD)."""
    return bytes(int(s) for s in symbols).decode("utf-8", errors="replace")


def load_text(data: str | Path) -> tuple[np.ndarray, str]:
    """The bytes of `data` as int64 symbols, and a note saying what they are."""
    if str(data) == PACKAGED:
        raw, where = packaged_corpus()
        what = f"netspec's own docs ({', '.join(CORPUS)} from {where})"
    else:
        raw, what = _read_file(Path(data)), str(data)
    symbols = np.frombuffer(raw, dtype=np.uint8).astype(np.int64)
    return symbols, f"data: {what}, {len(raw):,} bytes, byte-level: {VOCAB} symbols"


def packaged_corpus() -> tuple[bytes, Path]:
    """The packaged corpus's bytes and the folder they were read from."""
    folder = shipped("docs")
    missing = [n for n in CORPUS if folder is None or not (folder / n).is_file()]
    if folder is None or missing:
        raise TrainingError(
            f"the packaged corpus is incomplete (no {missing[0]} in this install); "
            "reinstall netspec, or give --data a .txt file"
        )
    return SEPARATOR.join((folder / n).read_bytes().strip() for n in CORPUS) + b"\n", folder


def _read_file(path: Path) -> bytes:
    if not path.is_file():
        raise TrainingError(
            f"no text file {path}; give --data text (netspec's own docs) or a .txt file"
        )
    try:
        return path.read_bytes()
    except OSError as exc:
        raise TrainingError(f"cannot read {path}: {exc.strerror or exc}") from None


def entropy(symbols: np.ndarray) -> float:
    """The plain unigram entropy of `symbols` under their own frequencies, in nats."""
    counts = np.bincount(symbols, minlength=VOCAB).astype(np.float64)
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())


def unigram_cross_entropy(train: np.ndarray, held: np.ndarray) -> float:
    """Nats per byte of `held` under `train`'s byte frequencies, add-one smoothed."""
    counts = np.bincount(train, minlength=VOCAB).astype(np.float64) + 1.0
    log_p = np.log(counts / counts.sum())
    return float(-log_p[held].mean())
