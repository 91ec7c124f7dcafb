"""Where a space goes between two tokens on one line.

Assumes tokens of :mod:`netspec.fmt.tokens` in source order. Guarantees the house
spacing: one space around binary operators, `->` and a statement's `=`; none around a
keyword argument's or parameter default's `=` (inside parentheses), none inside
brackets, before `,` `:` `.` or after `.` and a unary sign; calls and indexing glued to
what they apply to (`conv(64)`, `in.shape[2]`).
"""

from __future__ import annotations

from netspec.fmt.tokens import Tok

# Tokens that end an operand: a `+`/`-` after one is binary, anywhere else unary.
VALUE_ENDS = {"NAME", "INT", "FLOAT", "STRING", "TRUE", "FALSE", "NONE", "RPAR", "RSQB"}
_NO_SPACE_BEFORE = {"COMMA", "RPAR", "RSQB", "DOT", "COLON"}
_NO_SPACE_AFTER = {"LPAR", "LSQB", "DOT"}


def unary(prev: Tok | None, tok: Tok) -> bool:
    """Whether `tok` is a sign (`-1`, `x * -y`) rather than a binary operator."""
    return tok.kind == "ADD_OP" and (prev is None or prev.kind not in VALUE_ENDS)


def space_between(before: Tok | None, prev: Tok | None, tok: Tok, in_parens: bool) -> bool:
    """Whether a space separates `prev` from `tok`; `before` is the token before `prev`
    (to tell a sign from a binary operator), `in_parens` whether the innermost open
    bracket is a `(`."""
    if prev is None or tok.kind in _NO_SPACE_BEFORE or prev.kind in _NO_SPACE_AFTER:
        return False
    if prev.kind == "ADD_OP" and unary(before, prev):
        return False
    if tok.kind == "LPAR":
        return prev.kind != "NAME"
    if tok.kind == "LSQB":
        return prev.kind not in VALUE_ENDS
    if "EQUAL" in (tok.kind, prev.kind):
        return not in_parens
    return True
