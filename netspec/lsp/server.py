"""The language server: the protocol's requests answered from a document's snapshot.

A change is analysed at once, in one worker thread, so that the server keeps answering
while it runs; a newer change supersedes an older one, which gives up at its next
statement (state.py's `stop`) or, if it finished, is not published. Each analysis starts
from the document's previous snapshot, so that only the edited statements are reparsed. Requests
read the snapshot of the document's current version, analysing it first where the
newest analysis is older (a hover just after a keystroke sees that keystroke). The
names (go to definition, references, rename, completion) come from the newest
snapshot that parsed, so they keep working while a line is half-typed.

Assumes pygls 2 and lsprotocol (the `lsp` extra). Guarantees an answer to every
request, never an exception out of a handler: what fails to analyse is a diagnostic.
"""

from __future__ import annotations

import asyncio
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from netspec._version import __version__
from netspec.lsp import completion, convert
from netspec.lsp.hints import hints
from netspec.lsp.hover import hover
from netspec.lsp.state import Snapshot, analysed
from netspec.lsp.symbols import Index, index
from netspec.ops import REGISTRY
from netspec.source import text_lines

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
RESERVED = set(completion.KEYWORDS) | {"in"}


class NetspecServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("netspec", __version__)
        self.snapshots: dict[str, Snapshot] = {}
        self.indexes: dict[str, Index] = {}  # uri -> the names of its newest parse
        self.wanted: dict[str, int] = {}  # uri -> the version whose analysis is wanted
        self.parameters = False  # inlay hints with parameter counts (initializationOptions)
        self.worker = ThreadPoolExecutor(1, thread_name_prefix="netspec-analysis")
        self.lock = threading.Lock()

    def current(self, uri: str) -> Snapshot:
        """The snapshot of the document as it is now."""
        document = self.workspace.get_text_document(uri)
        version = document.version or 0
        with self.lock:
            snapshot = self.snapshots.get(uri)
            if snapshot is None or snapshot.version != version or snapshot.text != document.source:
                snapshot = self.store(analysed(uri, document.source, version, snapshot))
        return snapshot

    def store(self, snapshot: Snapshot) -> Snapshot:
        self.snapshots[snapshot.uri] = snapshot
        if snapshot.module is not None:
            self.indexes[snapshot.uri] = index(snapshot.module, snapshot.text)
        return snapshot

    def names(self, uri: str) -> Index | None:
        self.current(uri)
        return self.indexes.get(uri)

    def publish(self, snapshot: Snapshot) -> None:
        lines = list(snapshot.source.lines)
        shown = [convert.diagnostic(d, snapshot.uri, lines) for d in snapshot.diagnostics]
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(snapshot.uri, shown, version=snapshot.version)
        )


server = NetspecServer()


async def _refresh(ls: NetspecServer, uri: str) -> None:
    """Analyse the document as it is now, unless a newer change came first (the changes
    already received are applied before this runs); publish what is found unless a newer
    change came meanwhile."""
    document = ls.workspace.get_text_document(uri)
    version, text = document.version or 0, document.source
    ls.wanted[uri] = version
    await asyncio.sleep(0)  # let changes that arrived together be applied first

    def superseded() -> bool:
        # a newer change may be in the document before its own handler has run
        now = ls.workspace.get_text_document(uri).version or 0
        return ls.wanted.get(uri) != version or now != version

    if superseded():
        return
    previous = ls.snapshots.get(uri)
    loop = asyncio.get_running_loop()
    job = partial(analysed, uri, text, version, previous, superseded)
    snapshot = await loop.run_in_executor(ls.worker, job)
    if snapshot is None or superseded():
        return
    with ls.lock:
        ls.store(snapshot)
    ls.publish(snapshot)


@server.feature(types.INITIALIZE)
def initialize(ls: NetspecServer, params: types.InitializeParams) -> None:
    options = params.initialization_options or {}
    ls.parameters = bool(isinstance(options, dict) and options.get("inlayParameters"))


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
async def did_open(ls: NetspecServer, params: types.DidOpenTextDocumentParams) -> None:
    await _refresh(ls, params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
async def did_change(ls: NetspecServer, params: types.DidChangeTextDocumentParams) -> None:
    await _refresh(ls, params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: NetspecServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    for table in (ls.snapshots, ls.indexes, ls.wanted):
        table.pop(uri, None)
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri, []))


