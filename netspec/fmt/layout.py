"""The printer: the layout tree back to text in the canonical layout.

Assumes the tree of :mod:`netspec.fmt.tree`. Guarantees 4-space indentation, the
spacing of :mod:`netspec.fmt.spacing`, the columns of :mod:`netspec.fmt.align`, one
statement a line, bodies always over several lines, merge bodies on one line
(`add { a | b }`) where the source has them so and they fit, otherwise with `|` two
columns left of the branches; the line breaks the source has inside brackets kept
(continuation lines one column right of the open bracket, or 4 spaces in when the
source broke right after it); bracketed lists that pass the width filled up to it at
commas; every comment on its line (end-of-line ones two spaces after the code); at
most one blank line, one between top-level blocks and networks; no trailing spaces;
one final newline.
"""

from __future__ import annotations

from collections.abc import Sequence

from netspec.fmt.align import extras, runs
from netspec.fmt.spacing import space_between
from netspec.fmt.tokens import Tok
from netspec.fmt.tree import Body, Break, Comment, Group, Item, Merge, Stmt

WIDTH = 100
INDENT = 4
_CLOSED = Tok("RBRACE", "}", 0)  # what spacing sees after a body or merge body


class _Out:
    """Lines being written; `cur` is the open line (None before the first)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.cur: str | None = None

    def newline(self, column: int) -> None:
        if self.cur is not None:
            self.lines.append(self.cur.rstrip())
        self.cur = " " * column

    def blank(self) -> None:
        if self.cur is not None:
            self.lines.append(self.cur.rstrip())
            self.cur = None
        self.lines.append("")

    def put(self, text: str) -> None:
        self.cur = (self.cur or "") + text

    @property
    def column(self) -> int:
        return len(self.cur or "")

    @property
    def fresh(self) -> bool:
        return not (self.cur or "").strip()

    def text(self) -> str:
        lines = self.lines + ([self.cur.rstrip()] if self.cur is not None else [])
        while lines and not lines[-1]:
            lines.pop()
        return "\n".join(lines) + "\n" if lines else ""


def render(items: list[Item], width: int = WIDTH) -> str:
    """The formatted text of a spec's top-level items."""
    _space_declarations(items)
    printer = _Printer(width)
    printer.items(items, 0)
    return printer.out.text()


def _space_declarations(items: list[Item]) -> None:
    """A blank line before and after every block and network (before its comments)."""
    last: int | None = None
    for i, item in enumerate(items):
        if isinstance(item, Comment):
            continue
        if last is None:
            last = i
            continue
        if (_big(items[last]) or _big(item)) and not any(
            x.blank_before for x in items[last + 1 : i + 1]
        ):
            items[last + 1].blank_before = True
        last = i


def _big(item: Item) -> bool:
    first = item.parts[0] if isinstance(item, Stmt) else None
    return isinstance(first, Tok) and first.kind in ("BLOCK", "NETWORK")


