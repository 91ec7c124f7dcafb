"""The Vim / Neovim runtime files (editors/vim/): the syntax file's words are the
grammar's, and where Neovim is installed, each Lark token of the zoo and of the TextMate
test's coverage text gets its class's highlight group (keywords, comments, strings,
numbers), the filetype is detected and `#` comments set. Without Neovim that part
skips."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import textwrap

import pytest

from tests.conftest import ROOT
from tests.test_textmate import COVERAGE, LARK_FILE, lark_tokens

RUNTIME = ROOT / "editors" / "vim"
SYNTAX = (RUNTIME / "syntax" / "netspec.vim").read_text(encoding="utf-8")
NVIM = shutil.which("nvim")
# The highlight groups a token of each kind may get.
GROUPS = {
    "keyword": {"netspecDeclaration", "netspecControl", "netspecLogical", "netspecSoftKeyword"},
    "constant": {"netspecBoolean", "netspecNone"},
    "COMMENT": {"netspecComment"},
    "STRING": {"netspecString"},
    "INT": {"netspecNumber"},
    "FLOAT": {"netspecFloat"},
}


def test_the_syntax_files_words_are_the_grammars():
    grammar = LARK_FILE.read_text()
    words = set(re.findall(r"^syn keyword \w+ (.*)$", SYNTAX, re.M))
    keywords = {w for line in words for w in line.split()}
    assert keywords == set(re.findall(r'"([a-z_]+)"', grammar)) | {"and", "or", "not"}
    [declared] = re.findall(r"^%declare (.*)$", grammar, re.M)
    [soft] = re.findall(r'netspecSoftKeyword "\\<\\%\((.*?)\\\)', SYNTAX)
    assert set(soft.split("\\|")) == {t.lower() for t in declared.split()}


def groups_by_nvim(text: str, tmp_path) -> tuple[list[list[str]], dict[str, str]]:
    """Neovim's syntax group of each character, line by line, and some buffer options."""
    spec = tmp_path / "sample.netspec"
    spec.write_text(text, encoding="utf-8")
    out = tmp_path / "groups.json"
    script = tmp_path / "dump.vim"
    script.write_text(
        textwrap.dedent(f"""\
        set rtp^={RUNTIME}
        filetype plugin on
        syntax on
        edit {spec}
        let lines = []
        for l in range(1, line('$'))
          let text = getline(l)
          let groups = []
          for i in range(strchars(text))
            call add(groups, synIDattr(synID(l, byteidx(text, i) + 1, 1), 'name'))
          endfor
          call add(lines, groups)
        endfor
        let options = {{'filetype': &filetype, 'commentstring': &commentstring}}
        call writefile([json_encode({{'lines': lines, 'options': options}})], '{out}')
        qa!
        """)
    )
    subprocess.run([NVIM, "--headless", "-u", "NONE", "-S", str(script)], timeout=30, check=True)
    found = json.loads(out.read_text())
    return found["lines"], found["options"]


def tokens(text: str) -> list[tuple[str, int, str]]:
    """Lark's tokens, with the comments a newline token swallows as tokens of their own."""
    found = []
    for terminal, offset, value in lark_tokens(text):
        if terminal != "_NL":
            found.append((terminal, offset, value))
        for m in re.finditer(r"#[^\n]*", value) if terminal == "_NL" else ():
            found.append(("COMMENT", offset + m.start(), m.group()))
    return found


def kind_of(terminal: str, value: str) -> str | None:
    if terminal in ("COMMENT", "STRING", "INT", "FLOAT"):
        return terminal
    if value in ("true", "false", "none"):
        return "constant"
    return "keyword" if value.isalpha() and terminal != "NAME" else None


@pytest.mark.skipif(NVIM is None, reason="Neovim is not installed: the syntax file cannot run")
@pytest.mark.parametrize("name", ["COVERAGE", "resnet18", "gpt2_small"])
def test_neovim_highlights_each_token_by_its_class(name, tmp_path):
    text = COVERAGE if name == "COVERAGE" else (ROOT / "specs" / f"{name}.netspec").read_text()
    lines, options = groups_by_nvim(text, tmp_path)
    assert options == {"filetype": "netspec", "commentstring": "# %s"}
    starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    checked = 0
    for terminal, offset, value in tokens(text):
        kind = kind_of(terminal, value)
        if kind is None:
            continue
        line = max(i for i, s in enumerate(starts) if s <= offset)
        group = lines[line][offset - starts[line]]
        assert group in GROUPS[kind], f"line {line + 1}: {terminal} {value!r} is {group!r}"
        checked += 1
    assert checked > 20
