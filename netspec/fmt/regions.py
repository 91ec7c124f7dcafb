"""`# fmt: off` and `# fmt: on`: stretches of a spec that the formatter leaves as written.

A line that is just `# fmt: off`, between top-level declarations, starts a stretch kept
byte for byte, up to and including the next such `# fmt: on` line, or to the end of the
file. Inside a block or network body these comments are ordinary comments: a statement
is laid out with its neighbours (aligned columns, tables), so the smallest stretch left
alone is a whole declaration. The rest is formatted a stretch at a time; a blank line
at either end of a formatted stretch is kept, so that the stretches stay apart.

Assumes the text parsed, to `module`. Guarantees the cut: :func:`stretches` gives
pieces that, joined, are the text, each marked as formatted or kept.
"""

from __future__ import annotations

import re

from netspec.syntax import ast

OFF, ON = "# fmt: off", "# fmt: on"
_LINE = re.compile(r"[^\n]*\n|[^\n]+\Z")


def stretches(text: str, module: ast.Module) -> list[tuple[str, bool]]:
    """The text in pieces, each with whether it is formatted (False: kept as written)."""
    lines = _LINE.findall(text)
    inside = {n for item in module.items for n in range(item.span.line - 1, item.span.end_line)}
    pieces: list[tuple[str, bool]] = []
    current: list[str] = []
    kept = False
    for number, line in enumerate(lines):
        directive = None if number in inside else line.strip()
        if not kept and directive == OFF:
            pieces.append(("".join(current), True))
            current, kept = [line], True
        elif kept and directive == ON:
            pieces.append(("".join([*current, line]), False))
            current, kept = [], False
        else:
            current.append(line)
    pieces.append(("".join(current), not kept))
    return [(piece, formatted) for piece, formatted in pieces if piece]


def joined(pieces: list[tuple[str, bool]], format_piece) -> str:
    """The pieces again, each formatted one through `format_piece` (text -> text) with the
    blank lines at its ends kept where a kept piece is next to them."""
    out: list[str] = []
    for number, (piece, formatted) in enumerate(pieces):
        if not formatted:
            out.append(piece)
            continue
        lines = piece.split("\n")  # a piece before a kept one ends with "\n": lines[-1] == ""
        before = bool(out) and not lines[0].strip()
        after = number + 1 < len(pieces) and len(lines) > 2 and not lines[-2].strip()
        body = format_piece(piece)
        blank = "\r\n" if body.endswith("\r\n") or piece.endswith("\r\n") else "\n"
        out.append((blank if before else "") + body + (blank if after and body else ""))
    return "".join(out)