class _Printer:
    def __init__(self, width: int | None):
        self.width, self.out = width, _Out()
        self.pads: dict[int, int] = {}
        self.prev: Tok | None = None
        self.before: Tok | None = None
        self.pending: int | None = None  # a comment ended the line: continue at this column
        self.whole = False  # inside a checkpoint's shape: never wrapped

    @property
    def flat(self) -> bool:
        return self.width is None

    # -- measuring ---------------------------------------------------------------

    def measure(self, parts: Sequence[object], in_parens: bool) -> int:
        """The length of `parts` on one line, without alignment."""
        scratch = _Printer(None)
        scratch.out.cur = ""
        scratch.emit(parts, 0, in_parens)
        return scratch.out.column

    def simple(self, stmt: Stmt, indent: int) -> bool:
        """Whether `stmt` takes one line: it may join an aligned run. Its code up to a
        checkpoint fits (a checkpoint's shape is never wrapped, so a line may pass the
        width by its shape alone and still be one line)."""
        if not _one_line(stmt.parts[:-1] if isinstance(stmt.parts[-1], Comment) else stmt.parts):
            return False
        assert self.width is not None
        code = _code(stmt)
        arrow = next((i for i, p in enumerate(code) if getattr(p, "kind", "") == "ARROW"), None)
        return indent + self.measure(code[:arrow], False) <= self.width

    # -- items -------------------------------------------------------------------

    def items(self, items: list[Item], indent: int) -> None:
        if not self.flat:
            assert self.width is not None
            for run in runs(items, lambda s: self.simple(s, indent)):
                self.pads.update(extras(run, indent, self.width, self.measure))
        for i, item in enumerate(items):
            if i and item.blank_before:
                self.out.blank()
            self.out.newline(indent)
            if isinstance(item, Comment):
                self.out.put(item.text)
            else:
                self.statement(item, indent)

    def statement(self, stmt: Stmt, indent: int) -> None:
        self.prev = self.before = None
        self.emit(stmt.parts, indent, False)
        self.pending = None

    # -- parts -------------------------------------------------------------------

    def emit(self, parts: Sequence[object], indent: int, in_parens: bool) -> None:
        for part in parts:
            if isinstance(part, Comment):
                self.comment(part, indent)
                continue
            self.resume()
            if isinstance(part, Tok):
                self.token(part, in_parens)
            elif isinstance(part, Group):
                self.group(part, in_parens)
            elif isinstance(part, Body):
                self.body(part, indent)
            elif isinstance(part, Merge):
                self.merge(part, indent)

    def resume(self) -> None:
        """Start a new line after a comment ended the last one."""
        if self.pending is not None:
            self.out.newline(self.pending)
            self.pending = None

    def comment(self, comment: Comment, column: int) -> None:
        if comment.own_line and not self.out.fresh:
            self.out.newline(column)
        self.out.put(comment.text if self.out.fresh else "  " + comment.text)
        self.pending = column

    def lead(self, part: object, tok: Tok, in_parens: bool) -> None:
        """The spaces before `part`, whose first token is `tok`."""
        if self.out.fresh:
            return
        spaces = int(space_between(self.before, self.prev, tok, in_parens))
        self.out.put(" " * (spaces + self.pads.get(id(part), 0)))

    def token(self, tok: Tok, in_parens: bool) -> None:
        self.lead(tok, tok, in_parens)
        self.out.put(tok.text)
        self.before, self.prev = self.prev, tok

    def group(self, group: Group, outer_parens: bool) -> None:
        # a checkpoint's shape (`-> [N, 64, 56, 56]`) stays whole: wrapped it reads
        # badly, and a long chain may pass the width anyway (no line continuation)
        whole = self.whole or (self.prev is not None and self.prev.text == "->")
        self.whole, was = whole, self.whole
        self.lead(group, group.open, outer_parens)
        base = len(self.out.cur or "") - len((self.out.cur or "").lstrip())
        self.out.put(group.open.text)
        self.before, self.prev = self.prev, group.open
        hanging = bool(group.parts) and isinstance(group.parts[0], Break)
        column = base + INDENT if hanging else self.out.column
        inner = group.open.kind == "LPAR"
        parts = group.parts
        for i, part in enumerate(parts):
            if isinstance(part, Break):
                self.group_break(i == len(parts) - 1, hanging, base, column)
            elif isinstance(part, Comment):
                self.comment(part, column)
            else:
                self.resume()
                if not whole:
                    self.fill(parts, i, column, inner)
                self.emit([part], base, inner)
        if self.pending is not None:
            self.pending = base if hanging else column
        self.resume()
        self.token(group.close, inner)
        self.whole = was

    def group_break(self, last: bool, hanging: bool, base: int, column: int) -> None:
        """A source line break inside brackets: kept, except before the closing
        bracket of a list laid out against its open bracket."""
        if self.flat or self.pending is not None:
            return
        if not last:
            self.out.newline(column)
        elif hanging:
            self.out.newline(base)

    def fill(self, parts: list, i: int, column: int, inner: bool) -> None:
        """Break before the element at `i` where it would pass the width."""
        if self.flat or not (self.prev and self.prev.kind == "COMMA") or self.out.column <= column:
            return
        end = i
        while end < len(parts) and not (isinstance(parts[end], Tok) and parts[end].kind == "COMMA"):
            end += 1
        chunk = self.measure(parts[i:end], inner) + 1
        assert self.width is not None
        if self.out.column + 1 + chunk > self.width:
            self.out.newline(column)

    def body(self, body: Body, indent: int) -> None:
        self.out.put(" {")
        if body.open_comment:
            self.out.put("  " + body.open_comment)
        if body.items or body.open_comment:
            self.items(body.items, indent + INDENT)
            self.out.newline(indent)
        self.out.put("}")
        self.before, self.prev = self.prev, _CLOSED

    def merge(self, merge: Merge, indent: int) -> None:
        if self.flat or (not merge.multiline and self.fits_one_line(merge)):
            self.merge_line(merge)
        else:
            self.merge_lines(merge, indent)
        self.before, self.prev = self.prev, _CLOSED

    def fits_one_line(self, merge: Merge) -> bool:
        if any(b.open_comment or not all(map(_one_line_item, b.items)) for b in merge.branches):
            return False
        assert self.width is not None
        return self.out.column + self.measure([merge], False) <= self.width

    def merge_line(self, merge: Merge) -> None:
        self.out.put(" {")
        for i, branch in enumerate(merge.branches):
            if i:
                self.out.put(" |")
            for item in branch.items:
                self.out.put(" ")
                if isinstance(item, Stmt):
                    self.statement(item, 0)
        self.out.put(" }")

    def merge_lines(self, merge: Merge, indent: int) -> None:
        self.out.put(" {")
        for i, branch in enumerate(merge.branches):
            items = branch.items
            if i:
                self.out.newline(indent + 2)
                self.out.put("|")
            if branch.open_comment:
                self.out.put("  " + branch.open_comment)
            elif i and not branch.bar_newline and items and isinstance(items[0], Stmt):
                self.out.put(" ")
                self.statement(items[0], indent + INDENT)
                items = items[1:]
            self.items(items, indent + INDENT)
        self.out.newline(indent)
        self.out.put("}")


def _code(stmt: Stmt) -> list[object]:
    return [p for p in stmt.parts if not isinstance(p, Comment)]


def _one_line(parts: Sequence[object]) -> bool:
    """Whether `parts` hold nothing that takes a line of its own."""
    for part in parts:
        if isinstance(part, Break | Comment | Body):
            return False
        if isinstance(part, Group) and not _one_line(part.parts):
            return False
        if isinstance(part, Merge) and (part.multiline or not _flat_merge(part)):
            return False
    return True


def _flat_merge(merge: Merge) -> bool:
    return all(not b.open_comment and all(map(_one_line_item, b.items)) for b in merge.branches)


def _one_line_item(item: Item) -> bool:
    return isinstance(item, Stmt) and _one_line(item.parts)
