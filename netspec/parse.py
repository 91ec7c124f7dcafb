"""Text -> AST. The only module that knows Lark and where the grammar file lives.

Assumes UTF-8 text. Guarantees: either a :class:`netspec.ast.Module` whose every node
has a span, or a :class:`CompileError` with a positioned E-syntax / E-unclosed /
E-limit diagnostic. The grammar is LALR(1) with a basic lexer; :class:`_PostLexer`
handles what makes the language line-based (see grammars/netspec.lark).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from netspec import ast
from netspec._ast_builder import build_module
from netspec.errors import MAX_NESTING, MAX_SOURCE_BYTES, CompileError, error
from netspec.source import Source, Span

_OPENERS = {"LBRACE": "RBRACE", "LPAR": "RPAR", "LSQB": "RSQB"}
_CLOSERS = {v: k for k, v in _OPENERS.items()}
_SYMBOL = {"LBRACE": "{", "RBRACE": "}", "LPAR": "(", "RPAR": ")", "LSQB": "[", "RSQB": "]"}
# A newline next to these is never a statement separator.
_NL_AFTER = {"LBRACE", "VBAR", "_NL"}
_NL_BEFORE = {"RBRACE", "VBAR", "ELSE"}
_SOFT_KEYWORDS = {"input": "INPUT", "output": "OUTPUT"}


def grammar_path() -> Path:
    """The grammar file: inside an installed wheel, or at the top of a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_data" / "grammars", here.parent / "grammars"):
        if (candidate / "netspec.lark").is_file():
            return candidate / "netspec.lark"
    raise FileNotFoundError("grammars/netspec.lark is missing from this netspec install")


@lru_cache(maxsize=1)
def parser() -> Lark:
    return Lark(
        grammar_path().read_text(encoding="utf-8"),
        parser="lalr",
        lexer="basic",
        postlex=_PostLexer(),
        propagate_positions=True,
        maybe_placeholders=True,
        # The LALR tables are cached in the temp directory, keyed by a hash of the
        # grammar and options: building them costs ~0.2 s, loading ~0.02 s.
        cache=True,
    )


def parse(source: Source) -> ast.Module:
    """Parse one spec file into an AST, or raise CompileError."""
    if len(source.text.encode("utf-8")) > MAX_SOURCE_BYTES:
        raise error("E-limit", f"spec file is larger than the limit of {MAX_SOURCE_BYTES} bytes",
                    None, "split it into smaller files")
    try:
        tree = parser().parse(source.text)
    except UnexpectedInput as exc:
        raise _syntax_error(source, exc) from None
    except _NestingError as exc:
        raise exc.to_compile_error(source) from None
    try:
        return build_module(tree, source)
    except RecursionError:
        raise error("E-limit", "expression nested too deeply to parse", None,
                    f"split it into `let` steps; nesting is limited to {MAX_NESTING} levels") from None


class _NestingError(Exception):
    def __init__(self, kind: str, token: Token, other: Token | None = None):
        self.kind, self.token, self.other = kind, token, other

    def to_compile_error(self, source: Source) -> CompileError:
        span = _token_span(source, self.token)
        sym = _SYMBOL.get(self.token.type, str(self.token))
        if self.kind == "deep":
            return error("E-limit", f"brackets nested more than {MAX_NESTING} deep", span,
                         "flatten the spec: use blocks or `let` for intermediate values")
        if self.kind == "unclosed":
            return error("E-unclosed", f"unclosed '{sym}'", span,
                         f"add the matching '{_SYMBOL[_OPENERS[self.token.type]]}'", label="opened here")
        expected = _SYMBOL[_OPENERS[self.other.type]] if self.other else None
        notes = [f"'{_SYMBOL[self.other.type]}' opened at {_token_span(source, self.other).location}"] if self.other else []
        hint = f"close it with '{expected}' first" if expected else "remove it"
        return error("E-unclosed", f"unexpected '{sym}'", span, hint, notes=notes)


