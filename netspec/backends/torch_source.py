"""Graph IR -> readable, standalone PyTorch source: a class per network and per block.

The module tree mirrors the spec's hierarchical paths, so `state_dict` keys read like
the spec (`layer1.basic1.add1.0.conv1.weight`): a block call is an instance of its
block's class, a merge holds its branches as children `0`, `1`, ..., and a named
statement or a repeated name is a :class:`Scope`. Every layer is a module (hooks see
every layer's output). `forward` is straight-line code over the layers of its own
scope. Calls of one block that lower to the same code share one class; calls that
differ (other widths, a shortcut present or not) get a class each (`Basic`, `Basic2`),
and each class's docstring lists the calls it serves.

Assumes a Graph from elaboration (layers in execution order, block calls recorded).
Guarantees source that imports only torch; names PyTorch cannot use as submodule names
are refused with a positioned E-lower error. Imports no torch itself.
"""

from __future__ import annotations

import keyword
from pathlib import PurePath
from typing import NamedTuple

from netspec import __version__
from netspec.backends.torch_classes import ClassPlan, Variant, plan_classes
from netspec.backends.torch_layers import LOWERINGS, Layer
from netspec.backends.torch_names import MODULE_ATTRIBUTES, RUNTIME_NAMES, runtime_source
from netspec.errors import error
from netspec.fingerprint import architecture_hash
from netspec.ir import BlockCall, Graph, Node
from netspec.values import show_shape

_MERGES = ("add", "concat")
_RESERVED = {"self", "torch", "nn", "F"}
_INDENT = "    "


class _Item(NamedTuple):
    """One step of a scope's forward: a layer or a child block call."""

    path: str
    inputs: tuple[int, ...]
    output: int
    node: Node | None = None
    call: BlockCall | None = None


def torch_source(graph: Graph) -> str:
    """The generated Python file for `graph`."""
    return _Writer(graph).write()


def class_name(graph: Graph) -> str:
    """The name of the network's class in the generated source."""
    return _camel(graph.name, set())


