"""The house's rules, read from the source: the import graph and the package layout.

The graph is built with ``ast`` from every ``import`` in netspec/ — module level,
function level and under ``TYPE_CHECKING`` alike, since each is a dependency even when
Python would tolerate the loop — and nothing is imported to build it. See
ARCHITECTURE.md ("Layout") and CONTRIBUTING.md.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "netspec"

# The pipeline's stages, lowest first: a module may import its own stage and lower ones.
# ops/ is the vocabulary every stage from the parser on speaks (the parser suggests op
# names), so it sits below syntax/.
STAGES = (
    "ops",
    "syntax",
    "fmt",
    "elaborate",
    "analysis",
    "report",
    "backends",
    "training",
    "teach",
    "api",
    "frontends",
    "serve",
    "lsp",
    "cli",
)
# Stages at the same height of the pipeline that never import each other.
SIBLINGS = (
    ("report", "backends"),
    ("report", "teach"),
    ("report", "training"),
    ("backends.torch", "backends.onnx"),
    ("teach", "backends"),
    ("teach", "training"),
)
# Packages netspec check must never need: imported only where they are used.
HEAVY = ("torch", "onnx", "onnxruntime", "numpy", "PIL", "sklearn", "safetensors", "pydantic")
HEAVY += ("starlette", "uvicorn", "pygls", "lsprotocol")
# the playground's activations tab runs the built module in a worker, on a request
_ACTIVATIONS = ("serve.activations", "serve.activation_inputs", "serve.dot_product")
_TRACED = ("frontends.torch_module",)  # netspec import --torch traces the module
HEAVY_HOMES = {
    "torch": ("backends.torch", "backends.onnx.weights", "training", *_ACTIVATIONS, *_TRACED),
    "onnx": ("backends.onnx", "cli.predict", "frontends"),  # frontends: netspec import
    "onnxruntime": ("cli.predict",),
    "numpy": ("backends.onnx", "training", "cli.predict", "teach.figures", "frontends"),
    "PIL": ("teach.figures", "cli.predict", "training.image_files", *_ACTIVATIONS),  # images
    "sklearn": ("training",),
    "safetensors": ("backends.onnx", "serve.activation_inputs"),  # uploaded weights
    "pydantic": ("report.schema", "serve.models"),
    "starlette": ("serve",),  # the playground (the serve extra)
    "uvicorn": ("cli.serve", "serve.background"),
    "pygls": ("lsp.server",),  # the language server (the lsp extra)
    "lsprotocol": ("lsp.server", "lsp.convert"),
}


@cache
def modules() -> dict[str, Path]:
    """Every netspec module by dotted name (a package by its __init__)."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imported_names(node: ast.AST, package: str) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:
        parts = package.split(".")[: len(package.split(".")) - node.level + 1]
        base = ".".join(parts + ([base] if base else []))
    # `from netspec.x import y` depends on the module x.y where y is one, else on x
    return [f"{base}.{a.name}" if f"{base}.{a.name}" in modules() else base for a in node.names]


@cache
def imports() -> dict[str, frozenset[str]]:
    """Module -> the names it imports (netspec modules resolved, others as written)."""
    graph = {}
    for name, path in modules().items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            for imported in _imported_names(node, package):
                if imported.split(".")[0] == "netspec":
                    while imported not in modules():
                        imported = imported.rpartition(".")[0]
                found.add(imported)
        found.discard(name)
        graph[name] = frozenset(found)
    return graph


def internal(name: str) -> frozenset[str]:
    return frozenset(d for d in imports()[name] if d.split(".")[0] == "netspec")


def cycles() -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in sorted(modules()):
        if root in index:
            continue
        work = [(root, iter(sorted(internal(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(internal(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def area(name: str) -> str:
    """`netspec.backends.onnx.emit` -> `backends.onnx.emit` (the facade is '')."""
    return name.partition(".")[2]


def inside(name: str, package: str) -> bool:
    rest = area(name)
    return rest == package or rest.startswith(package + ".")


def stage(name: str) -> int | None:
    """The stage's height, or None for the small shared modules at the top (errors,
    values, ir, ...), which any stage may use."""
    for height, package in enumerate(STAGES):
        if inside(name, package):
            return height
    return None


def test_the_graph_sees_every_kind_of_import():
    # a function-level import and a TYPE_CHECKING import are edges like any other
    assert "netspec.backends.torch.to_torch" in internal("netspec.api")
    assert "netspec.syntax.ast" in internal("netspec.elaborate.networks")
    assert len(modules()) > 100


def test_netspec_has_no_import_cycles():
    assert cycles() == []


def test_the_cycle_finder_finds_cycles(monkeypatch):
    fake = {"netspec.a": frozenset({"netspec.b"}), "netspec.b": frozenset({"netspec.a"})}
    monkeypatch.setattr(
        "tests.test_layout.modules", lambda: dict.fromkeys(fake, PACKAGE / "__init__.py")
    )
    monkeypatch.setattr("tests.test_layout.internal", lambda name: fake[name])
    assert cycles() == [["netspec.a", "netspec.b"]]


def test_stages_import_only_their_own_stage_and_lower_ones():
    upward = [
        f"{m} -> {d}"
        for m in modules()
        for d in internal(m)
        if stage(m) is not None and stage(d) is not None and stage(d) > stage(m)
    ]
    assert upward == []


def test_the_small_shared_modules_import_no_stage():
    shared = [m for m in modules() if stage(m) is None and m not in ("netspec", "netspec.__main__")]
    assert "netspec.errors" in shared and "netspec.ir" in shared
    assert [f"{m} -> {d}" for m in shared for d in internal(m) if stage(d) is not None] == []


@pytest.mark.parametrize(("a", "b"), SIBLINGS)
def test_siblings_never_import_each_other(a, b):
    crossing = [
        f"{m} -> {d}"
        for m in modules()
        for d in internal(m)
        if (inside(m, a) and inside(d, b)) or (inside(m, b) and inside(d, a))
    ]
    assert crossing == []


def test_nothing_imports_the_cli_but_the_entry_points():
    outside = [
        f"{m} -> {d}"
        for m in modules()
        for d in internal(m)
        if inside(d, "cli") and not inside(m, "cli") and m != "netspec.__main__"
    ]
    assert outside == []
    scripts = (PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8")
    assert 'netspec = "netspec.cli.main:main"' in scripts


def test_no_command_module_imports_the_dispatcher():
    commands = [m for m in modules() if inside(m, "cli") and m != "netspec.cli.main"]
    assert [m for m in commands if "netspec.cli.main" in internal(m)] == []


def test_nothing_below_the_package_imports_the_facade():
    assert [m for m in modules() if m != "netspec" and "netspec" in internal(m)] == []


@pytest.mark.parametrize("package", HEAVY)
def test_heavy_packages_are_imported_only_where_they_are_used(package):
    homes = HEAVY_HOMES[package]
    strays = [
        m
        for m in modules()
        if any(d.split(".")[0] == package for d in imports()[m])
        and not any(inside(m, home) for home in homes)
    ]
    assert strays == []


def test_no_private_module_at_the_top_but_the_version():
    private = [
        p.name
        for p in PACKAGE.glob("_*.py")
        if not p.name.startswith("__") and p.name != "_version.py"
    ]
    assert private == []


def test_every_package_says_what_it_assumes_and_guarantees():
    silent = []
    for name, path in modules().items():
        if path.name != "__init__.py":
            continue
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        if len(doc) < 80:
            silent.append(name)
    assert silent == []
