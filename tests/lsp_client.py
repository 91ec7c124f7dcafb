"""A language client for the tests: `netspec lsp` started as a process, driven over its
stdin and stdout as an editor drives it (pygls's own client).

Assumes pygls 2 and lsprotocol (the tests skip without them). Guarantees the server is
shut down and its process ended when the session ends, and diagnostics waited for by
document version.
"""

from __future__ import annotations

import asyncio
import sys
from contextlib import asynccontextmanager
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

TIMEOUT = 30.0


class Client(LanguageClient):
    def __init__(self) -> None:
        super().__init__("netspec-tests", "1")
        self.diagnostics: dict[str, types.PublishDiagnosticsParams] = {}
        self.arrived = asyncio.Condition()

    async def diagnostics_for(self, uri: str, version: int) -> list[types.Diagnostic]:
        """The diagnostics published for `uri` at `version` (waited for)."""

        def ready() -> bool:
            got = self.diagnostics.get(uri)
            return got is not None and got.version == version

        async with self.arrived:
            await asyncio.wait_for(self.arrived.wait_for(ready), TIMEOUT)
        return list(self.diagnostics[uri].diagnostics)

    def open(self, uri: str, text: str, version: int = 1) -> None:
        item = types.TextDocumentItem(uri=uri, language_id="netspec", version=version, text=text)
        self.text_document_did_open(types.DidOpenTextDocumentParams(item))

    def replace(self, uri: str, text: str, version: int) -> None:
        """The whole text replaced, as an editor's full sync sends it."""
        change = types.TextDocumentContentChangeWholeDocument(text=text)
        document = types.VersionedTextDocumentIdentifier(uri=uri, version=version)
        self.text_document_did_change(types.DidChangeTextDocumentParams(document, [change]))


@asynccontextmanager
async def session(options: dict | None = None):
    client = Client()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    async def published(params: types.PublishDiagnosticsParams) -> None:
        async with client.arrived:
            client.diagnostics[params.uri] = params
            client.arrived.notify_all()

    await client.start_io(sys.executable, "-m", "netspec", "lsp")
    try:
        await asyncio.wait_for(
            client.initialize_async(
                types.InitializeParams(
                    capabilities=types.ClientCapabilities(),
                    initialization_options=options,
                    root_uri=Path.cwd().as_uri(),
                )
            ),
            TIMEOUT,
        )
        client.initialized(types.InitializedParams())
        yield client
    finally:
        await asyncio.wait_for(client.shutdown_async(None), TIMEOUT)
        client.exit(None)
        await client.stop()


def run(scenario) -> object:
    """Run an async scenario (a coroutine function taking the client) to its end."""

    async def main():
        async with session() as client:
            return await scenario(client)

    return asyncio.run(main())
