"""`netspec lsp` driven as an editor drives it: a process on a pipe, pygls's client.

Diagnostics (every golden error of tests/errors/ at its place, the hostile ones within
a time bound), inlay hints equal to the check report's shapes, hover, completion,
signature help, definition, references, rename, formatting, symbols, and a newer edit
superseding an older one.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

pytest.importorskip("pygls")
types = pytest.importorskip("lsprotocol.types")

from netspec.api import check  # noqa: E402
from netspec.source import Source  # noqa: E402
from netspec.values import show_shape  # noqa: E402
from netspec.zoo import resolve_spec  # noqa: E402
from tests.conftest import ROOT  # noqa: E402
from tests.lsp_client import run  # noqa: E402

ERRORS = ROOT / "tests" / "errors"
HEAD = re.compile(r"^error\[(E-[a-z-]+)\]: .*\n --> [^\n]*:(\d+):(\d+)$", re.M)


def _doc(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


def _uri(name: str) -> str:
    return (Path("/tmp/netspec-lsp-tests") / f"{name}.netspec").as_uri()


def _whole(text: str) -> types.Range:
    return types.Range(types.Position(0, 0), types.Position(len(text.splitlines()) + 1, 0))


@pytest.mark.parametrize("name", ["resnet50", "vit_b_16", "lstm_lm", "mobilenet_v2"])
def test_inlay_hints_are_the_check_reports_shapes(name):
    text = resolve_spec(name).read_text(encoding="utf-8")
    [report] = check(Source(f"{name}.netspec", text))
    lines = text.splitlines()

    async def scenario(client):
        client.open(_uri(name), text)
        assert await client.diagnostics_for(_uri(name), 1) == []
        params = types.InlayHintParams(text_document=_doc(_uri(name)), range=_whole(text))
        return await client.text_document_inlay_hint_async(params)

    hints = {h.position.line + 1: h.label for h in run(scenario)}
    for statement, figures in zip(report.graph.statements, report.statements, strict=True):
        if "->" in lines[statement.span.end_line - 1]:
            continue  # the shape is written: a hint gives the parameters, if any
        label = hints[statement.span.end_line]
        assert label.strip().startswith(show_shape(figures.output_shape)), statement.name


def _golden(spec: Path) -> list[tuple[str, int, int]]:
    expected = spec.with_suffix(".err").read_text(encoding="utf-8")
    return [(code, int(line), int(col)) for code, line, col in HEAD.findall(expected)]


CASES = [s for s in sorted(ERRORS.glob("*.netspec")) if not s.read_text().startswith("# args:")]


def test_every_golden_error_is_a_diagnostic_at_its_place():
    """Each error of each golden file, by code and place; a hostile spec's limit error
    within 5 s of the change."""

    async def scenario(client):
        found = {}
        for k, spec in enumerate(CASES):
            uri = spec.resolve().as_uri()
            start = time.perf_counter()
            client.open(uri, spec.read_text(encoding="utf-8"), version=k + 1)
            shown = await client.diagnostics_for(uri, k + 1)
            found[spec.stem] = (shown, time.perf_counter() - start)
        return found

    found = run(scenario)
    assert len(CASES) > 50
    for spec in CASES:
        shown, seconds = found[spec.stem]
        places = {(d.code, d.range.start.line + 1, d.range.start.character + 1) for d in shown}
        for code, line, column in _golden(spec):
            assert (code, line, column) in places, (spec.stem, code, line, column, places)
        if spec.stem.startswith("hostile"):
            assert seconds < 5.0 and any(d.code == "E-limit" for d in shown)


RESNET = resolve_spec("resnet50").read_text(encoding="utf-8")


def _at(text: str, needle: str, offset: int = 0) -> types.Position:
    """The position of the first `needle` in `text` (plus `offset` characters)."""
    before = text[: text.index(needle) + offset]
    return types.Position(before.count("\n"), len(before.rsplit("\n", 1)[-1]))


def test_hover_completion_and_signature_help():
    uri = _uri("hover")

    async def scenario(client):
        client.open(uri, RESNET)
        await client.diagnostics_for(uri, 1)
        doc = _doc(uri)
        on_op = await client.text_document_hover_async(
            types.HoverParams(text_document=doc, position=_at(RESNET, "maxpool(3", 2))
        )
        on_statement = await client.text_document_hover_async(
            types.HoverParams(text_document=doc, position=_at(RESNET, "layer2 =", 2))
        )
        inside = _at(RESNET, "stage(128, 4)", len("stage(128, "))
        items = await client.text_document_completion_async(
            types.CompletionParams(text_document=doc, position=inside)
        )
        line_start = _at(RESNET, "    layer2 =", 4)
        anywhere = await client.text_document_completion_async(
            types.CompletionParams(text_document=doc, position=line_start)
        )
        help_ = await client.text_document_signature_help_async(
            types.SignatureHelpParams(
                text_document=doc, position=_at(RESNET, "maxpool(3, stride=2", len("maxpool(3, "))
            )
        )
        return on_op, on_statement, items, anywhere, help_

    on_op, on_statement, items, anywhere, help_ = run(scenario)
    assert "maxpool(kernel" in on_op.contents.value
    assert "[N, 512, 28, 28]" in on_statement.contents.value
    assert "1,219,584" in on_statement.contents.value
    labels = {i.label for i in items.items}
    assert {"width=", "blocks=", "stride="} <= labels  # the block's own parameters
    labels = {i.label for i in anywhere.items}
    assert {"conv", "bn", "bottleneck", "stage", "repeat", "stem"} <= labels
    assert help_.signatures[0].label.startswith("maxpool(kernel")
    assert help_.active_parameter == 1


def test_definition_references_and_rename():
    uri = _uri("rename")

    async def scenario(client):
        client.open(uri, RESNET)
        await client.diagnostics_for(uri, 1)
        doc = _doc(uri)
        call = _at(RESNET, "bottleneck(width", 3)
        definition = await client.text_document_definition_async(
            types.DefinitionParams(text_document=doc, position=call)
        )
        references = await client.text_document_references_async(
            types.ReferenceParams(
                text_document=doc, position=call, context=types.ReferenceContext(True)
            )
        )
        edit = await client.text_document_rename_async(
            types.RenameParams(text_document=doc, position=call, new_name="residual")
        )
        return definition, references, edit

    definition, references, edit = run(scenario)
    block_line = next(
        i for i, t in enumerate(RESNET.splitlines()) if t.startswith("block bottleneck")
    )
    assert definition.range.start.line == block_line
    assert len(references) == 1 + RESNET.count("bottleneck(") - 1  # the definition, each call
    renamed = _apply(RESNET, edit.changes[uri])
    assert "block residual(" in renamed and "bottleneck" not in _code(renamed)
    [before] = check(Source("a.netspec", RESNET))
    [after] = check(Source("b.netspec", renamed))
    assert after.totals == before.totals


def _code(text: str) -> str:
    return "\n".join(line.split("#")[0] for line in text.splitlines())


def _apply(text: str, edits: list[types.TextEdit]) -> str:
    lines = text.splitlines(keepends=True)
    for e in sorted(
        edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True
    ):
        line = lines[e.range.start.line]
        first, end = e.range.start.character, e.range.end.character
        lines[e.range.start.line] = line[:first] + e.new_text + line[end:]
    return "".join(lines)


def test_symbols_and_a_newer_edit_supersedes_an_older_one():
    uri = _uri("edits")
    broken = RESNET.replace("stage(128, 4)", "stage(128, 4, stride=3)")

    async def scenario(client):
        client.open(uri, RESNET)
        await client.diagnostics_for(uri, 1)
        symbols = await client.text_document_document_symbol_async(
            types.DocumentSymbolParams(_doc(uri))
        )
        for version in range(2, 8):  # typed quickly: only the last one matters
            client.replace(uri, broken if version % 2 else RESNET, version)
        client.replace(uri, broken, 9)
        return symbols, await client.diagnostics_for(uri, 9)

    symbols, last = run(scenario)
    top = {s.name: s for s in symbols}
    assert {"bottleneck", "stage", "ResNet50"} <= set(top)
    assert "layer2" in {c.name for c in top["ResNet50"].children}
    assert [d.code for d in last] == ["E-checkpoint"]


def test_formatting_gives_netspec_fmts_text():
    fmt = pytest.importorskip("netspec.fmt")
    uri = _uri("format")
    messy = RESNET.replace("stage(128, 4)", "stage( 128,4 )")

    async def scenario(client):
        client.open(uri, messy)
        await client.diagnostics_for(uri, 1)
        options = types.FormattingOptions(tab_size=4, insert_spaces=True)
        return await client.text_document_formatting_async(
            types.DocumentFormattingParams(text_document=_doc(uri), options=options)
        )

    edits = run(scenario)
    assert len(edits) == 1 and edits[0].new_text == fmt.format_text(messy, "format.netspec")


def test_the_transcript_tool_shows_hints_hover_and_the_broken_checkpoint():
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "lsp_transcript.py"), "resnet50"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    out = done.stdout
    assert out.count("\n--> ") + out.startswith("--> ") == 9  # 5 requests, 4 notifications
    assert '"label": "  [N, 64, 56, 56]"' in out  # the stem's inlay hint
    assert "**statement** `layer1` in `ResNet50`" in out
    assert '"code": "E-checkpoint"' in out and "the checkpoint says [N, 256, 56, 57]" in out