class _PostLexer:
    """Drops the newlines that do not separate statements; resolves soft keywords."""

    always_accept = ("_NL", "NAME")

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        tokens = list(stream)
        stack: list[Token] = []
        out: list[Token] = []
        for i, tok in enumerate(tokens):
            kind = tok.type
            if kind in _OPENERS:
                stack.append(tok)
                if len(stack) > MAX_NESTING:
                    raise _NestingError("deep", tok)
            elif kind in _CLOSERS:
                if not stack or stack[-1].type != _CLOSERS[kind]:
                    raise _NestingError("mismatch", tok, stack[-1] if stack else None)
                stack.pop()
            if kind == "_NL":
                inside_parens = stack and stack[-1].type != "LBRACE"
                nxt = tokens[i + 1].type if i + 1 < len(tokens) else "$END"
                prev = out[-1].type if out else "_NL"
                if inside_parens or prev in _NL_AFTER or nxt in _NL_BEFORE or nxt == "$END":
                    continue
            elif kind == "NAME" and tok.value in _SOFT_KEYWORDS:
                nxt = tokens[i + 1] if i + 1 < len(tokens) else None
                if nxt is not None and nxt.type == "NAME":
                    tok = Token.new_borrow_pos(_SOFT_KEYWORDS[tok.value], tok.value, tok)
            out.append(tok)
        if stack:
            raise _NestingError("unclosed", stack[-1])
        yield from out


def _token_span(source: Source, tok: Token) -> Span:
    end_line = tok.end_line or tok.line
    end_col = tok.end_column or (tok.column + max(1, len(str(tok))))
    return Span(source, tok.line, tok.column, end_line, end_col)


_READABLE = {
    "NAME": "a name", "INT": "an integer", "FLOAT": "a number", "STRING": "a string",
    "_NL": "a new line", "$END": "the end of the file", "LPAR": "'('", "RPAR": "')'",
    "LSQB": "'['", "RSQB": "']'", "LBRACE": "'{'", "RBRACE": "'}'", "COMMA": "','",
    "EQUAL": "'='", "COLON": "':'", "VBAR": "'|'", "COMP_OP": "a comparison",
    "__ANON_0": "'->'",
}


def _describe(kind: str, value: str | None = None) -> str:
    if kind in _READABLE:
        return _READABLE[kind]
    if value is not None and kind not in ("NAME",):
        return f"'{value}'"
    return kind.lower()


def _syntax_error(source: Source, exc: UnexpectedInput) -> CompileError:
    if isinstance(exc, UnexpectedCharacters):
        span = Span(source, exc.line, exc.column, exc.line, exc.column + 1)
        char = source.line(exc.line)[exc.column - 1 : exc.column]
        return error("E-syntax", f"unexpected character '{char}'", span,
                     "names are letters, digits and '_'; strings are quoted")
    assert isinstance(exc, UnexpectedToken)
    tok = exc.token
    if tok.type == "$END":
        last = len(source.lines) or 1
        col = len(source.line(last)) + 1
        span = Span(source, last, col, last, col + 1)
    else:
        span = _token_span(source, tok)
    expected = sorted(exc.expected - {"$END"} if tok.type != "$END" else exc.expected)
    found = "the end of the file" if tok.type == "$END" else _describe(tok.type, str(tok))
    if tok.type == "_NL":
        found = "the end of the line"
    return error("E-syntax", f"unexpected {found}", span, _syntax_hint(tok, set(exc.expected)),
                 notes=[_expected_note(expected)] if expected else [])


def _syntax_hint(tok: Token, expected: set[str]) -> str:
    if tok.type == "COLON" and "EQUAL" in expected:
        return "use '=' here, not ':' (arguments are key=value; ':' only follows an input's name)"
    if tok.type == "COLON":
        return "':' only follows an input's name: input x: [N, 3, 32, 32]"
    if tok.type == "EQUAL" and "COMP_OP" in expected:
        return "to compare, write '=='"
    if tok.type == "_NL" and "RPAR" in expected:
        return "close the argument list with ')'"
    if tok.type == "NAME" and "_NL" in expected:
        return "put each statement on its own line"
    if tok.type == "LBRACE":
        return "a '{' body follows block, network, repeat, if/else, or a merge such as add / concat"
    return ""


def _expected_note(expected: list[str]) -> str:
    words = sorted({_describe(e) for e in expected})
    if len(words) > 8:
        words = words[:8] + ["..."]
    return "expected " + ", ".join(words)
