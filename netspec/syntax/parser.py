"""Text -> AST. The only module that knows Lark and where the grammar file lives.

Assumes UTF-8 text. Guarantees: either a :class:`netspec.syntax.ast.Module` whose every node
has a span, or a :class:`CompileError` with a positioned E-syntax / E-unclosed /
E-limit diagnostic. The grammar is LALR(1) with a basic lexer; :class:`_PostLexer`
handles what makes the language line-based (see grammars/netspec.lark).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from lark import Lark, Token
from lark.exceptions import UnexpectedInput

from netspec.errors import CompileError, error
from netspec.limits import (
    MAX_INT,
    MAX_NESTING,
    MAX_OPERATORS,
    MAX_SOURCE_BYTES,
    MAX_TOKENS,
    deep_recursion,
)
from netspec.resources import shipped
from netspec.source import Source, Span
from netspec.syntax import ast
from netspec.syntax.builder import build_module
from netspec.syntax.errors import OPERATORS, syntax_error, token_span

_OPENERS = {"LBRACE": "RBRACE", "LPAR": "RPAR", "LSQB": "RSQB"}
_CLOSERS = {v: k for k, v in _OPENERS.items()}
_SYMBOL = {"LBRACE": "{", "RBRACE": "}", "LPAR": "(", "RPAR": ")", "LSQB": "[", "RSQB": "]"}
# A newline next to these is never a statement separator.
_NL_AFTER = {"LBRACE", "VBAR", "_NL"}
_NL_BEFORE = {"RBRACE", "VBAR", "ELSE"}
_SOFT_KEYWORDS = {"input": "INPUT", "output": "OUTPUT", "param": "PARAM"}


def grammar_path() -> Path:
    """The grammar file: inside an installed wheel, or at the top of a source checkout."""
    folder = shipped("grammars")
    if folder is None or not (folder / "netspec.lark").is_file():
        raise FileNotFoundError("grammars/netspec.lark is missing from this netspec install")
    return folder / "netspec.lark"


@lru_cache(maxsize=1)
def parser() -> Lark:
    return Lark(
        grammar_path().read_text(encoding="utf-8"),
        parser="lalr",
        lexer="basic",
        postlex=_PostLexer(),
        propagate_positions=True,
        maybe_placeholders=True,
        # Building the LALR tables costs ~0.2 s, loading them ~0.02 s. lark checks a hash
        # of the grammar and options stored in the file before using it.
        cache=_cache_file() or False,
    )


def _cache_file() -> str | None:
    """A per-user cache file for the parser tables (not a shared temp directory, where
    another user could plant a file that lark would unpickle); None if not writable."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "netspec")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
    except OSError:
        return None
    if not os.access(folder, os.W_OK):
        return None
    return os.path.join(folder, "netspec-parser.lark-cache")


def parse(source: Source) -> ast.Module:
    """Parse one spec file into an AST, or raise CompileError."""
    if len(source.text.encode("utf-8")) > MAX_SOURCE_BYTES:
        raise error(
            "E-limit",
            f"spec file is larger than the limit of {MAX_SOURCE_BYTES} bytes",
            None,
            "split it into smaller files",
        )
    try:
        tree = parser().parse(source.text)
    except UnexpectedInput as exc:
        raise syntax_error(source, exc, parser().terminals) from None
    except _LexLimit as exc:
        raise exc.to_compile_error(source) from None
    try:
        with deep_recursion():
            return build_module(tree, source)
    except RecursionError:  # not expected: the limits of the post-lexer bound the depth
        raise error(
            "E-limit",
            "the spec nests too deeply to parse",
            None,
            f"nesting is limited to {MAX_NESTING} levels",
        ) from None


