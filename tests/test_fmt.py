"""`netspec fmt` and :func:`netspec.fmt.format_text`: the layout rules, and the
properties over random specs (tests/spec_strategies.py): idempotent, meaning kept
(check report and architecture hash), comments kept on their lines."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from netspec.analysis.fingerprint import architecture_hash
from netspec.api import check_text
from netspec.cli.main import main
from netspec.errors import CompileError
from netspec.fmt import format_text
from tests.spec_strategies import networks, random_network

ROOT = Path(__file__).resolve().parent.parent


def fmt(text: str) -> str:
    return format_text(text, "t.netspec")


def summary(text: str) -> list:
    """What formatting must keep: every network's totals, layer shapes and architecture
    hash; for a spec that does not check, its error codes."""
    try:
        analyses = check_text(text)
    except CompileError as exc:
        return [d.code for d in exc.diagnostics]
    return [
        (
            a.totals,
            [(n.path, n.op, tuple(a.graph.shape(n.output))) for n in a.graph.nodes],
            architecture_hash(a.graph),
        )
        for a in analyses
    ]


def comments(text: str) -> list[tuple[str, str]]:
    """Each comment with the code before it on its line (its anchor), spaces squeezed."""
    out = []
    for line in text.splitlines():
        if "#" in line:
            code, _, comment = line.partition("#")
            out.append((re.sub(r"\s+", "", code), comment.rstrip()))
    return out


def assert_properties(text: str) -> None:
    once = fmt(text)
    assert fmt(once) == once, "not idempotent"
    assert summary(once) == summary(text)
    assert Counter(comments(once)) == Counter(comments(text))


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(networks())
def test_properties_random_specs(text: str):
    assert_properties(text)


@pytest.mark.parametrize("seed", range(40))
def test_properties_many_random_specs(seed: int):
    assert_properties(random_network(seed))


def test_spacing_indentation_and_arguments():
    text = "network  X( c = 3 ){\n  input x:[N,3,8,8]\n  y=conv( 8,3 , stride = 1 )relu\n}"
    assert fmt(text) == (
        "network X(c=3) {\n    input x: [N, 3, 8, 8]\n    y = conv(8, 3, stride=1) relu\n}\n"
    )


def test_operators_and_signs():
    text = "const A=-1+2*-3//4\nconst B=not(A>=2)and[1,2][0]==1\n"
    assert fmt(text) == "const A = -1 + 2 * -3 // 4\nconst B = not (A >= 2) and [1, 2][0] == 1\n"


def test_aligned_names_checkpoints_and_tables():
    text = (
        "network X {\n    input x: [N, 4]\n"
        "    a = f(1, 16, 3) -> [N, 4]\n"
        "    long_name = f(10, 2, 3)\n"
        "    # a comment stays in the run\n"
        "    b = linear(4) -> [N, 4]\n"
        "\n"
        "    c = linear(4) -> [N, 4]\n}\n"
    )
    # f is no op: laid out without the parse check (format_text would pass it too)
    from netspec.fmt.layout import render
    from netspec.fmt.tokens import tokens
    from netspec.fmt.tree import build

    assert render(build(tokens(text))) == (
        "network X {\n    input x: [N, 4]\n"
        "    a         = f(1,  16, 3) -> [N, 4]\n"
        "    long_name = f(10, 2,  3)\n"
        "    # a comment stays in the run\n"
        "    b         = linear(4)    -> [N, 4]\n"
        "\n"
        "    c = linear(4) -> [N, 4]\n}\n"
    )


def test_merge_forms_kept():
    text = (
        "block b() {\n  add { relu |  }\n  add {\n relu\n |\n  }\n"
        "  concat {\n   | relu\n   conv(3, 1)\n  }\n}\n"
    )
    assert fmt(text) == (
        "block b() {\n    add { relu | }\n    add {\n        relu\n      |\n    }\n"
        "    concat {\n      | relu\n        conv(3, 1)\n    }\n}\n"
    )


def test_long_lists_wrap_inside_brackets():
    params = ", ".join(f"p{i}={i}" for i in range(20))
    out = fmt(f"network X({params}) {{\n    input x: [N, 4]\n}}\n")
    assert all(len(line) <= 100 for line in out.splitlines())
    assert out.splitlines()[1].startswith(" " * len("network X("))


def test_comments_blank_lines_and_final_newline():
    text = (
        "# head\nconst A = 1   # one\n\n\n\nconst B = 2\n"
        "block b() {   # opens\n\n  relu  \n  # end\n}"
    )
    assert fmt(text) == (
        "# head\nconst A = 1  # one\n\nconst B = 2\n\nblock b() {  # opens\n"
        "    relu\n    # end\n}\n"
    )


def test_refuses_syntax_errors():
    with pytest.raises(CompileError) as info:
        fmt("network X {\n    conv(3\n}\n")
    assert info.value.diagnostics[0].code == "E-unclosed"


def test_cli_in_place_check_and_diff(tmp_path: Path, capsys):
    spec = tmp_path / "a.netspec"
    spec.write_text("network X {\n  input x: [N, 4]\n  linear(4)\n}\n")
    assert main(["fmt", "--check", str(tmp_path)]) == 1
    assert main(["fmt", "--diff", str(spec)]) == 0
    assert "+    linear(4)" in capsys.readouterr().out
    assert "  linear" in spec.read_text()  # --check and --diff write nothing
    assert main(["fmt", str(spec)]) == 0
    assert main(["fmt", "--check", str(spec)]) == 0
    assert spec.read_text() == "network X {\n    input x: [N, 4]\n    linear(4)\n}\n"


def test_cli_leaves_a_broken_file_alone(tmp_path: Path, capsys):
    spec = tmp_path / "bad.netspec"
    spec.write_text("network X {\n  conv(3\n}\n")
    assert main(["fmt", str(spec)]) == 1
    assert "bad.netspec:3:1" in capsys.readouterr().err
    assert spec.read_text() == "network X {\n  conv(3\n}\n"
    assert main(["fmt", str(tmp_path / "missing.netspec")]) == 2


KEPT = """network Indent {
    input x: [N, 3, 32, 32]
    stem = conv(4, 3) relu
        conv(8, 1)
    head   =   global_avgpool flatten linear(10)
}
"""


def test_fmt_off_keeps_declarations_as_written():
    messy = (
        "const  A=1\n\n\n# fmt: off\n" + KEPT + "# fmt: on\n\nnetwork  B {\n  input x: [N,4]\n}\n"
    )
    tidy = (
        "const A = 1\n\n# fmt: off\n" + KEPT + "# fmt: on\n\nnetwork B {\n    input x: [N, 4]\n}\n"
    )
    assert fmt(messy) == tidy
    assert_properties(messy)
    alone = "# fmt: off\n" + KEPT.replace("    input", "  input")  # to the end of the file
    assert fmt(alone) == alone


def test_fmt_off_inside_a_body_is_a_comment():
    text = "network B {\n    input x: [N, 4]\n    # fmt: off\n    y  =  relu\n}\n"
    assert fmt(text) == "network B {\n    input x: [N, 4]\n    # fmt: off\n    y = relu\n}\n"


def test_crlf_files_keep_crlf(tmp_path: Path, capsys):
    messy = "const  A=1\r\n\r\n# fmt: off\r\nnetwork X {\r\n  input x: [N, 3]\r\n}\r\n# fmt: on\r\n"
    messy += "\r\nnetwork  N {\r\n    input x: [N,3]\r\n}\r\n"
    tidy = fmt(messy)
    assert tidy.count("\r\n") == tidy.count("\n") and fmt(tidy) == tidy
    assert tidy.startswith("const A = 1\r\n\r\n# fmt: off\r\nnetwork X {\r\n  input x")
    spec = tmp_path / "windows.netspec"
    spec.write_bytes(messy.encode())
    assert main(["fmt", str(spec)]) == 0
    assert spec.read_bytes() == tidy.encode()
    assert main(["fmt", "--check", str(spec)]) == 0
    spec.write_bytes(messy.replace("const  A=1", "const A = 1").encode())
    assert main(["fmt", "--check", str(spec)]) == 1  # the CR LF file is read as it is
