"""Issue 13, defect 4: every attribute name of the generated PyTorch module is checked.

Before, only one-stage statements were: `class = conv(4, 3) relu` wrote `self.class =
Scope()` (a SyntaxError, and a traceback from `netspec train`), `forward = conv(4, 3)
relu` failed in forward, and `__class__ = conv(4, 3) relu` built a module of 0
parameters while check and build reported 112. Each name a generated class would use
(named statements' scopes, repeat copies, merges, block bodies, block calls) is now
refused with an E-lower error pointing at the name, from `build`, `to_torch` and `train`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
np = pytest.importorskip("numpy")

import netspec  # noqa: E402
from netspec.cli.main import main  # noqa: E402
from netspec.errors import CompileError  # noqa: E402
from netspec.source import Source  # noqa: E402

BLOCKS = """block b() {
    eval = conv(3, 3, padding=1) relu
}
block cuda() {
    conv(3, 3, padding=1)
}
"""

# (what the network body holds before its head, the refused name, its line in the spec)
CASES = {
    "keyword_scope": ("class = conv(3, 3, padding=1) relu", "class", 9),
    "method_scope": ("forward = conv(3, 3, padding=1) relu", "forward", 9),
    "dunder_scope": ("__class__ = conv(3, 3, padding=1) relu", "__class__", 9),
    "mangled_one_stage": ("__x = conv(3, 3, padding=1)", "__x", 9),
    "repeat_copies": ("repeat 2 {\n    forward = conv(3, 3, padding=1)\n  }", "forward", 10),
    "merge": ("forward = add {\n    conv(3, 3, padding=1)\n  | identity\n  }", "forward", 9),
    "block_body": ("stem = b()", "eval", 2),
    "block_in_chain": ("a = cuda() relu", "cuda", 9),
}


def _spec(body: str) -> Source:
    text = (
        f"{BLOCKS}network T {{\n  input x: [N, 3, 8, 8]\n  {body}\n  head = flatten linear(2)\n}}\n"
    )
    return Source("names.netspec", text)


def _refused(info: pytest.ExceptionInfo, name: str, line: int) -> None:
    (diag,) = info.value.diagnostics
    assert diag.code == "E-lower", diag
    assert f"'{name}' cannot name a PyTorch submodule" in diag.message
    # the name as written: a statement's name, or the block call named so
    assert diag.span.line == line and diag.span.text() in (name, f"{name}()")
    assert "rename the statement or block call" in diag.help[0]


@pytest.mark.parametrize("case", CASES)
def test_build_refuses_the_name(case):
    body, name, line = CASES[case]
    spec = _spec(body)
    assert netspec.check(spec)  # the spec itself is fine: only PyTorch cannot use the name
    with pytest.raises(CompileError) as info:
        netspec.torch_source(spec)
    _refused(info, name, line)


@pytest.mark.parametrize("case", CASES)
def test_to_torch_refuses_the_name(case):
    body, name, line = CASES[case]
    with pytest.raises(CompileError) as info:
        netspec.to_torch(_spec(body))
    _refused(info, name, line)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "two.npz"
    np.savez(path, x=np.zeros((8, 3, 8, 8), np.float32), y=np.arange(8) % 2)
    return path


@pytest.mark.parametrize("case", ["keyword_scope", "dunder_scope", "block_body"])
def test_train_refuses_the_name(case, data):
    body, name, line = CASES[case]
    with pytest.raises(CompileError) as info:
        netspec.train(_spec(body), data, epochs=1, quiet=True)
    _refused(info, name, line)


@pytest.mark.parametrize("command", ["build", "train"])
def test_cli_gives_a_positioned_error_not_a_traceback(command, tmp_path, data, capsys):
    spec = tmp_path / "names.netspec"
    spec.write_text(_spec(CASES["keyword_scope"][0]).text)
    extra = ["-o", str(tmp_path / "out.py")] if command == "build" else ["--data", str(data)]
    assert main([command, str(spec), *extra]) == 1
    err = capsys.readouterr().err
    assert "error[E-lower]: 'class' cannot name a PyTorch submodule" in err
    assert f"{spec}:9:3" in err and "Traceback" not in err
    assert not (tmp_path / "out.py").exists()


def test_names_python_allows_still_build_with_paths_as_keys():
    spec = _spec("_own = conv(3, 3, padding=1) relu\n  repeat 2 {\n    match = conv(3, 1)\n  }")
    model = netspec.to_torch(spec)
    keys = set(model.state_dict())
    assert {"_own.conv.weight", "match.0.weight", "match.1.weight"} <= keys
    (analysis,) = netspec.check(spec)
    assert analysis.totals.params == sum(p.numel() for p in model.parameters())
