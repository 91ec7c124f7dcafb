"""The token stream of a spec with its comments and line breaks kept.

Assumes text that :func:`netspec.syntax.parser.parse` accepted. Guarantees the spec's
tokens in order, lexed by the parser's own lexer (its terminals, so the formatter and
the parser never disagree on what a token is), with whitespace dropped and every
comment kept as a ``COMMENT`` token. The parser's newline terminal swallows the comment
lines that follow it; they are split back out here. Each token records how many line
breaks preceded it (``breaks``): 0 on the same line, 2 or more after a blank line.
"""

from __future__ import annotations

import re
from copy import copy
from dataclasses import dataclass

from lark.lexer import BasicLexer, LexerThread

from netspec.syntax.parser import parser

# One line break of the newline terminal, and the comment on the line it opens.
_BREAK = re.compile(r"\r?\n[\t \f\r]*(#[^\n]*)?")
# The grammar's anonymous terminal for `->`.
_RENAMED = {"->": "ARROW"}


@dataclass(eq=False)
class Tok:
    """A token: its terminal (``kind``), text and the line breaks before it."""

    kind: str
    text: str
    breaks: int


def tokens(text: str) -> list[Tok]:
    """The tokens of `text`, comments included, whitespace and newlines folded into
    each token's ``breaks``."""
    config = copy(parser().lexer_conf)
    config.ignore = ()  # keep COMMENT and WS: the formatter must see comments
    out: list[Tok] = []
    pending = 0
    for token in LexerThread.from_text(BasicLexer(config), text).lex(None):
        if token.type == "WS":
            continue
        if token.type == "_NL":
            for found in _BREAK.finditer(token.value):
                pending += 1
                if found.group(1):
                    out.append(Tok("COMMENT", found.group(1).rstrip(), pending))
                    pending = 0
            continue
        kind = _RENAMED.get(token.value, token.type)
        value = token.value.rstrip() if kind == "COMMENT" else token.value
        out.append(Tok(kind, value, pending if out else max(pending, 1)))
        pending = 0
    return out
