"""`netspec fmt [--check] [--diff] FILES...`: rewrite specs in the canonical layout.

Assumes paths (files, or folders: their *.netspec files, recursively); zoo names are
not files here. Guarantees, like black and ruff format: by default each file that is not
formatted is rewritten in place (whole: written to a temporary file beside it, then
renamed over it); with `--check` the unformatted files are listed and nothing is
written; with `--diff` a unified diff is printed and nothing is written. A file that
does not parse gets its positioned diagnostic and is left untouched. Exit status 0 when
all is well (with `--check`: every file already formatted), 1 when a file does not
parse or cannot be read or written (with `--check`: or is not formatted), 2 for misuse.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
import tempfile
from pathlib import Path

from netspec.cli.common import misuse, print_errors
from netspec.errors import CompileError
from netspec.fmt import WIDTH, format_text

DESCRIPTION = (
    "Rewrite .netspec files in the canonical layout (docs/fmt.md): 4-space indentation, "
    f"house spacing, aligned `=` and `->` columns, lists wrapped at {WIDTH} columns, "
    "comments kept. In place unless --check or --diff."
)


def add_arguments(fmt: argparse.ArgumentParser) -> None:
    fmt.add_argument("files", nargs="+", metavar="FILE", help="a .netspec file or a folder")
    fmt.add_argument(
        "--check", action="store_true", help="list the files not formatted (exit 1); write nothing"
    )
    fmt.add_argument("--diff", action="store_true", help="print a unified diff; write nothing")


def run_command(args: argparse.Namespace, overrides: dict) -> int:
    try:
        paths = _spec_files(args.files)
    except FileNotFoundError as exc:
        return misuse(f"no such file or folder: {exc.args[0]}", "fmt")
    status, changed, failed = 0, 0, 0
    for path in paths:
        result = _format_file(path, write=not (args.check or args.diff), diff=args.diff)
        if result is None:
            status, failed = 1, failed + 1
        elif result:
            changed += 1
            if args.check:
                print(f"would reformat {path}")
                status = 1
    verb = "would be reformatted" if args.check or args.diff else "reformatted"
    unchanged = len(paths) - changed - failed
    plural = "s" if changed != 1 else ""
    print(f"{changed} file{plural} {verb}, {unchanged} unchanged", file=sys.stderr)
    return status


def _spec_files(names: list[str]) -> list[Path]:
    """The files named, and the *.netspec files under the folders named, sorted."""
    out: list[Path] = []
    for name in names:
        path = Path(name)
        if path.is_dir():
            out.extend(sorted(path.rglob("*.netspec")))
        elif path.is_file():
            out.append(path)
        else:
            raise FileNotFoundError(name)
    return out


def _format_file(path: Path, write: bool, diff: bool) -> bool | None:
    """Whether the file changes (rewritten if `write`); None on an error, reported."""
    try:
        text = path.read_bytes().decode("utf-8")  # CR LF kept: the output keeps them
    except (OSError, UnicodeDecodeError) as exc:
        print(f"netspec fmt: error: cannot read {path}: {exc}", file=sys.stderr)
        return None
    try:
        formatted = format_text(text, str(path))
    except CompileError as exc:
        print_errors(exc, "text", str(path))
        return None
    if formatted == text:
        return False
    if diff:
        lines = difflib.unified_diff(
            text.splitlines(keepends=True), formatted.splitlines(keepends=True),
            f"{path}", f"{path} (formatted)",
        )  # fmt: skip
        sys.stdout.writelines(lines)
    if write:
        return _replace(path, formatted)
    return True


def _replace(path: Path, text: str) -> bool | None:
    """Write `text` over `path` atomically: a reader never sees half a file."""
    try:
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        os.chmod(temp, path.stat().st_mode & 0o7777)
        os.replace(temp, path)
    except OSError as exc:
        print(f"netspec fmt: error: cannot write {path}: {exc}", file=sys.stderr)
        return None
    return True
