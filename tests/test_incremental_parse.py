"""netspec.syntax.incremental: reparsing an edited spec equals parsing it whole.

The oracle is the whole parse: for random line edits of the repo's specs (a line
replaced, deleted, duplicated, typed into, a brace or bar added, a comment, several
edits in a row as an editor sends them), `reparse` returns an AST equal to
`parse(after)` (spans compare by position), or the same diagnostics; and every span of
its result reads, from its own source, the same lines as from the new text. A direct
test checks that a one-line edit in a body is indeed parsed alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netspec.errors import CompileError
from netspec.source import Source, Span
from netspec.syntax import incremental
from netspec.syntax.incremental import reparse
from netspec.syntax.parser import parse

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted([*ROOT.glob("specs/*.netspec"), *ROOT.glob("tests/errors/*.netspec")])
TYPED = "{}()[]|#=,:->x1 \n\f\r\u2028"  # and breaks only str.splitlines() sees


def outcome(parse_it):
    """The AST, or the diagnostics' codes, messages and positions."""
    try:
        return parse_it()
    except CompileError as exc:
        return [(d.code, d.message, d.span and d.span.location) for d in exc.diagnostics]


def spans(node):
    if isinstance(node, Span):
        yield node
    elif isinstance(node, tuple):
        for value in node:
            yield from spans(value)


@st.composite
def edits(draw, lines: list[str]):
    """One editor change: some lines replaced by others, possibly typed into."""
    first = draw(st.integers(0, max(len(lines) - 1, 0)))
    end = draw(st.integers(first, min(first + 3, len(lines))))
    kind = draw(st.sampled_from(["copy", "type", "delete", "blank", "comment", "number"]))
    if kind == "delete":
        new: list[str] = []
    elif kind == "blank":
        new = [""] * draw(st.integers(1, 2))
    elif kind == "comment":
        new = ["    # " + draw(st.text("ab ", max_size=5))]
    elif kind == "copy":
        new = draw(st.lists(st.sampled_from(lines), min_size=1, max_size=3))
    else:
        line = lines[first] if first < len(lines) else ""
        at = draw(st.integers(0, len(line)))
        typed = draw(st.text(TYPED, min_size=1, max_size=2))
        if kind == "number":
            typed = str(draw(st.integers(0, 512)))
        cut = draw(st.integers(0, min(2, len(line) - at)))
        new = [line[:at] + typed + line[at + cut :]]
        end = max(end, first + 1) if first < len(lines) else end
    return first, end, new


@st.composite
def sessions(draw):
    """A spec and up to three edits applied one after another."""
    path = draw(st.sampled_from(SPECS))
    text = path.read_text(encoding="utf-8")
    versions = [text]
    for _ in range(draw(st.integers(1, 3))):
        lines = versions[-1].split("\n")
        first, end, new = draw(edits(lines))
        versions.append("\n".join([*lines[:first], *new, *lines[end:]]))
    return path.name, versions


@settings(max_examples=150, deadline=None)
@given(sessions())
def test_reparse_equals_whole_parse(session):
    name, versions = session
    before = Source(name, versions[0])
    try:
        module = parse(before)
    except CompileError:
        return  # the language server parses a text that does not parse whole next time
    for text in versions[1:]:
        after = Source(name, text)
        got = outcome(lambda m=module, b=before, a=after: reparse(m, b, a))
        assert got == outcome(lambda a=after: parse(a))
        if isinstance(got, list):
            return
        for span in spans(got):
            for line in range(span.line, span.end_line + 1):
                assert span.source.line(line) == after.line(line), (span, line)
        module, before = got, after


def test_one_line_edit_parses_only_its_statements(monkeypatch):
    text = (ROOT / "specs" / "resnet50.netspec").read_text(encoding="utf-8")
    before = Source("resnet50.netspec", text)
    module = parse(before)
    edited = text.replace("-> [N, 2048, 7, 7]", "-> [N, 2048, 7, 6]")
    assert edited != text
    parsed: list[int] = []

    def counted(source: Source):
        parsed.append(len(source.text.strip()))
        return parse(source)

    monkeypatch.setattr(incremental, "parse", counted)
    after = Source("resnet50.netspec", edited)
    assert reparse(module, before, after) == parse(after)
    assert len(parsed) == 1 and parsed[0] < len(text) // 4


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t.replace("network ResNet50", "network ResNet5"),  # a header
        lambda t: t + "\nconst Z = 1\n",  # a top-level item
        lambda t: t.replace("{", "{ relu", 1),  # a statement on a brace's line
    ],
)
def test_edits_outside_body_statements_parse_whole(change, monkeypatch):
    text = (ROOT / "specs" / "resnet50.netspec").read_text(encoding="utf-8")
    before = Source("resnet50.netspec", text)
    module = parse(before)
    parsed: list[int] = []

    def counted(source: Source):
        parsed.append(len(source.text))
        return parse(source)

    monkeypatch.setattr(incremental, "parse", counted)
    after = Source("resnet50.netspec", change(text))
    assert outcome(lambda: reparse(module, before, after)) == outcome(lambda: parse(after))
    assert parsed == [len(after.text)]
