"""The canonical formatter of .netspec files (`netspec fmt`; the language server's
formatting).

Assumes spec text. Guarantees :func:`format_text`: the text in the canonical layout
(docs/fmt.md), but for the top-level stretches between `# fmt: off` and `# fmt: on`,
kept as written; lines end with CR LF where the text's first line does; or the parser's
CompileError for text that does not parse. Pure: text in,
text out. Formatting keeps the meaning (the same tokens in the same order), every
comment on the line of the code it was on, and is idempotent.
Modules: ``tokens`` (the token stream with comments), ``tree`` (the layout tree),
``spacing`` (spaces between tokens), ``align`` (aligned columns), ``layout`` (printing),
``regions`` (`# fmt: off` / `# fmt: on` stretches, left as written).
"""

from __future__ import annotations

from netspec.fmt.layout import WIDTH, render
from netspec.fmt.regions import joined, stretches
from netspec.fmt.tokens import tokens
from netspec.fmt.tree import build
from netspec.source import Source
from netspec.syntax.parser import parse

__all__ = ["WIDTH", "format_text"]


def format_text(text: str, name: str = "<string>") -> str:
    """`text` in the canonical layout; raises CompileError (positioned) where it does not
    parse."""
    pieces = stretches(text, parse(Source(name, text)))
    newline = "\r\n" if _crlf(text) else "\n"

    def formatted(piece: str) -> str:
        return render(build(tokens(piece))).replace("\n", newline)

    if len(pieces) == 1 and pieces[0][1]:
        return formatted(text)
    return joined(pieces, formatted)


def _crlf(text: str) -> bool:
    """Whether the text's first line ends with CR LF (Windows): the output keeps them."""
    end = text.find("\n")
    return end > 0 and text[end - 1] == "\r"