class _Writer:
    def __init__(self, graph: Graph):
        self.graph = graph
        self.consumers = {n.path: n for n in graph.nodes}
        self.layers = {n.path: LOWERINGS[n.op](n, graph.input_shapes(n), graph.output_shape(n))
                       for n in graph.nodes}  # fmt: skip
        self.instance_of: dict[str, str] = {}  # call path -> "Basic(width=64)"
        self.plans: list[tuple[str, ClassPlan]] = []  # (class name, plan), in order
        self.names: set[str] = set(_RESERVED) | RUNTIME_NAMES
        self.helpers: set[str] = set()
        paths = [n.path for n in graph.nodes] + [c.path for c in graph.calls]
        self.descendants = _descendant_segments(paths)
        ranges = _call_ranges(graph)
        self.external = {p: _external_inputs(graph, c, ranges[p]) for p, c in _calls(graph).items()}
        self.first_node = {p: graph.nodes[r[0]] for p, r in ranges.items()}
        self.statements = {s.name: s for s in graph.statements}
        self.statement_of = {s.output: s.name for s in graph.statements}

    def write(self) -> str:
        self.items = _scope_items(self.graph, self.external)
        for block in _callee_first(self.graph, self.items):
            self._block_classes(block)
        network = self._class_body("", self._network_inputs(), self._network_outputs())
        name = _camel(self.graph.name, self.names)
        parts = [self._header(), runtime_source(sorted(self.helpers))]
        parts += [self._block_text(cls, plan) for cls, plan in self.plans]
        parts.append(f"class {name}(nn.Module):\n{self._network_doc()}{network}")
        parts.append(self._main(name))
        return "\n\n\n".join(p.rstrip("\n") for p in parts if p) + "\n"

    # --- classes -------------------------------------------------------------------------
    def _block_classes(self, block: str) -> None:
        variants = []
        for call in self.graph.calls:
            if call.block == block and call.path in self.items:
                init, forward = self._methods(call.path, self._call_inputs(call), (call.output,))
                shape = self.graph.shape(call.input)
                channels = shape[1] if len(shape) > 1 else None
                variants.append(Variant(call, init, forward, channels))
        for plan in plan_classes(variants):
            cls = _camel(block, self.names)
            self.plans.append((cls, plan))
            for call in plan.calls:
                self.instance_of[call.path] = f"{cls}({plan.arguments[call.path]})"

    def _block_text(self, cls: str, plan: ClassPlan) -> str:
        first = plan.calls[0]
        where = f"{_file(first.definition.source.name)}:{first.definition.line}"
        lines = [f'{_INDENT}"""Block `{first.block}` ({where}), for:', ""]
        for call in plan.calls:
            args = ", ".join(f"{k}={_show(v)}" for k, v in call.args)
            lines.append(
                f"{_INDENT}    {call.path} = {call.block}({args})  # line {call.span.line}"
            )
        lines.append(f'{_INDENT}"""\n\n')
        return f"class {cls}(nn.Module):\n" + "\n".join(lines) + plan.body

    def _class_body(
        self, scope: str, inputs: list[tuple[int, str]], outputs: tuple[int, ...]
    ) -> str:
        init, forward = self._methods(scope, inputs, outputs)
        return init + "\n" + forward

    def _methods(
        self, scope: str, inputs: list[tuple[int, str]], outputs: tuple[int, ...]
    ) -> tuple[str, str]:
        """The text of __init__ and of forward for one scope."""
        items = self.items[scope]
        init = self._init_lines(scope, items)
        forward = _Forward(self, scope, items, inputs, outputs).lines()
        text = f"{_INDENT}def __init__(self):\n{_INDENT * 2}super().__init__()\n"
        text += "".join(f"{_INDENT * 2}{line}\n" for line in init)
        return text, "".join(f"{_INDENT}{line}\n" for line in forward)

    # --- __init__: the module tree -------------------------------------------------------
    def _init_lines(self, scope: str, items: list[_Item]) -> list[str]:
        created: set[str] = set()
        lines: list[str] = []
        for item in items:
            rel = _relative(scope, item.path)
            segments = rel.split(".")
            for j in range(1, len(segments)):
                self._container(scope, ".".join(segments[:j]), created, lines)
            if rel in created:
                continue
            created.add(rel)
            self._check_name(item, segments[-1])
            if item.call is not None:
                lines.append(f"{_access(rel)} = {self.instance_of[item.path]}")
            else:
                lines.append(f"{_access(rel)} = {self._make(item.node)}{self._comment(item.node)}")
        return lines

    def _container(self, scope: str, rel: str, created: set[str], lines: list[str]) -> None:
        if rel in created:
            return
        created.add(rel)
        path = _join(scope, rel)
        node = self.consumers.get(path)
        if node is not None and node.op in _MERGES:
            lines.append(f"{_access(rel)} = {self._make(node)}{self._comment(node)}")
            return
        copies = self._copies(path)
        self.helpers.add("Scope")
        if rel.rsplit(".", 1)[-1].isdigit() and not copies:
            return  # a branch or repeat copy: its parent made it
        lines.append(f"{_access(rel)} = Scope({copies if copies else ''})")

    def _copies(self, path: str) -> int:
        digits = [int(s) for s in self.descendants.get(path, ()) if s.isdigit()]
        return max(digits) + 1 if digits else 0

    def _make(self, node: Node) -> str:
        layer: Layer = self.layers[node.path]
        self.helpers.update(layer.helpers)
        if node.op not in _MERGES:
            return layer.make
        copies = len(node.inputs) if self.descendants.get(node.path) else 0
        if not copies:
            return layer.make
        sep = "" if layer.make.endswith("()") else ", "
        return layer.make.replace("(", f"({copies}{sep}", 1)

    def _comment(self, node: Node) -> str:
        text = " ".join(node.span.text().split())
        text = text if len(text) <= 48 else text[:45] + "..."
        return f"  # line {node.span.line}: {text}"

    def _check_name(self, item: _Item, segment: str) -> None:
        if segment.isdigit() or (
            segment.isidentifier()
            and not keyword.iskeyword(segment)
            and segment not in MODULE_ATTRIBUTES
        ):
            return
        span = item.node.span if item.node is not None else item.call.span
        raise error(
            "E-lower",
            f"'{segment}' cannot name a PyTorch submodule (in the path {item.path})",
            span,
            f"'{segment}' is a Python keyword or an attribute of nn.Module; "
            "rename the statement or block call",
        )

    # --- inputs and outputs --------------------------------------------------------------
    def _network_inputs(self) -> list[tuple[int, str]]:
        return [(t, _variable(name, set())) for name, t in self.graph.inputs]

    def _network_outputs(self) -> tuple[int, ...]:
        return tuple(t for _, t in self.graph.outputs)

    def _call_inputs(self, call: BlockCall) -> list[tuple[int, str]]:
        """The tensors the call's layers read from outside it, named: the stream `x`."""
        read = self.external[call.path]
        params = {t: name for name, t in call.tensor_args}
        taken: set[str] = set()
        named = []
        for k, t in enumerate(read):
            base = "x" if t == call.input else params.get(t, f"x{k}")
            named.append((t, _variable(base, taken)))
            taken.add(named[-1][1])
        return named

    # --- file parts ----------------------------------------------------------------------
    def _header(self) -> str:
        g = self.graph
        source = _file(g.span.source.name)
        ins = ", ".join(f"{n} {show_shape(g.shape(t))}" for n, t in g.inputs)
        outs = ", ".join(f"{n} {show_shape(g.shape(t))}" for n, t in g.outputs)
        return (
            f'"""{g.name}: PyTorch source generated by netspec {__version__} from {source}.\n\n'
            f"Inputs: {ins}. Output: {outs}.\n"
            f"Architecture hash {architecture_hash(g)}\n"
            "(netspec checkpoints carry it and are refused by other architectures).\n"
            "Standalone: needs only PyTorch. Edit the spec and rebuild rather than this file.\n"
            '"""\n\nimport torch\nimport torch.nn.functional as F\nfrom torch import nn'
        )

    def _network_doc(self) -> str:
        g = self.graph
        params = ", ".join(f"{k}={_show(v)}" for k, v in g.parameters.items())
        title = f"network {g.name}({params})" if params else f"network {g.name}"
        where = f"{_file(g.span.source.name)}:{g.span.line}"
        return f'{_INDENT}"""{title} ({where})."""\n\n'

    def _main(self, name: str) -> str:
        g = self.graph
        args = ", ".join(f"torch.randn({_example(g.shape(t))})" for _, t in g.inputs)
        return (
            'if __name__ == "__main__":  # a quick look: python this_file.py\n'
            f"    model = {name}().eval()\n"
            f"    with torch.no_grad():\n"
            f"        out = model({args})\n"
            "    print(model)\n"
            '    print("output", *(o.shape for o in (out if isinstance(out, tuple) else (out,))))\n'
            '    print("parameters", sum(p.numel() for p in model.parameters()))\n'
        )