class _LexLimit(Exception):
    """Raised by the post-lexer: nesting or expression size beyond a limit, or a stray bracket."""

    def __init__(self, kind: str, token: Token, other: Token | None = None):
        self.kind, self.token, self.other = kind, token, other

    def to_compile_error(self, source: Source) -> CompileError:
        span = token_span(source, self.token)
        if self.kind in ("deep", "operators", "number", "tokens"):
            message, hint = self._limit()
            return error("E-limit", message, span, hint)
        return self._bracket(source, span)

    def _limit(self) -> tuple[str, str]:
        """Message and help of an E-limit."""
        if self.kind == "deep":
            return (
                f"brackets nested more than {MAX_NESTING} deep",
                "flatten the spec: use blocks or `let` for intermediate values",
            )
        if self.kind == "tokens":
            return (
                f"spec is longer than the limit of {MAX_TOKENS:,} tokens",
                "split it into several files, or use blocks and repeat for long stacks",
            )
        if self.kind == "operators":
            return (
                f"expression has more than {MAX_OPERATORS} operators",
                "split it into `let` steps, or build lists with `*` and `+`",
            )
        if self.token.type == "INT":
            return (
                f"integer {_short(str(self.token))} is larger than the limit of 2^53",
                "netspec's numbers count channels, sizes and repeats",
            )
        return (
            f"number {_short(str(self.token))} is too large to represent",
            "write a finite number (floats go up to about 1.8e308)",
        )

    def _bracket(self, source: Source, span: Span) -> CompileError:
        """An unclosed, unopened or mismatched bracket."""
        sym = _SYMBOL[self.token.type]
        if self.kind == "unclosed":
            closer = _SYMBOL[_OPENERS[self.token.type]]
            return error("E-unclosed", f"unclosed '{sym}'", span, f"add the matching '{closer}'",
                         label="opened here")  # fmt: skip
        if self.other is None:
            opener = _SYMBOL[_CLOSERS[self.token.type]]
            return error("E-unclosed", f"unexpected '{sym}': nothing is open here", span,
                         f"remove it, or add the '{opener}' it closes")  # fmt: skip
        other, expected = _SYMBOL[self.other.type], _SYMBOL[_OPENERS[self.other.type]]
        return error(
            "E-unclosed",
            f"'{sym}' does not match '{other}'",
            span,
            f"close the '{other}' with '{expected}' first",
            notes=[f"'{other}' opened at {token_span(source, self.other).location}"],
            label=f"expected '{expected}'",
        )


class _PostLexer:
    """Drops the newlines that do not separate statements; resolves soft keywords.

    Also enforces the limits that keep later recursive stages safe: bracket nesting
    (MAX_NESTING) and operators per expression (MAX_OPERATORS), each raising _LexLimit
    at the token that crossed the limit.
    """

    always_accept = ("_NL", "NAME")

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        tokens = []
        for tok in stream:
            tokens.append(tok)
            if len(tokens) > MAX_TOKENS:  # stop lexing early: parsing costs ~25 us a token
                raise _LexLimit("tokens", tok)
        stack: list[Token] = []
        out: list[Token] = []
        operators = 0
        for i, tok in enumerate(tokens):
            _track_brackets(tok, stack)
            if tok.type in _EXPR_BREAKS or tok.value == "->":
                operators = 0
            elif tok.type in OPERATORS:
                operators += 1
            if operators > MAX_OPERATORS:
                raise _LexLimit("operators", tok)
            if tok.type == "INT" and (len(tok.value) > 17 or int(tok.value) > MAX_INT):
                raise _LexLimit("number", tok)
            if tok.type == "FLOAT" and not math.isfinite(float(tok.value)):
                raise _LexLimit("number", tok)
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            if tok.type == "_NL" and _drop_newline(stack, out, nxt):
                continue
            out.append(_soft_keyword(tok, nxt))
        if stack:
            raise _LexLimit("unclosed", stack[-1])
        yield from out


# Tokens that end an expression (the operator count restarts) and tokens that deepen one.
_EXPR_BREAKS = {"_NL", "COMMA", "LBRACE", "RBRACE", "VBAR", "EQUAL", "COLON"}  # and '->'


def _track_brackets(tok: Token, stack: list[Token]) -> None:
    if tok.type in _OPENERS:
        stack.append(tok)
        if len(stack) > MAX_NESTING:
            raise _LexLimit("deep", tok)
    elif tok.type in _CLOSERS:
        if not stack or stack[-1].type != _CLOSERS[tok.type]:
            raise _LexLimit("mismatch", tok, stack[-1] if stack else None)
        stack.pop()


def _drop_newline(stack: list[Token], out: list[Token], nxt: Token | None) -> bool:
    """Whether a newline is not a statement separator (see the module docstring)."""
    inside_parens = bool(stack) and stack[-1].type != "LBRACE"
    prev = out[-1].type if out else "_NL"
    return inside_parens or prev in _NL_AFTER or nxt is None or nxt.type in _NL_BEFORE


def _soft_keyword(tok: Token, nxt: Token | None) -> Token:
    if (
        tok.type == "NAME"
        and tok.value in _SOFT_KEYWORDS
        and nxt is not None
        and nxt.type == "NAME"
    ):
        return Token.new_borrow_pos(_SOFT_KEYWORDS[tok.value], tok.value, tok)
    return tok


def _short(text: str) -> str:
    return text if len(text) <= 24 else f"{text[:10]}...{text[-10:]} ({len(text)} digits)"
