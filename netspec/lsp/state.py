"""One document analysed: what every request of the language server reads.

A :class:`Snapshot` is made from a document's text and version by :func:`analysed`:
the parse (the AST, or None where the text does not parse), the elaborated networks
(whole, or up to their first error), and every diagnostic, errors and warnings, in
netspec's own form. The figures (:attr:`Snapshot.analyses`) are computed when a request
first needs them: diagnostics need only the elaboration and the warnings. A snapshot is
made once per version and never changed but for that cache, so requests read it from
any thread.

Given the previous snapshot, the text is reparsed from the statements changed since the
newest text that parsed (netspec/syntax/incremental.py; a keystroke that mends a syntax
error is not a whole parse), and parsed whole after WHOLE_EVERY such reparses. With
a `stop` callable, the elaboration asks it before each statement and gives up
(:func:`analysed` returns None) when it says so: a newer keystroke supersedes the
analysis of an older one.

Assumes nothing of the text: anything netspec refuses is a diagnostic (the language's
limits bound a hostile one), never an exception. Guarantees the same diagnostics and
figures as `netspec check` of the same text.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from netspec.analysis import Analysis, analyze, warnings_of
from netspec.api import analyze_graph, elaborate, parse
from netspec.elaborate.state import STOP, Cancelled
from netspec.errors import CompileError, Diagnostic
from netspec.ir import Graph
from netspec.source import Source
from netspec.syntax import ast
from netspec.syntax.incremental import reparse

# A reused statement's spans keep the text of the version it was parsed in (the same
# lines): a whole parse every so often lets those older texts go.
WHOLE_EVERY = 32


class Snapshot:
    """A document version's parse, networks and diagnostics; its figures on demand."""

    reparses = 0  # incremental reparses in a row behind the module (0: parsed whole)
    # the newest text that parsed, and its module: what the next version is reparsed
    # from, so that a keystroke after a syntax error is not a whole parse
    base: tuple[Source, ast.Module] | None = None

    def __init__(
        self,
        uri: str,
        version: int,
        source: Source,
        module: ast.Module | None,  # None: the text does not parse
        graphs: tuple[tuple[Graph, bool], ...],  # each network, and whether it is whole
        diagnostics: tuple[Diagnostic, ...],
        analyses: tuple[Analysis, ...] | None = None,
    ):
        self.uri, self.version, self.source, self.module = uri, version, source, module
        self.graphs, self.diagnostics = graphs, diagnostics
        self._analyses = analyses
        self._lock = threading.Lock()

    @property
    def text(self) -> str:
        return self.source.text

    @property
    def analyses(self) -> tuple[Analysis, ...]:
        """Each network's figures: whole ones as `check` has them, and what elaborated
        before an error; a network whose analysis fails shows nothing."""
        with self._lock:
            if self._analyses is None:
                self._analyses = tuple(a for a in map(_analysis, self.graphs) if a is not None)
            return self._analyses


def analysed(
    uri: str,
    text: str,
    version: int = 0,
    previous: Snapshot | None = None,
    stop: Callable[[], bool] | None = None,
) -> Snapshot | None:
    """The document's snapshot; None where `stop` gave it up."""
    source = Source(_name(uri), text)
    try:
        module, reparses = _parse(source, previous)
    except CompileError as exc:
        failed = Snapshot(uri, version, source, None, (), tuple(exc.diagnostics))
        if previous is not None:
            failed.base, failed.reparses = previous.base, previous.reparses
        return failed
    token = STOP.set(stop)
    try:
        snapshot = _checked(uri, version, source, module)
    except Cancelled:
        return None
    finally:
        STOP.reset(token)
    snapshot.base, snapshot.reparses = (source, module), reparses
    return snapshot


def _parse(source: Source, previous: Snapshot | None) -> tuple[ast.Module, int]:
    """The module, and how many reparses in a row made it (0: parsed whole)."""
    base = previous.base if previous is not None else None
    if base is None or base[0].name != source.name or previous.reparses >= WHOLE_EVERY:
        return parse(source), 0
    return reparse(base[1], base[0], source), previous.reparses + 1


def _checked(uri: str, version: int, source: Source, module: ast.Module) -> Snapshot:
    """Elaborated, with warnings; symbolic networks analysed now (their traced analysis
    is what says where their formulas hold), numeric ones when asked."""
    try:
        graphs = tuple((g, True) for g in elaborate(module))
    except CompileError as exc:
        partial = tuple((p.graph, False) for p in exc.partial)
        return Snapshot(uri, version, source, module, partial, tuple(exc.diagnostics))
    if any(g.sizes is not None for g, _ in graphs):
        try:
            analyses = tuple(analyze_graph(g) for g, _ in graphs)
        except CompileError as exc:
            return Snapshot(uri, version, source, module, (), tuple(exc.diagnostics))
        warnings = tuple(w for a in analyses for w in a.warnings)
        return Snapshot(uri, version, source, module, graphs, warnings, analyses)
    warnings = tuple(w for g, _ in graphs for w in warnings_of(g))
    return Snapshot(uri, version, source, module, graphs, warnings)


def _analysis(entry: tuple[Graph, bool]) -> Analysis | None:
    graph, whole = entry
    try:
        return analyze_graph(graph) if whole else analyze(graph)
    except CompileError:  # an analysis limit
        return None


def _name(uri: str) -> str:
    """The file name diagnostics show: the path of a file: URI, else the URI."""
    from urllib.parse import unquote, urlparse

    parsed = urlparse(uri)
    return unquote(parsed.path) if parsed.scheme == "file" else uri
