"""netspec/files.py: files written whole or not at all, and the temporaries of killed
writers removed at the next write of the same target (issue 13, defect 10), never a live
writer's. The killed writer is planted (a temporary named with a pid that has ended),
not raced."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from netspec.files import remove_stale_temporaries, whole, write_together, write_whole

posix = pytest.mark.skipif(os.name != "posix", reason="stale temporaries are POSIX-only")


def ended_pid() -> int:
    """The pid of a process that has run and been reaped."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def plant(folder, target: str, pid: int, hex_: str = "0badcafe"):
    path = folder / f".{target}.{pid}.{hex_}.tmp"
    path.write_bytes(b"partial")
    return path


@posix
def test_the_next_write_removes_a_killed_writers_temporary(tmp_path):
    stale = plant(tmp_path, "model.pt", ended_pid())
    live = plant(tmp_path, "model.pt", os.getpid(), "1234abcd")
    parent = plant(tmp_path, "model.pt", os.getppid(), "5678abcd")  # another live process
    other = plant(tmp_path, "other.pt", ended_pid())  # another target's: not this write's
    write_whole(tmp_path / "model.pt", b"new")
    assert (tmp_path / "model.pt").read_bytes() == b"new"
    assert not stale.exists()
    assert live.exists() and parent.exists() and other.exists()


@posix
def test_only_the_targets_own_temporaries_match(tmp_path):
    dead = ended_pid()
    near = [
        plant(tmp_path, "model.pt.1", dead),  # target model.pt.1, not model.pt
        tmp_path / f".model.pt.{dead}.0badcafe.tmp.keep",
        tmp_path / ".model.pt.abc.0badcafe.tmp",  # no pid
        tmp_path / "model.pt.12.0badcafe.tmp",  # not hidden
    ]
    for path in near[1:]:
        path.write_bytes(b"x")
    assert remove_stale_temporaries(tmp_path / "model.pt") == []
    assert all(p.exists() for p in near)


@posix
def test_a_checkpoint_save_removes_them_too(tmp_path):
    pytest.importorskip("torch")
    from netspec.training import checkpoint

    stale = plant(tmp_path, "c.pt", ended_pid())
    checkpoint.save(tmp_path / "c.pt", {"epoch": 1})
    assert not stale.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.pt"]


def test_whole_leaves_the_old_file_on_failure(tmp_path):
    target = tmp_path / "c.pt"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), whole(target) as stream:
        stream.write(b"half")
        raise RuntimeError("interrupted")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["c.pt"]
    with whole(target, sync=True) as stream:
        stream.write(b"new")
    assert target.read_bytes() == b"new"


def test_files_written_together_are_renamed_only_when_all_are_written(tmp_path):
    a, b = tmp_path / "m.onnx.data", tmp_path / "m.onnx"

    def failing():
        yield b"part"
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_together([(a, b"weights"), (b, failing())])
    assert list(tmp_path.iterdir()) == []
    write_together([(a, b"weights"), (b, [b"mo", b"del"])])
    assert a.read_bytes() == b"weights" and b.read_bytes() == b"model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx", "m.onnx.data"]


def test_written_files_have_the_usual_permissions(tmp_path):
    write_whole(tmp_path / "f.txt", "text")
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "f.txt").stat().st_mode & 0o777 == 0o666 & ~mask
