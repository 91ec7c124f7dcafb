"""Writing output files whole or not at all.

A command that writes a file (`build`, `export`, `train`'s checkpoints) writes a
temporary file beside the target and renames it over the target (`os.replace`, atomic
on POSIX and Windows): a failure part-way (a full disk, an interrupt) leaves no
half-written file, and an existing file stays as it was.

A process killed outright (SIGKILL, a power cut) cannot remove its temporary. The
temporaries are named `.NAME.<pid>.<hex>.tmp`, so each write of NAME removes those of
earlier writers of NAME whose process no longer runs on this machine; a live writer's
is never touched (on POSIX; elsewhere nothing is removed, as a process cannot be asked
whether it runs without a risk of ending it).

Assumes the target's folder exists and that writers of one target share a machine.
Guarantees that a target is either as it was or wholly the new content, and that no
temporary file outlives a write that raised.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

Data = str | bytes | Iterable[bytes | memoryview]


def write_whole(path: str | Path, data: Data) -> None:
    """Write `data` (text as UTF-8, bytes, or byte chunks written in turn, so a large file
    need not be joined in memory first) to `path` atomically."""
    write_together([(path, data)])


def write_together(files: Sequence[tuple[str | Path, Data]]) -> None:
    """Write several files that belong together (a model and its weights' file): each is
    written to its temporary first, and only when all are written are they renamed over
    their targets, in the order given (put the file that refers to the others last). A
    failure of a rename itself, after the first, would leave the earlier ones done."""
    with contextlib.ExitStack() as stack:
        streams = [(stack.enter_context(_temporary(Path(p))), d) for p, d in files]
        for (stream, _), data in streams:
            _write(stream, data)
        for (stream, _), _ in streams:
            stream.close()
        for (_, commit), _ in streams:
            commit()


@contextlib.contextmanager
def whole(path: str | Path, sync: bool = False) -> Iterator[BinaryIO]:
    """A binary stream whose content replaces `path` when the block ends without an
    exception (after an fsync with `sync`); with an exception, `path` stays as it was."""
    with _temporary(Path(path)) as (stream, commit):
        yield stream
        if sync:
            stream.flush()
            os.fsync(stream.fileno())
        stream.close()
        commit()


@contextlib.contextmanager
def _temporary(path: Path) -> Iterator[tuple[BinaryIO, Callable[[], None]]]:
    """A new temporary beside `path` (opened exclusively, with the usual permissions) and
    the function that renames it over `path`; removed if the block raises."""
    remove_stale_temporaries(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    stream = open(tmp, "xb")  # noqa: SIM115 (closed below, or by the caller before commit)
    try:
        yield stream, lambda: os.replace(tmp, path)
    except BaseException:
        stream.close()
        tmp.unlink(missing_ok=True)
        raise


def _write(stream: BinaryIO, data: Data) -> None:
    if isinstance(data, str | bytes):
        stream.write(data.encode("utf-8") if isinstance(data, str) else data)
        return
    for chunk in data:
        stream.write(chunk)


def remove_stale_temporaries(path: str | Path) -> list[Path]:
    """Remove the temporaries of `path` left by writers that no longer run; returns them."""
    path = Path(path)
    if os.name != "posix" or not path.parent.is_dir():
        return []
    pattern = re.compile(rf"\.{re.escape(path.name)}\.(\d+)\.[0-9a-f]+\.tmp")
    removed = []
    for entry in os.scandir(path.parent):
        match = pattern.fullmatch(entry.name)
        if match and not _running(int(match.group(1))):
            with contextlib.suppress(OSError):  # another writer removed it first
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


def _running(pid: int) -> bool:
    """Whether process `pid` runs (signal 0 asks without signalling); one that exists
    but belongs to another user runs too."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True
