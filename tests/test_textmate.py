"""The editors' TextMate grammar (editors/netspec.tmLanguage.json) against the language's
own lexer: every spec of the repo, the docs' netspec blocks and random specs are
tokenized with the grammar (tests/textmate.py) and with Lark (grammars/netspec.lark),
and each Lark token must get the scope of its terminal's class: keywords `keyword.`,
`true` / `false` / `none` `constant.language.`, numbers `constant.numeric.`, strings
`string.quoted.`, comments `comment.`, operators `keyword.operator.`, brackets and
separators `punctuation.`, names a name's scope. The classes come from the grammar's
terminals, so a new terminal fails here until it has a scope."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import lru_cache

import pytest
import regex
from lark import Lark
from lark.exceptions import LarkError
from lark.lexer import PatternStr, TerminalDef

from netspec.syntax.parser import _LexLimit as LexLimit  # an unclosed bracket, say
from netspec.syntax.parser import parser
from tests.conftest import ROOT
from tests.spec_strategies import random_network
from tests.textmate import TextMateGrammar, token_scope

GRAMMAR_FILE = ROOT / "editors" / "netspec.tmLanguage.json"
LARK_FILE = ROOT / "grammars" / "netspec.lark"
PUNCTUATION = set("()[]{},:.|")
LANGUAGE_CONSTANTS = {"true", "false", "none"}
# What a name may be: a definition, a reference, a parameter, a constant, a dtype, or a
# soft keyword's word used as a name (`output = linear(10)`).
NAME_SCOPES = ("entity.name.", "variable.", "support.type.dtype.")
# Forms the specs may not show: one line per terminal or rule of grammars/netspec.lark.
COVERAGE = """\
const WIDTH = 2.5e-1 * 4 // 2 % 3
defaults conv(bias=false, mode='same')
block cell(c, out=c * 4) {
    let half = c / 2 + 1 - 0
    param w: [c, half] = none
    repeat 2 as i { relu }
    if not (c >= 2 and c <= 9 or c == 3 or c < 1 or c > 8) { gelu } else if true { silu }
    from in
}
network Tiny(k=1) {
    input image: [N, 3, 8, 8]
    input ids: [N, 5] int64
    a, b = split(2, axis=1) -> [N, in.c, 8, 8]
    output a, b
}
"""


@lru_cache(maxsize=1)
def grammar() -> TextMateGrammar:
    return TextMateGrammar(json.loads(GRAMMAR_FILE.read_text(encoding="utf-8")))


def declared_terminals() -> set[str]:
    """INPUT / OUTPUT / PARAM: the post-lexer's soft keywords, named by `%declare`."""
    [line] = re.findall(r"^%declare (.*)$", LARK_FILE.read_text(), re.M)
    return set(line.split())


def expected_class(term: TerminalDef) -> str | tuple[str, ...] | None:
    """The scope prefix (or prefixes) a token of `term` must get; None: whitespace."""
    value = term.pattern.value
    if term.name == "WS":
        return None
    if term.name in ("COMMENT", "_NL"):  # a newline's text is the comments it swallows
        return "comment.line."
    if isinstance(term.pattern, PatternStr) and value.isalpha():
        return "constant.language." if value in LANGUAGE_CONSTANTS else "keyword."
    if isinstance(term.pattern, PatternStr) and value in PUNCTUATION:
        return "punctuation."
    if term.name in ("COMP_OP", "ADD_OP", "MUL_OP", "EQUAL") or value == "->":
        return "keyword.operator."
    known = {"NAME": NAME_SCOPES, "INT": "constant.numeric.integer."}
    known |= {"FLOAT": "constant.numeric.float.", "STRING": "string.quoted."}
    if term.name in known:
        return known[term.name]
    raise AssertionError(f"terminal {term.name} ({value!r}) has no scope class: add one")


@lru_cache(maxsize=1)
def classes() -> dict[str, str | tuple[str, ...] | None]:
    found = {t.name: expected_class(t) for t in parser().terminals}
    return found | {name: "keyword." for name in declared_terminals()}


