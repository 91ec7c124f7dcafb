"""Source text and positions.

A :class:`Source` is one file's text; a :class:`Span` is a 1-based line/column range in
it. Every AST node and IR node carries a Span so that any diagnostic can point back at
the text the user wrote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


def text_lines(text: str) -> list[str]:
    """The lines of `text` as the parser numbers them: split at each newline (a CR before
    it dropped), none after a final newline. Not str.splitlines(), which also splits at
    form feeds, lone CRs and other characters the grammar reads as spaces or as part of
    a comment or string, and so would misnumber every line after one."""
    lines = [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]
    if lines and not lines[-1] and text.endswith("\n"):
        lines.pop()
    return lines if text else []


@dataclass(frozen=True, eq=False)
class Source:
    """The text of one spec file and the name used to refer to it in messages."""

    name: str
    text: str
    lines: tuple[str, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "lines", tuple(text_lines(self.text)))

    @classmethod
    def from_path(cls, path: str | Path) -> Source:
        return cls(str(path), Path(path).read_text(encoding="utf-8"))

    def line(self, number: int) -> str:
        """The text of 1-based line `number`, or '' past the end."""
        return self.lines[number - 1] if 0 < number <= len(self.lines) else ""


@dataclass(frozen=True)
class Span:
    """A range of source text: start and end line/column, 1-based, end exclusive."""

    source: Source = field(compare=False, repr=False)
    line: int
    column: int
    end_line: int
    end_column: int

    @property
    def location(self) -> str:
        return f"{self.source.name}:{self.line}:{self.column}"

    def text(self) -> str:
        """The spanned text when it lies on one line (used in messages)."""
        if self.line != self.end_line:
            return self.source.line(self.line)[self.column - 1 :].strip()
        return self.source.line(self.line)[self.column - 1 : self.end_column - 1]

    def until(self, other: Span) -> Span:
        """The span from the start of self to the end of other."""
        return Span(self.source, self.line, self.column, other.end_line, other.end_column)
