"""The language server's snapshots (netspec/lsp/state.py), in process: the same
diagnostics and figures as `netspec check`, whether a version is analysed from scratch
or from the previous snapshot (its edited statements reparsed), warnings without the
figures, figures on demand, and an analysis given up when a newer keystroke says so.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from netspec.api import check
from netspec.errors import CompileError
from netspec.lsp.state import analysed
from netspec.source import Source
from tests.conftest import ROOT

GOLDENS = sorted([*ROOT.glob("tests/errors/*.netspec"), *ROOT.glob("tests/warnings/*.netspec")])
ZOO = [
    ROOT / "specs" / f"{name}.netspec" for name in ("resnet50", "gpt_tiny", "mobilenet_v3_large")
]
URI = "file:///tmp/netspec-state/spec.netspec"


def shown(diagnostics) -> list[tuple]:
    return [(d.code, d.message, d.span and (d.span.line, d.span.column)) for d in diagnostics]


def checked(text: str) -> tuple[list[tuple], list]:
    """`netspec check`'s diagnostics (errors, else warnings) and totals of `text`."""
    try:
        analyses = check(Source("/tmp/netspec-state/spec.netspec", text))
    except CompileError as exc:
        return shown(exc.diagnostics), None
    return shown(w for a in analyses for w in a.warnings), [a.totals for a in analyses]


@pytest.mark.parametrize("path", [*GOLDENS, *ZOO], ids=lambda p: p.name)
def test_snapshot_diagnostics_and_figures_are_checks(path: Path):
    text = path.read_text(encoding="utf-8")
    snapshot = analysed(URI, text, 1)
    diagnostics, totals = checked(text)
    assert shown(snapshot.diagnostics) == diagnostics
    if totals is not None:
        assert [a.totals for a in snapshot.analyses] == totals


@pytest.mark.parametrize("path", ZOO, ids=lambda p: p.name)
def test_an_edit_from_the_previous_snapshot_is_a_fresh_check(path: Path):
    """Break a checkpoint, mend it, add and remove a line: each version from the one
    before equals `netspec check` of its text."""
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    arrow = next(i for i, line in enumerate(lines) if "-> [" in line)
    broken = lines[arrow].replace("-> [", "-> [1 + ", 1)
    versions = [
        "\n".join([*lines[:arrow], broken, *lines[arrow + 1 :]]),
        text,
        "\n".join([*lines[: arrow + 1], "", *lines[arrow + 1 :]]),
        "\n".join([*lines[: arrow + 1], "    extra = relu", *lines[arrow + 1 :]]),
        text,
    ]
    snapshot = analysed(URI, text, 1)
    for version, edited in enumerate(versions, start=2):
        snapshot = analysed(URI, edited, version, snapshot)
        diagnostics, totals = checked(edited)
        assert shown(snapshot.diagnostics) == diagnostics
        assert totals is None or [a.totals for a in snapshot.analyses] == totals


def test_a_superseded_analysis_gives_up_at_a_statement():
    text = (ROOT / "specs" / "resnet50.netspec").read_text(encoding="utf-8")
    asked = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) > 3

    assert analysed(URI, text, 1, stop=stop) is None
    assert len(asked) == 4  # it stopped at the fourth statement it began
    assert analysed(URI, text, 1, stop=lambda: False) is not None


def test_figures_are_computed_when_first_asked_for():
    text = (ROOT / "specs" / "lenet5.netspec").read_text(encoding="utf-8")
    snapshot = analysed(URI, text, 1)
    assert snapshot._analyses is None  # diagnostics needed only the elaboration
    assert [a.totals for a in snapshot.analyses] == checked(text)[1]
    assert snapshot.analyses is snapshot.analyses  # computed once


def test_a_form_feed_typed_in_keeps_the_lines_of_the_previous_snapshot():
    before = "network N {\n    input x: [1, 3]\n    y = relu\n    z = relu\n    let a = 1 / 0\n}\n"
    after = before.replace("    y = relu\n", "    y = relu\f\n")
    snapshot = analysed(URI, after, 2, analysed(URI, before, 1))
    assert shown(snapshot.diagnostics) == checked(after)[0]
    assert "division by zero in '1 / 0'" in snapshot.diagnostics[0].message


def test_two_threads_analysing_deep_blocks_at_once_get_no_false_limit():
    """The recursion limit is the process's: a thread leaving deep_recursion must not
    lower it under another still inside (netspec/limits.py)."""
    import sys
    import threading

    from netspec.limits import MAX_BLOCK_DEPTH

    depth = MAX_BLOCK_DEPTH - 1
    blocks = [f"block B{i}() {{\n    B{i - 1}\n}}\n" for i in range(1, depth)]
    text = "block B0() {\n    relu\n}\n" + "".join(blocks)
    text += f"network N {{\n    input x: [1, 4]\n    y = B{depth - 1}\n}}\n"
    limit = sys.getrecursionlimit()
    found: list[str] = []

    def analyse() -> None:
        for version in range(8):
            found.extend(d.code for d in analysed(URI, text, version).diagnostics)

    other = threading.Thread(target=analyse)
    other.start()
    analyse()
    other.join()
    assert found == [] and sys.getrecursionlimit() == limit


def test_a_whole_parse_every_so_often_lets_older_texts_go(monkeypatch):
    from netspec.lsp import state

    monkeypatch.setattr(state, "WHOLE_EVERY", 2)
    text = (ROOT / "specs" / "resnet50.netspec").read_text(encoding="utf-8")
    snapshot = analysed(URI, text, 1)
    seen = []
    for version in range(2, 6):
        snapshot = analysed(URI, text + "\n" * (version % 2), version, snapshot)
        seen.append(snapshot.reparses)
    assert seen == [1, 2, 0, 1]


def test_a_keystroke_after_a_syntax_error_is_reparsed_from_the_last_text_that_parsed(
    monkeypatch,
):
    from netspec.syntax import incremental

    text = (ROOT / "specs" / "resnet50.netspec").read_text(encoding="utf-8")
    typing = text.replace("stage(128, 4)", "stage(128, 4")
    assert typing != text
    good = analysed(URI, text, 1)
    bad = analysed(URI, typing, 2, good)
    assert bad.module is None and [d.code for d in bad.diagnostics] == ["E-unclosed"]
    parsed: list[int] = []
    whole = incremental.parse

    def counted(source):
        parsed.append(len(source.text))
        return whole(source)

    monkeypatch.setattr(incremental, "parse", counted)
    fixed = analysed(URI, text.replace("stage(128, 4)", "stage(128, 5)"), 3, bad)
    assert fixed.module is not None and parsed and max(parsed) < len(text) // 4
    assert shown(fixed.diagnostics) == checked(fixed.text)[0]
