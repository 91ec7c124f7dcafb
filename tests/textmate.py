"""A small TextMate tokenizer for testing editors/netspec.tmLanguage.json.

Assumes a grammar that uses only `match` rules (with `name` and `captures`), `begin` /
`end` rules (with `name`, `beginCaptures`, `endCaptures`, `patterns`) and includes of
`#repository-key` or `$self`; no back-references from `end` to `begin`, no
`applyEndPatternLast`, no `contentName`. Guarantees the scopes of every character of a
text as an editor would give them: lines are matched one at a time with their newline,
as vscode-textmate feeds them, and at each position the earliest match wins, the active
rule's `end` before its patterns and otherwise the first pattern in order.

The patterns are run by Python's `regex` package, which reads the subset of Oniguruma
the grammar keeps to (tests/test_textmate.py checks that subset).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import regex

Rule = dict[str, Any]
Scopes = tuple[str, ...]


@dataclass(frozen=True)
class _Frame:
    """An open begin/end rule (or the grammar itself) and the scopes inside it."""

    rule: Rule
    scopes: Scopes


class TextMateGrammar:
    """A grammar's rules, with includes resolved and patterns compiled once."""

    def __init__(self, data: Rule) -> None:
        self.data = data
        self._compiled: dict[str, regex.Pattern[str]] = {}
        self._rules: dict[int, list[Rule]] = {}

    def pattern(self, source: str) -> regex.Pattern[str]:
        if source not in self._compiled:
            self._compiled[source] = regex.compile(source)
        return self._compiled[source]

    def rules(self, owner: Rule) -> list[Rule]:
        """The match and begin rules of `owner`'s patterns, includes expanded in order."""
        if id(owner) not in self._rules:
            found: list[Rule] = []
            for rule in owner.get("patterns", []):
                self._expand(rule, found, set())
            self._rules[id(owner)] = found
        return self._rules[id(owner)]

    def _expand(self, rule: Rule, found: list[Rule], seen: set[str]) -> None:
        include = rule.get("include")
        if include is None:
            if "match" in rule or "begin" in rule:
                found.append(rule)
            for inner in [] if "begin" in rule else rule.get("patterns", []):
                self._expand(inner, found, seen)
            return
        if include in seen:  # a cycle of includes adds nothing new
            return
        target = self.data if include == "$self" else self.data["repository"][include[1:]]
        for inner in target.get("patterns", []) if include == "$self" else [target]:
            self._expand(inner, found, seen | {include})

    def tokenize(self, text: str) -> list[Scopes]:
        """The scopes of each character of `text` (whitespace gets the enclosing ones)."""
        stack = [_Frame(self.data, (self.data["scopeName"],))]
        scopes: list[Scopes] = []
        for line in text.split("\n"):
            scopes.extend(self._line(line + "\n", stack))
        return scopes[: len(text)]

    def _line(self, line: str, stack: list[_Frame]) -> list[Scopes]:
        out: list[Scopes | None] = [None] * len(line)
        pos = 0
        while pos <= len(line):
            frame = stack[-1]
            found = self._earliest(line, pos, frame)
            if found is None:
                break
            kind, rule, m = found
            self._fill(out, pos, m.start(), frame.scopes)
            if kind == "end":
                self._paint(out, m, frame.scopes, rule.get("endCaptures", {}))
                stack.pop()
            elif kind == "match":
                inner = _with(frame.scopes, rule.get("name"))
                self._paint(out, m, inner, rule.get("captures", {}))
            else:
                inner = _with(frame.scopes, rule.get("name"))
                self._paint(out, m, inner, rule.get("beginCaptures", {}))
                stack.append(_Frame(rule, inner))
            if m.end() == m.start() and kind != "end":
                raise ValueError(f"empty match of {rule} at {pos} in {line!r}")
            pos = m.end()
        self._fill(out, pos, len(line), stack[-1].scopes)
        return [s if s is not None else stack[0].scopes for s in out]

    def _earliest(
        self, line: str, pos: int, frame: _Frame
    ) -> tuple[str, Rule, regex.Match[str]] | None:
        best: tuple[str, Rule, regex.Match[str]] | None = None
        candidates = [("end", frame.rule, frame.rule["end"])] if "end" in frame.rule else []
        for rule in self.rules(frame.rule):
            kind = "begin" if "begin" in rule else "match"
            candidates.append((kind, rule, rule[kind]))
        for kind, rule, source in candidates:
            m = self.pattern(source).search(line, pos)
            # strictly earlier only: on a tie the end, then the earlier pattern, wins
            if m is not None and (best is None or m.start() < best[2].start()):
                best = (kind, rule, m)
        return best

    @staticmethod
    def _fill(out: list[Scopes | None], start: int, end: int, scopes: Scopes) -> None:
        for i in range(start, min(end, len(out))):
            if out[i] is None:
                out[i] = scopes

    @staticmethod
    def _paint(
        out: list[Scopes | None], m: regex.Match[str], scopes: Scopes, captures: Rule
    ) -> None:
        for i in range(m.start(), m.end()):
            out[i] = scopes
        for group in sorted(captures, key=int):
            start, end = m.span(int(group))
            for i in range(max(start, 0), end):
                out[i] = _with(out[i] or scopes, captures[group].get("name"))


def _with(scopes: Scopes, name: str | None) -> Scopes:
    return scopes + (name,) if name else scopes


def token_scope(scopes: Scopes) -> str:
    """The innermost scope that says what a character is: not a `meta.` region, and for
    a string's quotes or a comment's `#` the string or comment they delimit."""
    for scope in reversed(scopes):
        if not scope.startswith(("meta.", "punctuation.definition.")):
            return scope
    return scopes[0]
