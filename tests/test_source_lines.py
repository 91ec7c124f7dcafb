"""Lines are numbered as the parser numbers them: at newlines only (netspec/source.py).

A form feed, a lone CR or a U+2028 inside a line is not a line break for the grammar
(spaces, or part of a comment or string); str.splitlines() would split there and
misnumber every later line: the diagnostics' source lines, the table's statement texts
and the language server's positions.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from netspec.api import check_text
from netspec.cli.main import main
from netspec.errors import CompileError
from netspec.source import Source, text_lines


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("a\fb\nc\n", ["a\fb", "c"]),
        ("a\r\nb\r\n", ["a", "b"]),
        ("a\rb\n# \u2028 x\n", ["a\rb", "# \u2028 x"]),
        ("a\n\n", ["a", ""]),
        ("a", ["a"]),
        ("", []),
    ],
)
def test_lines_split_at_newlines_only(text: str, lines: list[str]):
    assert text_lines(text) == lines
    assert Source("s", text).lines == tuple(lines)


def test_a_form_feed_leaves_later_lines_where_they_are(tmp_path: Path, capsys):
    spec = tmp_path / "feed.netspec"
    spec.write_text("network N {\n    input x: [1, 3]\f\n    y = relu\n}\n", encoding="utf-8")
    assert main(["check", str(spec)]) == 0  # the table read line 3 as empty and crashed
    assert "y" in capsys.readouterr().out
    with pytest.raises(CompileError) as caught:
        check_text("network N {\n    input x: [1, 3]\f\n    y = conv(3, 3)\n}\n")
    span = caught.value.diagnostics[0].span
    assert (span.line, span.source.line(span.line)) == (3, "    y = conv(3, 3)")
