"""Lark's syntax errors -> positioned E-syntax diagnostics (used only by netspec.syntax.parser).

Assumes a lark UnexpectedCharacters / UnexpectedToken and the grammar's terminals.
Guarantees one CompileError with a span, a message naming what was found, a help line
chosen from the context (what the grammar expected there) and a note listing what
was expected, with operands and operators grouped so the list stays readable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.lexer import PatternStr, TerminalDef

from netspec.errors import CompileError, error
from netspec.source import Source, Span
from netspec.suggest import did_you_mean

# Terminals that continue an expression (the post-lexer counts them, too).
OPERATORS = {"ADD_OP", "MUL_OP", "COMP_OP", "OR", "AND", "NOT", "DOT", "LSQB"}


def token_span(source: Source, tok: Token) -> Span:
    """The span of one token."""
    end_line = tok.end_line or tok.line
    end_col = tok.end_column or (tok.column + max(1, len(str(tok))))
    return Span(source, tok.line, tok.column, end_line, end_col)


_WORDS = {
    "NAME": "a name",
    "INT": "an integer",
    "FLOAT": "a number",
    "STRING": "a string",
    "_NL": "the end of the line",
    "$END": "the end of the file",
    "COMP_OP": "a comparison",
    "INPUT": "'input'",
    "OUTPUT": "'output'",
    "PARAM": "'param'",
    "ADD_OP": "'+' or '-'",
    "MUL_OP": "'*', '/', '//' or '%'",
}
_OPERANDS = {
    "NAME", "INT", "FLOAT", "STRING", "TRUE", "FALSE", "NONE", "LSQB", "LPAR", "ADD_OP", "NOT"
}  # fmt: skip
# Terminal name -> literal text of the grammar's fixed tokens ('->', 'let', ...).
_LITERALS: dict[str, str] = {}


def _describe(kind: str) -> str:
    if kind in _WORDS:
        return _WORDS[kind]
    literal = _LITERALS.get(kind)
    return f"'{literal}'" if literal is not None else kind.lower()


def _found(tok: Token) -> str:
    if tok.type == "NAME":
        return f"name '{tok}'"
    if tok.type in ("INT", "FLOAT"):
        return f"number {tok}"
    if tok.type == "STRING":
        return f"string {tok}"
    if tok.type in ("_NL", "$END"):
        return _WORDS[tok.type].removeprefix("the ")
    return _describe(tok.type)


def syntax_error(
    source: Source, exc: UnexpectedInput, terminals: Iterable[TerminalDef]
) -> CompileError:
    """The diagnostic for a lark syntax error in `source`."""
    if not _LITERALS:
        _LITERALS.update(
            (t.name, t.pattern.value) for t in terminals if isinstance(t.pattern, PatternStr)
        )
    if isinstance(exc, UnexpectedCharacters):
        span = Span(source, exc.line, exc.column, exc.line, exc.column + 1)
        char = source.line(exc.line)[exc.column - 1 : exc.column]
        return error("E-syntax", f"unexpected character '{char}'", span, _char_hint(char))
    assert isinstance(exc, UnexpectedToken)
    tok = exc.token
    if tok.type == "$END":
        last = len(source.lines) or 1
        col = len(source.line(last)) + 1
        span = Span(source, last, col, last, col + 1)
    else:
        span = token_span(source, tok)
    expected = set(exc.expected) - ({"$END"} if tok.type != "$END" else set())
    typo = _for_loop(source, span) or _keyword_typo(source, span)
    if typo is not None:
        return typo
    return error(
        "E-syntax",
        f"unexpected {_found(tok)}",
        span,
        _syntax_hint(tok, expected),
        notes=[_expected_note(expected)] if expected else [],
    )


KEYWORDS = (
    "const",
    "defaults",
    "block",
    "network",
    "let",
    "repeat",
    "if",
    "else",
    "from",
    "input",
    "output",
    "as",
)
_FIRST_WORD = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)")


def _keyword_typo(source: Source, span: Span) -> CompileError | None:
    """`repeet 3 { ... }`, `netwrk B { }`: the line starts with a misspelt keyword."""
    from netspec.ops import REGISTRY  # only on this error path

    line = source.line(span.line)
    match = _FIRST_WORD.match(line)
    if match is None or match.group(1) in KEYWORDS or match.group(1) in REGISTRY:
        return None
    after = line[match.end(1) :].lstrip()
    if match.start(1) + 1 > span.column or (after.startswith("=") and after[1:2] != "="):
        return None  # the error comes before the word, or the word names a statement
    hint = did_you_mean(match.group(1), KEYWORDS)
    if not hint:
        return None
    start = match.start(1) + 1
    word = Span(source, span.line, start, span.line, start + len(match.group(1)))
    return error("E-syntax", f"'{match.group(1)}' is not a keyword", word, hint)


_FOR = re.compile(r"(\s*)(for\s+([A-Za-z_]\w*)\s+in\s+(.*?))\s*(\{.*)?$")
_RANGE = re.compile(r"range\((.*)\)$")


def _for_loop(source: Source, span: Span) -> CompileError | None:
    """`for i in 3 {` or `for i in range(3) {`: Python's loop, which netspec writes
    `repeat 3 as i {` (the body sees i = 0, 1, 2)."""
    match = _FOR.match(source.line(span.line))
    if match is None:
        return None
    var, count = match.group(3), match.group(4)
    ranged = _RANGE.match(count)
    count = ranged.group(1) if ranged else count
    start = len(match.group(1)) + 1
    where = Span(source, span.line, start, span.line, start + len(match.group(2)))
    hint = f"netspec repeats a body with `repeat {count} as {var} {{ ... }}` ({var} = 0, 1, ...)"
    return error("E-syntax", "there is no `for` loop in netspec", where, hint)


def _char_hint(char: str) -> str:
    if char in "\"'":
        return "close the string on the same line it starts"
    if char == "=" or char == "!":
        return "comparisons are == != < <= > >=; arguments are key=value"
    return "names are letters, digits and '_'; strings are quoted; comments start with #"


_STATEMENT_START = {"INPUT", "PARAM", "LET", "REPEAT", "IF", "FROM", "OUTPUT"}
_HINTS = {
    "VBAR": "'|' separates the branches of a merge: add { a | b }",
    "ELSE": "'else' follows the closing '}' of an if",
    "ARROW": "'->' ends a statement with its expected shape: conv(16, 3) -> [N, 16, 30, 30]",
}


def _syntax_hint(tok: Token, expected: set[str]) -> str:
    kind = "ARROW" if str(tok) == "->" else tok.type
    if kind == "COLON":
        if "EQUAL" in expected:
            return (
                "use '=' here, not ':' (arguments are key=value; ':' only follows an input's name)"
            )
        return "':' only follows an input's name: input x: [N, 3, 32, 32]"
    if kind == "EQUAL" and "COMP_OP" in expected:
        return "to compare, write '=='"
    if "COLON" in expected and "INPUT" not in expected:
        return "declare inputs as `input name: [dims]`"
    if expected <= {"CONST", "DEFAULTS", "BLOCK", "NETWORK", "_NL"}:
        return "a file holds const, defaults, block and network definitions, one per line"
    if expected == {"NAME"}:
        return "a name is needed here"
    if expected & _OPERANDS and kind in (
        "_NL",
        "$END",
        "RPAR",
        "RSQB",
        "RBRACE",
        "COMMA",
        "LBRACE",
        "ARROW",
    ):
        return "a value is missing here: finish the expression"
    if expected & _STATEMENT_START and "RBRACE" not in expected:
        return (
            "a statement starts with an op or block, `name =`, let, repeat, if, from, input "
            "or output"
        )
    if kind in _HINTS:
        return _HINTS[kind]
    if kind == "LBRACE":
        return "a '{' body follows block, network, repeat, if/else, or a merge such as add / concat"
    if kind in OPERATORS:
        return "expressions belong in arguments, `let`, `const`, repeat counts and if conditions"
    if "_NL" in expected or "RBRACE" in expected:
        return "put each statement on its own line; stages of a chain are separated by spaces"
    return "compare the line with the syntax in docs/language.md"


def _expected_note(expected: set[str]) -> str:
    rest, groups = set(expected), []
    if len(rest & {"NAME", "INT", "FLOAT", "STRING"}) >= 2:
        rest -= _OPERANDS
        groups.append("a value")
    if len(rest & OPERATORS) >= 3:
        rest -= OPERATORS
        groups.append("an operator")
    words = sorted({_describe(e) for e in rest})
    if len(words) > 8:
        words = words[:8] + ["..."]
    words += groups
    if len(words) == 1:
        return f"expected {words[0]}"
    return "expected " + ", ".join(words[:-1]) + " or " + words[-1]
