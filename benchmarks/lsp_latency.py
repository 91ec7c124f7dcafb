"""The language server's re-analysis latency: a keystroke in a large spec to its
diagnostics published.

Usage: python benchmarks/lsp_latency.py [--edits 20] [--lines 500] [--zoo resnet50]
                                        [--edit checkpoint|newline]

Generates a spec of about `--lines` lines (a network of that many statements, four
layers each: about 2,000 layers at 500 lines), starts `netspec lsp` as a process and
drives it over its pipe with pygls's client, as an editor does. Each edit changes the
first statement's checkpoint size (alternately wrong and right), or with `--edit
newline` adds and removes a blank line in the middle (every later span moves a line).
It is timed from the change sent to the diagnostics of that version received: the
server's reparse of the edited statements, its elaboration and warnings, and the
transport included. Prints the median, min and
max (for checkpoint edits, also the median of each half: a broken checkpoint poisons
the stream, so the statements after it are skipped; the verdict is the slower half's),
and beside them the same spec's whole `netspec check` in this process (parse,
elaboration and analysis). Target (issue 19): median <= 100 ms on the project's 2-core
machine. `--zoo NAME` edits a zoo spec instead (a blank line added at its end, then
taken away: outside every body, so reparsed whole). Needs the lsp extra.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time

from lsprotocol import types
from pygls.lsp.client import LanguageClient

TARGET_MS = 100


def big_spec(lines: int, wrong: bool = False) -> str:
    """A network of `lines` statements of four layers; with `wrong`, the first
    statement's checkpoint says 31 where the size is 32 (an E-checkpoint)."""
    body = ["network Big {", "    input x: [N, 64, 32, 32]"]
    for k in range(max(lines - 3, 1)):
        size = 31 if wrong and k == 0 else 32
        body.append(f"    s{k} = conv(64, 3, padding=1) bn relu conv(64, 1) -> [N, 64, {size}, 32]")
    return "\n".join([*body, "}"]) + "\n"


def texts(lines: int, zoo: str | None, edit: str = "checkpoint"):
    """The text of each version: the generated spec, or a zoo spec, edited in turn."""
    if zoo is None and edit == "newline":
        rows = big_spec(lines).split("\n")
        middle = len(rows) // 2
        return lambda version: "\n".join(
            [*rows[:middle], *([""] if version % 2 == 0 else []), *rows[middle:]]
        )
    if zoo is None:
        return lambda version: big_spec(lines, version % 2 == 0)
    from netspec.zoo import resolve_spec

    text = resolve_spec(zoo).read_text(encoding="utf-8")
    return lambda version: text + ("\n" if version % 2 == 0 else "")


async def measure(edits: int, text_of) -> list[float]:
    client = LanguageClient("benchmark", "1")
    published: dict[int, float] = {}
    arrived = asyncio.Event()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
        published[params.version or 0] = time.perf_counter()
        arrived.set()

    await client.start_io(sys.executable, "-m", "netspec", "lsp")
    await client.initialize_async(types.InitializeParams(capabilities=types.ClientCapabilities()))
    client.initialized(types.InitializedParams())
    uri = "file:///tmp/netspec-benchmark/big.netspec"
    item = types.TextDocumentItem(uri=uri, language_id="netspec", version=1, text=text_of(1))
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=item))
    await _published(published, arrived, 1)
    times = []
    for version in range(2, edits + 2):
        change = types.TextDocumentContentChangeWholeDocument(text=text_of(version))
        document = types.VersionedTextDocumentIdentifier(uri=uri, version=version)
        sent = time.perf_counter()
        client.text_document_did_change(types.DidChangeTextDocumentParams(document, [change]))
        await _published(published, arrived, version)
        times.append((published[version] - sent) * 1000)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return times


async def _published(published: dict, arrived: asyncio.Event, version: int) -> None:
    while version not in published:
        arrived.clear()
        await asyncio.wait_for(arrived.wait(), 60)


def check_floor(text: str, runs: int = 5) -> list[float]:
    from netspec.api import check
    from netspec.source import Source

    times = []
    for _ in range(runs):
        start = time.perf_counter()
        check(Source("big.netspec", text))
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--lines", type=int, default=500)
    parser.add_argument("--zoo", help="a zoo spec to edit instead of the generated one")
    parser.add_argument("--edit", choices=("checkpoint", "newline"), default="checkpoint")
    args = parser.parse_args()
    text_of = texts(args.lines, args.zoo, args.edit)
    times = asyncio.run(measure(args.edits, text_of))
    floor = check_floor(text_of(1))
    median = statistics.median(times)
    print(
        f"keystroke to diagnostics  median {median:.0f} ms  (min {min(times):.0f}, "
        f"max {max(times):.0f}, {len(times)} edits, {len(text_of(1).splitlines())} lines)"
    )
    if args.zoo is None and args.edit == "checkpoint":
        # versions 2, 4, ... break the first checkpoint: the statements after it read a
        # poisoned stream and are skipped; versions 3, 5, ... elaborate every statement
        wrong, right = times[::2], times[1::2]
        print(
            f"  right checkpoint        median {statistics.median(right):.0f} ms  "
            "(every statement elaborated)"
        )
        print(
            f"  wrong checkpoint        median {statistics.median(wrong):.0f} ms  "
            "(the statements after it skipped)"
        )
    print(f"netspec check alone       median {statistics.median(floor):.0f} ms")
    judged = median
    if args.zoo is None and args.edit == "checkpoint":
        judged = statistics.median(times[1::2])  # the slower half: no statement skipped
    verdict = "holds" if judged <= TARGET_MS else "does not hold"
    print(f"target <= {TARGET_MS} ms: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