class _Forward:
    """Straight-line `forward` of one scope, with variables reused as tensors die."""

    def __init__(self, writer: _Writer, scope: str, items, inputs, outputs):
        self.writer, self.scope, self.items = writer, scope, items
        self.inputs, self.outputs = inputs, outputs
        self.var = dict(inputs)
        self.fixed = {name for _, name in inputs} if not scope else set()
        self.last = {}
        for i, item in enumerate(items):
            for t in item.inputs:
                self.last[t] = i

    def lines(self) -> list[str]:
        args = "".join(f", {name}" for _, name in self.inputs)
        out = [f"def forward(self{args}):"]
        live = {name for _, name in self.inputs}
        statement = None
        for i, item in enumerate(self.items):
            statement = self._statement_comment(item, statement, out)
            expr = self._expression(item)
            name = self._target(i, item, live)
            out.append(f"{_INDENT}{name} = {expr}")
            for t in set(item.inputs):
                if self._dies(t, i) and self.var[t] != name:
                    live.discard(self.var[t])
        results = [self.var[t] for t in self.outputs]
        out.append(f"{_INDENT}return {', '.join(results)}")
        return out

    def _statement_comment(self, item: _Item, current: str | None, out: list[str]):
        if self.scope:
            return current
        node = item.node or self.writer.first_node[item.path]
        if node.statement == current:
            return current
        stmt = self.writer.statements[node.statement]
        text = " ".join(stmt.span.text().split())
        out.append(f"{_INDENT}# line {stmt.span.line}: {text}")
        return node.statement

    def _expression(self, item: _Item) -> str:
        access = _access(_relative(self.scope, item.path))
        args = ", ".join(self.var[t] for t in item.inputs)
        if item.call is not None:
            return f"{access}({args})"
        return self.writer.layers[item.path].call.format(module=access, args=args)

    def _dies(self, t: int, i: int) -> bool:
        return self.last.get(t) == i and t not in self.outputs

    def _target(self, i: int, item: _Item, live: set[str]) -> str:
        for t in item.inputs:
            if self._dies(t, i) and self.var[t] not in self.fixed:
                self.var[item.output] = self.var[t]
                return self.var[t]
        base = self._statement_name(item) or "x"
        name = _variable(base, live)
        live.add(name)
        self.var[item.output] = name
        return name

    def _statement_name(self, item: _Item) -> str | None:
        if self.scope:
            return None
        name = self.writer.statement_of.get(item.output)
        return name if name is not None and name.isidentifier() else None


