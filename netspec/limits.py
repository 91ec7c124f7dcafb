"""Hard limits against hostile or runaway input, in one place.

Every E-limit message quotes the limit it hit; docs/language.md ("Limits") lists them.
A leaf module: it imports nothing of netspec.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# Hard limits against hostile input; every E-limit message quotes the one it hit.
# docs/language.md §17 tabulates the lines below (name, value, comment) and
# tests/test_limits_doc.py holds it to them: after a change here, run
# `pytest tests/test_limits_doc.py --update-goldens` to rewrite the table.
MAX_NESTING = 100  # `( )`, `[ ]` and `{ }` inside one another (in a --set value too)
MAX_BLOCK_DEPTH = 200  # block calls inside block calls
MAX_LAYERS = 10_000  # elaborated layers in one network (checked in < 4 s: docs/performance.md)
MAX_REPEAT = 10_000  # copies made by one `repeat` (no more than a network's layers)
MAX_ELEMENTS = 2**40  # elements of one tensor, per sample, N counted as 1 (4 TiB as float32)
MAX_SOURCE_BYTES = 2 * 2**20  # size of one spec file
MAX_TOKENS = 120_000  # tokens of one spec file (~11 a `conv(16, 3, padding=1)` line: ~10,900 lines)
MAX_KERNEL = 2**16  # kernel size along one axis (connection counts walk the taps)
MAX_OPERATORS = 500  # operators in one expression (deep trees would exhaust the stack)
MAX_INT = 2**53  # magnitude of compile-time and --set integers (exact as floats; above any size)
MAX_LIST = 100_000  # items of one list value (`[0] * n` could otherwise exhaust memory)
MAX_STEPS = 300_000  # statements elaborated for one network, each copy a repeat makes included

# Caps on what a diagnostic shows, not limits on the input (not in the docs' table).
MAX_CHAIN_NOTES = 8  # block call sites shown in full; the middle of longer chains is elided
MAX_SHOWN_LINE = 100  # characters of a source line shown around a caret
# Python frames for the recursive stages (tree walk, evaluation, elaboration): the
# limits above bound their depth well below this, so no RecursionError is expected.
RECURSION_LIMIT = 20_000


class _Raised:
    """How many threads are inside deep_recursion, and the limit before the first.

    The recursion limit belongs to the whole process: a thread that restored the old
    limit while another was still deep inside (the language server analyses on a worker
    thread and on the event loop's) would make a RecursionError of a valid spec. The
    limit goes back only when the last thread leaves."""

    lock = threading.Lock()
    holders = 0
    before = 0


@contextmanager
def deep_recursion() -> Iterator[None]:
    """Raise Python's recursion limit to RECURSION_LIMIT for the duration (for every
    thread: the limit is the process's, restored when the last of them is done)."""
    with _Raised.lock:
        if _Raised.holders == 0:
            _Raised.before = sys.getrecursionlimit()
            sys.setrecursionlimit(max(_Raised.before, RECURSION_LIMIT))
        _Raised.holders += 1
    try:
        yield
    finally:
        with _Raised.lock:
            _Raised.holders -= 1
            if _Raised.holders == 0:
                sys.setrecursionlimit(_Raised.before)