@lru_cache(maxsize=1)
def raw_lexer() -> Lark:
    """The grammar's lexer without the post-lexer: it keeps comments and all newlines."""
    return Lark(LARK_FILE.read_text(), parser="lalr", lexer="basic")


def corpus() -> Iterator[tuple[str, str]]:
    """(name, text) of every spec in the repo, the docs' netspec blocks, random specs."""
    files = [*(ROOT / "specs").glob("*.netspec"), *(ROOT / "examples").rglob("*.netspec")]
    files += (ROOT / "tests" / "warnings").glob("*.netspec")
    for path in sorted(files):
        yield str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")
    for doc in sorted((ROOT / "docs").glob("*.md")):
        for i, block in enumerate(re.findall(r"```netspec\n(.*?)```", doc.read_text(), re.S)):
            if lexes(block):  # a block may show a spec that does not lex, on purpose
                yield f"{doc.name} block {i}", block
    for seed in range(12):
        yield f"random_network({seed})", random_network(seed)
    yield "COVERAGE", COVERAGE


def lark_tokens(text: str) -> list[tuple[str, int, str]]:
    """(terminal, offset, text) of every token: the parser's, which has the soft
    keywords, and the raw lexer's comments and newlines, which the parser drops."""
    tokens = [(t.type, t.start_pos, t.value) for t in parser().lex(text)]
    kept = {"COMMENT", "_NL"}
    raw = raw_lexer().lex(text, dont_ignore=True)
    return tokens + [(t.type, t.start_pos, t.value) for t in raw if t.type in kept]


def lexes(text: str) -> bool:
    try:
        lark_tokens(text)
    except (LarkError, LexLimit):
        return False
    return True


CORPUS = dict(corpus())


def mismatches(text: str, tm: TextMateGrammar | None = None) -> list[str]:
    scopes = (tm or grammar()).tokenize(text)
    wrong = []
    for kind, start, value in lark_tokens(text):
        expected = classes()[kind]
        for i, char in enumerate(value, start):
            if expected is None or char.isspace() or (kind == "_NL" and "#" not in value):
                continue
            got = token_scope(scopes[i])
            if not got.startswith(expected):
                line = text.count("\n", 0, i) + 1
                wrong.append(f"line {line}: {kind} {value.strip()!r}: {got}, not {expected}")
                break
    return wrong


def test_the_grammar_is_json_that_names_its_language():
    data = json.loads(GRAMMAR_FILE.read_text(encoding="utf-8"))
    assert data["scopeName"] == "source.netspec"
    assert data["fileTypes"] == ["netspec"]
    assert data["patterns"] and data["repository"]


def all_rules(node: object) -> Iterator[dict]:
    if isinstance(node, dict):
        if any(key in node for key in ("match", "begin", "include")):
            yield node
        for value in node.values():
            yield from all_rules(value)
    elif isinstance(node, list):
        for value in node:
            yield from all_rules(value)


# What Oniguruma reads and Python's regex may read otherwise, or not at all: anchors
# at the search start, atomic groups, possessive quantifiers, \K, back-references,
# conditionals and inline flags.
UNPORTABLE = re.compile(r"\\[GKkAzZ]|\(\?>|[*+?}]\+|\\[1-9]|\(\?\(|\(\?[imx-]+[):]")
# A lookbehind of exactly one character or character class.
ONE_CHAR_LOOKBEHIND = r"\(\?<[=!](?:\[(?:\\.|[^\]\\])*\]|\\.|[^\\()\[|*+?{])\)"


def test_every_pattern_compiles_in_the_shared_subset():
    data = json.loads(GRAMMAR_FILE.read_text(encoding="utf-8"))
    sources = [
        rule[key] for rule in all_rules(data) for key in ("match", "begin", "end") if key in rule
    ]
    assert len(sources) > 30
    for source in sources:
        regex.compile(source)
        re.compile(source)  # the stricter engine: fixed-width lookbehind, no extensions
        assert not UNPORTABLE.search(source), source
        assert "(?<" not in re.sub(ONE_CHAR_LOOKBEHIND, "", source), source


