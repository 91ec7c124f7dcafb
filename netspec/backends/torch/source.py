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

import re

from netspec._version import __version__
from netspec.analysis.fingerprint import architecture_hash
from netspec.analysis.scopes import (
    INDENT,
    RESERVED,
    Item,
    access,
    call_ranges,
    callee_first,
    calls_with_layers,
    descendant_segments,
    external_inputs,
    join,
    joint_parts,
    relative,
    scope_items,
    variable,
)
from netspec.backends.torch.classes import ClassPlan, Variant, plan_classes
from netspec.backends.torch.literals import camel, example_input, file_name, show
from netspec.backends.torch.lowering import LOWERINGS, Layer
from netspec.backends.torch.names import RUNTIME_NAMES, name_span, runtime_source, unusable
from netspec.errors import error
from netspec.ir import BlockCall, Graph, Node
from netspec.ops import REGISTRY
from netspec.symbolic.plain import plain
from netspec.values import show_shape


def torch_source(graph: Graph) -> str:
    """The generated Python file for `graph`."""
    return _Writer(plain(graph)).write()


def class_name(source: str) -> str:
    """The name of the network's class in generated `source` (its `__all__`)."""
    return re.search(r'^__all__ = \["(\w+)"\]', source, re.M).group(1)


class _Writer:
    def __init__(self, graph: Graph):
        self.graph = graph
        self.consumers = {n.path: n for n in graph.nodes}
        self.layers = {n.path: LOWERINGS[n.op](n, graph.input_shapes(n), graph.output_shape(n))
                       for n in graph.nodes}  # fmt: skip
        self.instance_of: dict[str, str] = {}  # call path -> "Basic(width=64)"
        self.plans: list[tuple[str, ClassPlan]] = []  # (class name, plan), in order
        self.names: set[str] = set(RESERVED) | RUNTIME_NAMES
        self.helpers: set[str] = set()
        paths = [n.path for n in graph.nodes] + [c.path for c in graph.calls]
        self.descendants = descendant_segments(paths)
        ranges = call_ranges(graph)
        self.external = {
            p: external_inputs(graph, c, ranges[p]) for p, c in calls_with_layers(graph).items()
        }
        self.first_node = {p: graph.nodes[r[0]] for p, r in ranges.items()}
        self.statements = {s.name: s for s in graph.statements}
        self.statement_of = {s.output: s.name for s in graph.statements}
        # a joint op's later outputs (lstm's h and c): bound by part 0's call, no module
        self.joint = {p: tuple(n.output for n in ns) for p, ns in joint_parts(graph).items()}
        self.folded = {n.path for ns in joint_parts(graph).values() for n in ns}

    def write(self) -> str:
        self.items = {
            scope: [it for it in items if it.path not in self.folded]
            for scope, items in scope_items(self.graph, self.external).items()
        }
        for block in callee_first(self.graph, self.items):
            self._block_classes(block)
        network = self._class_body("", self._network_inputs(), self._network_outputs())
        name = camel(self.graph.name, self.names)
        parts = [self._header() + f'\n\n__all__ = ["{name}"]  # the network\'s class']
        parts.append(runtime_source(sorted(self.helpers)))
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
            cls = camel(block, self.names)
            self.plans.append((cls, plan))
            for call in plan.calls:
                self.instance_of[call.path] = f"{cls}({plan.arguments[call.path]})"

    def _block_text(self, cls: str, plan: ClassPlan) -> str:
        first = plan.calls[0]
        where = f"{file_name(first.definition.source.name)}:{first.definition.line}"
        lines = [f'{INDENT}"""Block `{first.block}` ({where}), for:', ""]
        for call in plan.calls:
            args = ", ".join(f"{k}={show(v)}" for k, v in call.args)
            lines.append(f"{INDENT}    {call.path} = {call.block}({args})  # line {call.span.line}")
        lines.append(f'{INDENT}"""\n\n')
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
        init = self._init_lines(scope, items) + (self._ties() if not scope else [])
        forward = _Forward(self, scope, items, inputs, outputs).lines()
        text = f"{INDENT}def __init__(self):\n{INDENT * 2}super().__init__()\n"
        text += "".join(f"{INDENT * 2}{line}\n" for line in init)
        return text, "".join(f"{INDENT}{line}\n" for line in forward)

    # --- __init__: the module tree -------------------------------------------------------
    def _init_lines(self, scope: str, items: list[Item]) -> list[str]:
        created: set[str] = set()
        lines: list[str] = []
        for item in items:
            rel = relative(scope, item.path)
            segments = rel.split(".")
            for j in range(1, len(segments)):
                self._container(scope, ".".join(segments[:j]), created, lines, item)
            if rel in created:
                continue
            created.add(rel)
            _check_name(item.path, segments[-1], item)
            if item.call is not None:
                lines.append(f"{access(rel)} = {self.instance_of[item.path]}")
            else:
                lines.append(f"{access(rel)} = {self._make(item.node)}{self._comment(item.node)}")
        return lines

    def _ties(self) -> list[str]:
        """Tied weights, shared once every module exists: the network's own __init__
        (a block class may hold the tied layer while the shared one is outside it)."""
        lines = []
        for node in self.graph.nodes:
            tied = node.attrs.get("tied")
            if tied is not None:
                shared = f"{access(tied)}.weight  # tied (line {node.span.line})"
                lines.append(f"{access(node.path)}.weight = {shared}")
        return lines

    def _container(
        self, scope: str, rel: str, created: set[str], lines: list[str], first: Item
    ) -> None:
        """Make the scope `rel` (a named statement, a repeated name, a merge) that holds
        the item `first`, the first of its layers."""
        if rel in created:
            return
        created.add(rel)
        path = join(scope, rel)
        _check_name(path, rel.rsplit(".", 1)[-1], first)
        node = self.consumers.get(path)
        if node is not None and REGISTRY[node.op].merge:
            lines.append(f"{access(rel)} = {self._make(node)}{self._comment(node)}")
            return
        copies = self._copies(path)
        self.helpers.add("Scope")
        if rel.rsplit(".", 1)[-1].isdigit() and not copies:
            return  # a branch or repeat copy: its parent made it
        lines.append(f"{access(rel)} = Scope({copies if copies else ''})")

    def _copies(self, path: str) -> int:
        digits = [int(s) for s in self.descendants.get(path, ()) if s.isdigit()]
        return max(digits) + 1 if digits else 0

    def _make(self, node: Node) -> str:
        layer: Layer = self.layers[node.path]
        self.helpers.update(layer.helpers)
        if not REGISTRY[node.op].merge:
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

    # --- inputs and outputs --------------------------------------------------------------
    def _network_inputs(self) -> list[tuple[int, str]]:
        return [(t, variable(name, set())) for name, t in self.graph.inputs]

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
            named.append((t, variable(base, taken)))
            taken.add(named[-1][1])
        return named

    # --- file parts ----------------------------------------------------------------------
    def _header(self) -> str:
        g = self.graph
        source = file_name(g.span.source.name)
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
        params = ", ".join(f"{k}={show(v)}" for k, v in g.parameters.items())
        title = f"network {g.name}({params})" if params else f"network {g.name}"
        where = f"{file_name(g.span.source.name)}:{g.span.line}"
        return f'{INDENT}"""{title} ({where})."""\n\n'

    def _main(self, name: str) -> str:
        g = self.graph
        args = ", ".join(example_input(g, t) for _, t in g.inputs)
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
            for t in self.writer.joint.get(item.path, ()):  # `seq, h, c = self.seq(x, ...)`
                name += ", " + self._fresh(t, live)
            out.append(f"{INDENT}{name} = {expr}")
            for t in set(item.inputs):
                if self._dies(t, i) and self.var[t] != name:
                    live.discard(self.var[t])
        results = [self.var[t] for t in self.outputs]
        out.append(f"{INDENT}return {', '.join(results)}")
        return out

    def _statement_comment(self, item: Item, current: str | None, out: list[str]):
        if self.scope:
            return current
        node = item.node or self.writer.first_node[item.path]
        if node.statement == current:
            return current
        stmt = self.writer.statements[node.statement]
        text = " ".join(stmt.span.text().split())
        out.append(f"{INDENT}# line {stmt.span.line}: {text}")
        return node.statement

    def _expression(self, item: Item) -> str:
        module = access(relative(self.scope, item.path))
        args = ", ".join(self.var[t] for t in item.inputs)
        if item.call is not None:
            return f"{module}({args})"
        layer = self.writer.layers[item.path]
        call = layer.joint if item.path in self.writer.joint else layer.call
        return call.format(module=module, args=args)

    def _dies(self, t: int, i: int) -> bool:
        return self.last.get(t) == i and t not in self.outputs

    def _target(self, i: int, item: Item, live: set[str]) -> str:
        for t in item.inputs:
            if self._dies(t, i) and self.var[t] not in self.fixed:
                self.var[item.output] = self.var[t]
                return self.var[t]
        base = self._statement_name(item) or "x"
        name = variable(base, live)
        live.add(name)
        self.var[item.output] = name
        return name

    def _fresh(self, t: int, live: set[str]) -> str:
        """A new variable for tensor `t`, made by the line being written."""
        name = variable(self._statement_name(Item("", (), t)) or "x", live)
        live.add(name)
        self.var[t] = name
        return name

    def _statement_name(self, item: Item) -> str | None:
        if self.scope:
            return None
        name = self.writer.statement_of.get(item.output)
        return name if name is not None and name.isidentifier() else None


# --- helpers ---------------------------------------------------------------------------------


def _check_name(path: str, segment: str, item: Item) -> None:
    """Refuse a path segment PyTorch cannot use as an attribute, pointing at where the
    name is written (renaming it silently would break the promise that keys are paths)."""
    why = unusable(segment)
    if why is None:
        return
    span = item.node.span if item.node is not None else item.call.span
    raise error(
        "E-lower",
        f"'{segment}' cannot name a PyTorch submodule (in the path {path})",
        name_span(span, segment),
        f"'{segment}' {why}; rename the statement or block call",
    )