# --- helpers ---------------------------------------------------------------------------------


def _scope_items(graph: Graph, external: dict[str, list[int]]) -> dict[str, list[_Item]]:
    """Per scope ("" = the network, else a block call's path): its steps in order."""
    calls = _calls(graph)
    items: dict[str, list[_Item]] = {"": []}
    seen: set[str] = set()
    for node in graph.nodes:
        chain = [site.path for site in node.chain]
        scopes = ["", *chain]
        for depth, scope in enumerate(scopes):
            items.setdefault(scope, [])
            if depth == len(chain):
                items[scope].append(_Item(node.path, node.inputs, node.output, node=node))
            elif chain[depth] not in seen:
                seen.add(chain[depth])
                call = calls[chain[depth]]
                items[scope].append(_Item(call.path, (), call.output, call=call))
    return {
        s: [it if it.call is None else it._replace(inputs=tuple(external[it.path])) for it in its]
        for s, its in items.items()
    }


def _callee_first(graph: Graph, items: dict[str, list[_Item]]) -> list[str]:
    """Block names ordered so that a block comes after every block its calls call (the
    call graph is acyclic: recursion is an error)."""
    inner: dict[str, set[str]] = {}
    for call in graph.calls:
        if call.path in items:
            inner.setdefault(call.block, set())
            children = (it.call.block for it in items[call.path] if it.call is not None)
            inner[call.block].update(children)
    order: list[str] = []
    while len(order) < len(inner):
        ready = [b for b in inner if b not in order and inner[b] <= set(order)]
        order += ready
    return order


def _calls(graph: Graph) -> dict[str, BlockCall]:
    """The calls that made layers (an identity call makes no module), by path."""
    made = {site.path for n in graph.nodes for site in n.chain}
    return {c.path: c for c in graph.calls if c.path in made}


def _call_ranges(graph: Graph) -> dict[str, tuple[int, int]]:
    """Each call's layers as a range of graph.nodes (a call's layers are contiguous)."""
    ranges: dict[str, tuple[int, int]] = {}
    for i, node in enumerate(graph.nodes):
        for site in node.chain:
            start = ranges.get(site.path, (i, i))[0]
            ranges[site.path] = (start, i + 1)
    return ranges


def _external_inputs(graph: Graph, call: BlockCall, span: tuple[int, int]) -> list[int]:
    """The tensors the call's layers read from outside it: the stream first."""
    inside = graph.nodes[span[0] : span[1]]
    made = {n.output for n in inside}
    read: list[int] = [call.input] if any(call.input in n.inputs for n in inside) else []
    for n in inside:
        read += [t for t in n.inputs if t not in made and t not in read]
    return read


def _descendant_segments(paths: list[str]) -> dict[str, set[str]]:
    """For each path prefix, the next segments below it (`a` -> {`0`, `1`} for a.0, a.1)."""
    below: dict[str, set[str]] = {}
    for path in paths:
        segments = path.split(".")
        for j in range(1, len(segments)):
            below.setdefault(".".join(segments[:j]), set()).add(segments[j])
    return below


def _relative(scope: str, path: str) -> str:
    return path[len(scope) + 1 :] if scope else path


def _join(scope: str, rel: str) -> str:
    return f"{scope}.{rel}" if scope else rel


def _access(rel: str) -> str:
    """`add1.0.conv1` -> `self.add1[0].conv1`."""
    return "self" + "".join(f"[{s}]" if s.isdigit() else f".{s}" for s in rel.split("."))


def _variable(base: str, taken: set[str]) -> str:
    base = base if base.isidentifier() else "x"
    if keyword.iskeyword(base) or base in _RESERVED:
        base += "_"
    if base not in taken:
        return base
    k = 1
    while f"{base}{k}" in taken:
        k += 1
    return f"{base}{k}"


def _camel(name: str, taken: set[str]) -> str:
    """`basic` -> `Basic`, `double_conv` -> `DoubleConv`; a second class gets `Basic2`."""
    base = "".join(p[:1].upper() + p[1:] for p in name.split("_") if p) or "Block"
    if base in taken or keyword.iskeyword(base):
        k = 2
        while f"{base}{k}" in taken:
            k += 1
        base = f"{base}{k}"
    taken.add(base)
    return base


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return repr(value) if isinstance(value, str) else str(value)


def _file(name: str) -> str:
    """The spec's file name without its directory, so the output is the same anywhere."""
    return PurePath(name).name or name


def _example(shape) -> str:
    return ", ".join(str(d) if isinstance(d, int) else "2" for d in shape)
