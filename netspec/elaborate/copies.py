"""What the copies of one repeat report (used by :mod:`netspec.elaborate.control`).

Assumes the repeat's copies are elaborated in order into one
:class:`~netspec.elaborate.state.NetworkState` and frame, and that a copy's behaviour
depends only on the frame's stream, names and claimed names when it starts (the body
is the same text each time). Guarantees, through :class:`Copies`:
- one error per source position: an error at the same place (code, span and block call
  sites) as one an earlier copy of this repeat reported is dropped, even when its
  message differs (the first is kept; fixing it shows the next);
- an error first met in a later copy says which: "in copy 4 of 5 of the repeat at
  line 3 (i = 3)"; errors of the first copy read as they always did;
- :meth:`Copies.stalled` is true once two copies in a row have failed identically (no
  layer, no new error, the frame left as the copy before left it), when every further
  copy would too, so a repeat over a broken body or a poisoned stream stops there
  instead of elaborating up to MAX_REPEAT copies (the copies left count nothing against
  MAX_STEPS). A valid network never has a failing copy, so its elaboration (and the
  limits it meets) is unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from netspec.elaborate.frame import Frame
from netspec.elaborate.state import NetworkState
from netspec.errors import Diagnostic
from netspec.syntax import ast


@dataclass(eq=False)
class Copies:
    """The errors and failures of one repeat's copies so far."""

    state: NetworkState
    frame: Frame
    stmt: ast.RepeatStmt
    count: int
    seen: set[tuple] = field(default_factory=set)  # positions of the errors reported
    last: tuple | None = None  # the frame after the last copy, when that copy failed
    index_used: bool | None = None  # does the body mention the repeat index? (lazily)

    def collect(self, index: int, first: int) -> int:
        """Drop the errors of copy `index` (from state.diags[first:]) already reported,
        note the copy on the new ones; the number of errors the copy raised."""
        diags = self.state.diags
        raised = len(diags) - first
        if raised:
            diags[first:] = [self._noted(d, index) for d in diags[first:] if self._new(d)]
        return raised

    def stalled(self, raised: int, kept: int, layers: int) -> bool:
        """True when this copy failed as the one before did and left the frame as it was."""
        stream = self.frame.stream
        failed = raised > 0 or (stream is not None and stream.shape is None)
        if not failed or layers or not self.state.diags:
            self.last = None
            return False
        now = self._snapshot()
        same = not kept and now == self.last
        self.last = now
        return same

    def _new(self, diag: Diagnostic) -> bool:
        key = (diag.code, diag.span, tuple((c.block, c.span) for c in diag.chain))
        if key in self.seen:
            return False
        self.seen.add(key)
        return True

    def _noted(self, diag: Diagnostic, index: int) -> Diagnostic:
        if index == 0:
            return diag
        var = self.stmt.var
        where = f"in copy {index + 1} of {self.count} of the repeat at line {self.stmt.span.line}"
        note = f"{where} ({var} = {index})" if var is not None else where
        return diag._replace(notes=(*diag.notes, note))

    def _snapshot(self) -> tuple:
        """What the next copy starts from: stream, names (the index only when the body
        reads it) and claimed statement names."""
        frame = self.frame
        names = dict(frame.scope.bindings)
        if self.stmt.var is not None and not self._index_used():
            names.pop(self.stmt.var, None)
        return frame.stream, names, dict(frame.bound_by)

    def _index_used(self) -> bool:
        # Textual, so conservative: the index's name as a word anywhere in the body's
        # statements (a nested repeat's own index of that name too) keeps every copy.
        if self.index_used is None:
            word = re.compile(rf"\b{re.escape(self.stmt.var or '')}\b")
            self.index_used = any(word.search(s.span.text()) for s in self.stmt.body)
        return self.index_used
