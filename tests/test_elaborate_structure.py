"""elaborate/'s shape, read from the source: explicit state, no mixins, no parser.

The shared state of one network's elaboration is one object
(:class:`netspec.elaborate.state.NetworkState`) handed to the parts that fill it; no
class of elaborate/ inherits another's behaviour, and nothing in elaborate/ imports the
parser (which loads Lark) at any level. Also: the state's limit checks raise the
E-limit that stops a network, with the messages users see.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from netspec.elaborate.evaluate import Scope
from netspec.elaborate.frame import Abort, Frame
from netspec.elaborate.program import resolve
from netspec.elaborate.state import NetworkState
from netspec.elaborate.statements import Statements
from netspec.limits import MAX_ELEMENTS, MAX_STEPS
from netspec.source import Source
from netspec.syntax.parser import parse

ELABORATE = Path(__file__).resolve().parent.parent / "netspec" / "elaborate"
FILES = sorted(ELABORATE.glob("*.py"))


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def _imports(path: Path) -> set[str]:
    """Every module the file imports, at any level (function, TYPE_CHECKING included)."""
    found = set()
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
    return found


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_elaboration_never_imports_the_parser(path: Path) -> None:
    bad = {m for m in _imports(path) if m.startswith(("netspec.syntax.parser", "lark"))}
    assert bad == set()


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_module_says_what_it_assumes_and_guarantees(path: Path) -> None:
    doc = ast.get_docstring(_tree(path)) or ""
    assert "Assumes" in doc and "Guarantees" in doc
    for old in ("NetworkBuilder", "StageBuilder", "ControlBuilder", "host class", "mixin"):
        assert old not in doc


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_modules_stay_short(path: Path) -> None:
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 300


def test_no_class_inherits_from_another_elaboration_class() -> None:
    """Collaborators get the state explicitly; none assumes attributes of a host class."""
    defined = {
        node.name
        for path in FILES
        for node in ast.walk(_tree(path))
        if isinstance(node, ast.ClassDef)
    }
    inheriting = [
        (path.name, node.name)
        for path in FILES
        for node in ast.walk(_tree(path))
        if isinstance(node, ast.ClassDef)
        and (len(node.bases) > 1 or any(ast.unparse(b) in defined for b in node.bases))
    ]
    assert inheriting == []


def _state(text: str) -> tuple[NetworkState, Frame]:
    program = resolve(parse(Source("t.netspec", text)))
    net = next(iter(program.networks.values()))
    frame = Frame(Scope({}, program.globals), "", None, top=True)
    return NetworkState(program, net, {}), frame


def test_the_parts_share_one_state() -> None:
    spec = (
        "block B(c) {\n  conv(c, 3, padding=1)\n  add { relu | }\n}\n"
        "network T {\n  input x: [N, 4, 8, 8]\n  repeat 2 { B(4) }\n  y = relu\n}\n"
    )
    state, frame = _state(spec)
    statements = Statements(state)
    assert statements.stages.state is state
    assert statements.stages.blocks.state is state
    assert statements.control.state is state
    statements.body(frame, state.net.body, True)
    assert state.diags == []
    assert [n.path for n in state.nodes] == [
        "B1.conv1",
        "B1.add1.0.relu1",
        "B1.add1",
        "B2.conv1",
        "B2.add1.0.relu1",
        "B2.add1",
        "y",
    ]
    assert [c.path for c in state.calls] == ["B1", "B2"]
    assert [s.name for s in state.statements] == ["repeat1", "y"]
    # 3 top-level statements; 2 repeat copies of 1 statement; 2 x 2 in the block, 2 x 1 in branches
    assert state.steps == 3 + 2 * 2 + 2 * 2 + 2 * 1


def test_step_stops_the_network_past_the_limit() -> None:
    state, frame = _state("network T {\n  input x: [N, 4]\n}\n")
    state.steps = MAX_STEPS - 1
    state.step(frame, state.net.span)
    with pytest.raises(Abort) as caught:
        state.step(frame, state.net.span)
    (diagnostic,) = caught.value.exc.diagnostics
    assert diagnostic.code == "E-limit"
    assert (
        diagnostic.message
        == f"more than {MAX_STEPS:,} statements to elaborate (repeats multiply them)"
    )


def test_new_tensor_refuses_huge_shapes() -> None:
    state, frame = _state("network T {\n  input x: [N, 4]\n}\n")
    assert state.new_tensor(("N", 4), state.net.span, frame).id == 0
    with pytest.raises(Abort) as caught:
        state.new_tensor(("N", 10**7, 10**6), state.net.span, frame)
    (diagnostic,) = caught.value.exc.diagnostics
    assert diagnostic.code == "E-limit"
    assert diagnostic.message == (
        "tensor [N, 10000000, 1000000] has 1e+13 elements per sample, over the limit of "
        f"{MAX_ELEMENTS:.3g}"
    )
    assert state.shapes == [("N", 4)]
