"""'Did you mean' for misspelt names: ops, arguments, blocks, layers, networks.

Guarantees case-insensitive matches ranked by similarity, at most three, and a help line
that is empty when nothing is close enough to be worth saying.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def close_matches(word: str, candidates: Iterable[str]) -> list[str]:
    """The candidates most like `word` (case-insensitive): the best, and any nearly as good."""
    scored = []
    for candidate in sorted(set(candidates)):
        ratio = difflib.SequenceMatcher(None, word.lower(), candidate.lower()).ratio()
        if ratio >= 0.6:
            scored.append((-ratio, candidate))
    scored.sort()
    if not scored:
        return []
    best = -scored[0][0]
    return [c for r, c in scored[:3] if -r >= best - 0.1]


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """A 'did you mean' help line, or '' when nothing is close."""
    close = close_matches(word, candidates)
    if not close:
        return ""
    return "did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
