"""Writing output files whole or not at all.

A command that writes a file (`build`, `export`) writes a temporary file beside the
target and renames it over the target (`os.replace`, atomic on POSIX and Windows): a
failure part-way (a full disk, an interrupt) leaves no half-written file, and an
existing file stays as it was.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

Data = str | bytes | Iterable[bytes | memoryview]


def write_whole(path: str | Path, data: Data) -> None:
    """Write `data` (text as UTF-8, bytes, or byte chunks written in turn, so a large file
    need not be joined in memory first) to `path` atomically."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            if isinstance(data, str | bytes):
                f.write(data.encode("utf-8") if isinstance(data, str) else data)
            else:
                for chunk in data:
                    f.write(chunk)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp's files are 0600; give the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