@server.feature(types.TEXT_DOCUMENT_INLAY_HINT)
def inlay_hints(ls: NetspecServer, params: types.InlayHintParams) -> list[types.InlayHint]:
    snapshot = ls.current(params.text_document.uri)
    lines = list(snapshot.source.lines)
    first, last = params.range.start.line + 1, params.range.end.line + 1
    return [
        types.InlayHint(
            position=convert.position(h.line, h.column, lines[h.line - 1]),
            label=h.label,
            kind=types.InlayHintKind.Type,
            tooltip=h.tooltip,
        )
        for h in hints(snapshot, first, last, ls.parameters)
    ]


@server.feature(types.TEXT_DOCUMENT_HOVER)
def on_hover(ls: NetspecServer, params: types.HoverParams) -> types.Hover | None:
    snapshot = ls.current(params.text_document.uri)
    line, column = convert.column_of(params.position, list(snapshot.source.lines))
    text = hover(snapshot, ls.indexes.get(snapshot.uri), line, column)
    if text is None:
        return None
    return types.Hover(contents=types.MarkupContent(types.MarkupKind.Markdown, text))


KINDS = {
    "op": types.CompletionItemKind.Function,
    "block": types.CompletionItemKind.Module,
    "argument": types.CompletionItemKind.Property,
    "name": types.CompletionItemKind.Variable,
    "keyword": types.CompletionItemKind.Keyword,
}


@server.feature(
    types.TEXT_DOCUMENT_COMPLETION,
    types.CompletionOptions(trigger_characters=["(", ",", " ", "="]),
)
def on_completion(ls: NetspecServer, params: types.CompletionParams) -> types.CompletionList:
    before = _before(ls, params.text_document.uri, params.position)
    items = completion.complete(
        before, ls.names(params.text_document.uri), params.position.line + 1
    )
    return types.CompletionList(
        is_incomplete=False,
        items=[
            types.CompletionItem(
                label=i.label,
                kind=KINDS[i.kind],
                detail=i.detail,
                documentation=types.MarkupContent(types.MarkupKind.Markdown, i.documentation)
                if i.documentation
                else None,
            )
            for i in items
        ],
    )


@server.feature(
    types.TEXT_DOCUMENT_SIGNATURE_HELP,
    types.SignatureHelpOptions(trigger_characters=["(", ","]),
)
def on_signature(
    ls: NetspecServer, params: types.SignatureHelpParams
) -> types.SignatureHelp | None:
    before = _before(ls, params.text_document.uri, params.position)
    found = completion.signature_at(before, ls.names(params.text_document.uri))
    if found is None:
        return None
    label, parameters, active = found
    signature = types.SignatureInformation(
        label=label, parameters=[types.ParameterInformation(label=p) for p in parameters]
    )
    return types.SignatureHelp([signature], active_signature=0, active_parameter=active)


def _before(ls: NetspecServer, uri: str, position: types.Position) -> str:
    """The document's text before `position` on its line, and on the lines above it
    back to where the current statement may have started (an open bracket)."""
    lines = ls.workspace.get_text_document(uri).lines  # each with its line ending
    line = lines[position.line] if position.line < len(lines) else ""
    _, column = convert.column_of(position, [x.rstrip("\r\n") for x in lines])
    above = "".join(lines[max(0, position.line - 20) : position.line])
    return above + line[: column - 1]


def _target(ls: NetspecServer, uri: str, position: types.Position):
    names = ls.names(uri)
    if names is None:
        return None, None
    line, column = convert.column_of(position, list(ls.current(uri).source.lines))
    return names, names.at(line, column)


def _range(place) -> types.Range:
    return types.Range(
        start=types.Position(place.line - 1, place.column - 1),
        end=types.Position(place.line - 1, place.end - 1),
    )