def test_every_include_names_a_rule():
    data = json.loads(GRAMMAR_FILE.read_text(encoding="utf-8"))
    for rule in all_rules(data):
        if "include" in rule:
            assert rule["include"] == "$self" or rule["include"][1:] in data["repository"]


def test_every_terminal_of_the_lark_grammar_has_a_scope_class_and_is_seen():
    """Each terminal gets a class here, and some text of the corpus has one of its tokens,
    so that the scope of every class is tested below."""
    seen = {kind for text in CORPUS.values() for kind, _, _ in lark_tokens(text)}
    assert set(classes()) - {"WS"} <= seen, "add the missing forms to COVERAGE"
    assert declared_terminals() == {"INPUT", "OUTPUT", "PARAM"}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_each_token_gets_its_terminals_scope(name):
    assert mismatches(CORPUS[name]) == []


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_every_character_gets_a_scope_and_none_is_illegal(name):
    text = CORPUS[name]
    for i, scopes in enumerate(grammar().tokenize(text)):
        if text[i].isspace():
            continue
        where = f"{name} line {text.count(chr(10), 0, i) + 1}: {text[i]!r}"
        assert token_scope(scopes) != "source.netspec", where
        assert not token_scope(scopes).startswith("invalid."), where


def scopes_of(text: str, word: str, nth: int = 0) -> str:
    starts = [m.start() for m in re.finditer(re.escape(word), text)]
    return token_scope(grammar().tokenize(text)[starts[nth]])


@pytest.mark.parametrize(
    ("text", "word", "scope"),
    [
        ("block res(width, stride=1) { relu }", "res", "entity.name.function.block."),
        ("block res(width, stride=1) { relu }", "width", "variable.parameter."),
        ("network Net(classes=10) {\n}", "Net", "entity.name.type.network."),
        ("network Net {\n}", "Net", "entity.name.type.network."),
        ("    x = conv(64, 3, stride=2)", "stride", "variable.parameter."),
        ("    x = conv(64, 3, stride=2)", "x", "entity.name.variable.target."),
        ("    x = conv(64, 3, stride=2)", "conv", "entity.name.function.call."),
        ("    a, b = split(2)", "b", "entity.name.variable.target."),
        ("    x = relu -> [N, 64, 8]", "->", "keyword.operator.checkpoint."),
        ("    x = relu -> [N, 64, 8]", "N", "variable.other.constant."),
        ("    input ids: [N, 5] int64", "int64", "support.type.dtype."),
        ("    input ids: [N, 5] int64", "ids", "entity.name.variable.input."),
        ("    output = linear(10)", "output", "entity.name.variable.target."),
        ("    x = if", "if", "keyword.control."),
        ('    x = pad(mode="reflect" # "', '"reflect"', "string.quoted.double."),
        ('    x = pad(mode="reflect" # "', '# "', "comment.line.number-sign."),
        ("    x = conv(3) $", "$", "invalid.illegal."),
        ('    x = "open\n    y = relu', "y", "entity.name.variable.target."),
    ],
)
def test_forms_get_their_scopes(text, word, scope):
    assert scopes_of(text, word).startswith(scope)


def test_a_checkpoint_spans_lines_inside_its_brackets():
    text = "    x = relu -> [N,\n        64]  # c\n    y = gelu"
    assert scopes_of(text, "64").startswith("constant.numeric.")
    assert "meta.checkpoint.netspec" in grammar().tokenize(text)[text.index("64")]
    assert "meta.checkpoint.netspec" not in grammar().tokenize(text)[text.index("y")]


def test_the_tokenizer_can_fail():
    """A scope the grammar gets wrong shows up as a mismatch."""
    data = json.loads(GRAMMAR_FILE.read_text(encoding="utf-8"))
    data["repository"]["number"]["patterns"][1]["name"] = "string.quoted.oops.netspec"
    [wrong] = mismatches("const K = 3", TextMateGrammar(data))
    assert wrong == "line 1: INT '3': string.quoted.oops.netspec, not constant.numeric.integer."
