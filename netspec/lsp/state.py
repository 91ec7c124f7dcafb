"""One document analysed: what every request of the language server reads.

A :class:`Snapshot` is made from a document's text and version by :func:`analysed`:
the parse (the AST, or None where the text does not parse), the analyses (each
network's, whole, or up to its first error where one fails), and every diagnostic,
errors and warnings, in netspec's own form. It is made once per version and never
changed, so requests read it from any thread.

Assumes nothing of the text: anything netspec refuses is a diagnostic (the language's
limits bound a hostile one), never an exception. Guarantees the same figures as
`netspec check` of the same text.
"""

from __future__ import annotations

from typing import NamedTuple

from netspec.analysis import Analysis
from netspec.api import partial_analyses
from netspec.errors import CompileError, Diagnostic
from netspec.source import Source
from netspec.syntax import ast


class Snapshot(NamedTuple):
    uri: str
    version: int
    text: str
    module: ast.Module | None  # None: the text does not parse
    analyses: tuple[Analysis, ...]  # whole networks, or what elaborated before an error
    diagnostics: tuple[Diagnostic, ...]


def analysed(uri: str, text: str, version: int = 0) -> Snapshot:
    """The document's snapshot: its parse, its analyses and its diagnostics."""
    from netspec.api import check_parsed, parse

    source = Source(_name(uri), text)
    try:
        module = parse(source)
    except CompileError as exc:
        return Snapshot(uri, version, text, None, (), tuple(exc.diagnostics))
    try:
        analyses = tuple(check_parsed(module))
    except CompileError as exc:
        partial = tuple(a for a, _ in partial_analyses(exc))
        return Snapshot(uri, version, text, module, partial, tuple(exc.diagnostics))
    warnings = tuple(w for a in analyses for w in a.warnings)
    return Snapshot(uri, version, text, module, analyses, warnings)


def _name(uri: str) -> str:
    """The file name diagnostics show: the path of a file: URI, else the URI."""
    from urllib.parse import unquote, urlparse

    parsed = urlparse(uri)
    return unquote(parsed.path) if parsed.scheme == "file" else uri