@server.feature(types.TEXT_DOCUMENT_DEFINITION)
def on_definition(ls: NetspecServer, params: types.DefinitionParams) -> types.Location | None:
    uri = params.text_document.uri
    _, target = _target(ls, uri, params.position)
    return None if target is None else types.Location(uri, _range(target.place))


@server.feature(types.TEXT_DOCUMENT_REFERENCES)
def on_references(ls: NetspecServer, params: types.ReferenceParams) -> list[types.Location]:
    uri = params.text_document.uri
    names, target = _target(ls, uri, params.position)
    if target is None:
        return []
    places = names.occurrences(target)
    if not params.context.include_declaration:
        places = places[1:]
    return [types.Location(uri, _range(p)) for p in places]


@server.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
def on_prepare_rename(ls: NetspecServer, params: types.PrepareRenameParams):
    uri = params.text_document.uri
    names, target = _target(ls, uri, params.position)
    if target is None:
        return None
    line, column = convert.column_of(params.position, list(ls.current(uri).source.lines))
    place = next(
        p for p in names.occurrences(target) if p.line == line and p.column <= column <= p.end
    )
    return _range(place)


@server.feature(types.TEXT_DOCUMENT_RENAME)
def on_rename(ls: NetspecServer, params: types.RenameParams) -> types.WorkspaceEdit | None:
    uri = params.text_document.uri
    new = params.new_name
    if not IDENTIFIER.match(new) or new in RESERVED or new in REGISTRY:
        raise ValueError(f"{new!r} cannot name it: not an identifier, or a keyword or an op")
    names, target = _target(ls, uri, params.position)
    if target is None:
        return None
    if any(d.name == new for d in names.visible(target.scope or "")):
        raise ValueError(f"{new!r} is already a name there")
    edits = [types.TextEdit(_range(p), new) for p in names.occurrences(target)]
    return types.WorkspaceEdit(changes={uri: edits})


@server.feature(types.TEXT_DOCUMENT_FORMATTING)
def on_formatting(ls: NetspecServer, params: types.DocumentFormattingParams):
    document = ls.workspace.get_text_document(params.text_document.uri)
    try:
        from netspec.fmt import format_text
    except ImportError:  # the formatter is not in this build
        return None
    try:
        formatted = format_text(document.source, document.uri)
    except Exception:  # noqa: BLE001 (a text that does not parse: its diagnostics say why)
        return None
    if formatted == document.source:
        return []
    lines = text_lines(document.source)
    end = types.Position(len(lines), 0)
    return [types.TextEdit(types.Range(types.Position(0, 0), end), formatted)]


SYMBOL_KINDS = {
    "network": types.SymbolKind.Class,
    "block": types.SymbolKind.Function,
    "const": types.SymbolKind.Constant,
    "statement": types.SymbolKind.Variable,
    "input": types.SymbolKind.Field,
    "param": types.SymbolKind.Field,
    "parameter": types.SymbolKind.TypeParameter,
    "let": types.SymbolKind.Variable,
    "loop": types.SymbolKind.Variable,
}


@server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def on_symbols(ls: NetspecServer, params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
    names = ls.names(params.text_document.uri)
    if names is None:
        return []
    out = []
    for d in names.definitions:
        if d.scope:
            continue
        children = [_symbol(c, []) for c in names.definitions if c.scope == d.name]
        out.append(_symbol(d, children))
    return out


def _symbol(d, children) -> types.DocumentSymbol:
    whole = d.whole
    full = types.Range(
        start=types.Position(whole.line - 1, whole.column - 1),
        end=types.Position(whole.end_line - 1, whole.end_column - 1),
    )
    selection = _range(d.place)
    if not (full.start.line <= selection.start.line <= full.end.line):
        full = selection
    return types.DocumentSymbol(
        name=d.name,
        kind=SYMBOL_KINDS.get(d.kind, types.SymbolKind.Variable),
        range=full,
        selection_range=selection,
        detail=d.kind,
        children=children or None,
    )


def serve() -> None:
    """Run the server over stdio until the client ends it."""
    server.start_io()
