"""Random valid netspec programs, written as text, for property-based tests.

`networks()` draws one spec file: a network with one input (rank 2 to 5, small sizes,
or a sequence [N, T, F] with a symbolic length T; sometimes a concrete batch, sometimes
a second input `mask` for partial_conv) whose
body uses every op of docs/ops.md and the language's forms: chains, named statements,
checkpoints, merges over branches and over names, blocks (random bodies with
parameters, parameterised templates, a tensor argument, calls inside blocks), `repeat`
(with `as i`), `if` / `else if` / `else`, `from`, `let`, `defaults`, network
parameters and `output`.

Valid by construction: the writer tracks the shape of every tensor with the formulas
of docs/ops.md (written out again here, not imported from netspec, so that a mistake
on either side shows up as an error) and only writes a stage its input can take.
Tensors stay small (channels <= 16, or 48 after a concat; spatial sizes <= 32, <= 8
in 3-d, bar a concat along a spatial axis) so that a forward pass takes milliseconds.

The writer draws through a `Source`: `HypothesisSource` inside `@given` tests (so that
failures shrink), `RandomSource` where a test wants many specs fast (op coverage).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from math import floor, prod

from hypothesis import strategies as st

Shape = tuple  # (batch, C, *spatial), (batch, F) or (batch, "T", ..., F); batch: "N" or an int

MAX_C = 16
ACTIVATIONS = (
    "relu",
    "relu6",
    "sigmoid",
    "tanh",
    "gelu",
    "silu",
    "identity",
    "leaky_relu(slope=0.2)",
    "leaky_relu",
    "elu(alpha=0.5)",
    "elu",
    "scaled_tanh",
    "scaled_tanh(a=2.0, s=0.5)",
    "dropout",
    "dropout(p=0.25)",
    "dropout(0.1)",
)
# The activations of current networks (netspec/ops/activation.py), drawn as a kind of
# their own so that the older ones above stay as frequent as they were.
MODERN_ACTIVATIONS = (
    "hardswish",
    "hardsigmoid",
    "mish",
    "softplus",
    "softplus(beta=2.0, threshold=1.0)",  # the threshold written out in ONNX
    "softplus(beta=0.5)",
    'gelu(approximate="tanh")',
    "drop_path(0.2)",
)
UPSAMPLE_MODES = {
    1: ("nearest", "linear"),
    2: ("nearest", "bilinear", "bicubic"),
    3: ("nearest", "trilinear"),
}
SCALES = (2, 3, 0.5, 1.5, 0.75, 2.5, 1.25, 1.3, 1)
# Defaults that change no shape (the writer does not track parameters).
DEFAULTS = (
    "defaults conv(bias=false)",
    "defaults linear(bias=false)",
    "defaults bn(affine=false)",
    "defaults bn(track_running_stats=false)",
    "defaults prelu(shared=true)",
    "defaults rbf(trainable=true)",
    "defaults avgpool(count_include_pad=false)",
    "defaults leaky_relu(slope=0.3)",
)


# ---- sources of randomness --------------------------------------------------------


class HypothesisSource:
    def __init__(self, draw):
        self.draw = draw

    def int(self, lo: int, hi: int) -> int:
        return self.draw(st.integers(lo, max(lo, hi)))

    def pick(self, items):
        return self.draw(st.sampled_from(list(items)))


class RandomSource:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def int(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, max(lo, hi))

    def pick(self, items):
        return self.rng.choice(list(items))


# ---- the formulas of docs/ops.md --------------------------------------------------


def effective(k: int, d: int) -> int:
    return d * (k - 1) + 1


def conv_out(i, k, s, pad, d) -> int:
    return (i + pad[0] + pad[1] - effective(k, d)) // s + 1


def pool_out(i, k, s, pad, d, ceil_mode) -> int:
    span = i + pad[0] + pad[1] - effective(k, d)
    if not ceil_mode:
        return span // s + 1
    o = -(-span // s) + 1
    return o - 1 if (o - 1) * s >= i + pad[0] else o


def same_padding(i, k, s, d) -> tuple[int, int]:
    o = -(-i // s)
    total = max((o - 1) * s + effective(k, d) - i, 0)
    return total // 2, total - total // 2


def is_seq(shape: Shape) -> bool:
    """[N, T, F] and [N, T, a, b]: a symbolic dim 1 (a sequence); no conv, bn or pool."""
    return isinstance(shape[1], str)


def divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


# ---- writing values ---------------------------------------------------------------


def lit(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(lit(v) for v in value) + "]"
    return repr(value)


def call(op: str, *args, **kwargs) -> str:
    """`op(a, b, key=value)`; keyword values are netspec text already (None: left out)."""
    parts = [*map(str, args), *(f"{k}={v}" for k, v in kwargs.items() if v is not None)]
    return f"{op}({', '.join(parts)})" if parts else op


def indent(lines: list[str]) -> list[str]:
    return ["    " + line for text in lines for line in text.split("\n")]


@dataclass
class Ctx:
    """Where a statement is written: the tensors it may name and what it may do."""

    scope: dict  # name -> shape of the tensors visible by name
    ref: str  # a tensor whose attributes are in scope ("x", or "in" in a block)
    depth: int = 0
    keep_rank: bool = False  # inside branches and repeat bodies: no rank change
    params: dict = field(default_factory=dict)  # parameters and `let` numbers: name -> value

    def child(self, **changes) -> Ctx:
        return replace(self, scope=dict(self.scope), params=dict(self.params), **changes)


@dataclass
class Block:
    name: str
    sig: str
    body: list
    shape: Shape  # the input shape it was written for
    out: Shape
    required: str = ""  # text of the required arguments at a call
    skip: Shape | None = None  # shape of its tensor argument


TEMPLATES = {
    # shape-preserving on ranks 3 to 5, for any c and odd k
    "widen": "block {n}(c, k=3) {{\n    conv(c, k, padding=k // 2) bn relu\n"
    "    conv(in.c, 1, bias=false)\n}}",
    "residual": 'block {n}(c, act="relu") {{\n    add {{\n        conv(c, 3, padding=1) bn relu\n'
    "        conv(in.c, 3, padding=1) bn\n      |\n    }}\n"
    '    if act == "relu" {{\n        relu\n    }} else {{\n        gelu\n    }}\n}}',
    # calls that differ in a number that changes the structure: a repeat count
    "stack": "block {n}(depth, c=4) {{\n    repeat depth as i {{\n        conv(c + i, 3, padding=1)"
    " relu\n    }}\n    conv(in.c, 1)\n}}",
    # ... and a condition: [N, C, *s] -> [N, c, *(s // p)]
    "down": "block {n}(p, c) {{\n    if p > 1 {{\n        maxpool(p)\n    }}\n    conv(c, 1)\n}}",
    # shape-preserving on rank 2
    "mlp": "block {n}(h, p=0.1) {{\n    linear(h) relu dropout(p)\n    linear(in.c)\n}}",
    # [N, C, *s] -> [N, c, *s], with a mask of the input's spatial size
    "masked": "block {n}(c, m) {{\n    partial_conv(c, 3, mask=m, padding=1) relu\n}}",
}


class Writer:
    """Writes one random valid spec; every choice comes from `src`."""

    def __init__(self, src):
        self.src = src
        self.budget = src.int(3, 24)  # stages still to write (fixers may exceed it)
        self.count = 0
        self.consts: list[str] = []
        self.blocks: list[Block] = []
        self.templates: dict[str, str] = {}  # kind -> block name
        self.block_text: list[str] = []

    # -- drawing helpers

    def coin(self, percent: int) -> bool:
        return self.src.int(0, 99) < percent

    def int(self, lo, hi) -> int:
        return self.src.int(lo, hi)

    def pick(self, items):
        return self.src.pick(items)

    def fresh(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def spell(self, values: list):
        """One value when every axis has it (sometimes), else the per-axis list."""
        if len(set(map(repr, values))) == 1 and self.coin(60):
            return values[0]
        return list(values)

    def num(self, value: int, ctx: Ctx) -> str:
        """An integer argument, sometimes as an expression or a parameter that gives it."""
        names = [n for n, v in ctx.params.items() if type(v) is int and v == value]
        if names and self.coin(60):
            return self.pick(names)
        if value > 2 and value % 2 == 0 and self.coin(15):
            return f"2 * {value // 2}"
        if self.coin(8):
            return f"({value + 3} - 3)"
        return str(value)

    def bias(self, ctx: Ctx):
        if "bias" in ctx.params and self.coin(60):
            return "bias"
        return self.pick((None, None, "true", "false"))

    def batch(self, shape: Shape, ctx: Ctx) -> str:
        if isinstance(shape[0], int):
            return str(shape[0])
        return self.pick(("N", "N", f"{ctx.ref}.n"))

    def dims(self, shape: Shape, ctx: Ctx) -> str:
        return "[" + ", ".join([self.batch(shape, ctx), *map(str, shape[1:])]) + "]"

    # -- the spec

    def network(self) -> str:
        batch = "N" if self.coin(80) else self.int(2, 3)
        rank = self.pick((2, 3, 4, 4, 4, 4, 5, 2, 2, 3, 4, 4, 5, "seq"))
        c = self.int(1, 8)
        if rank == "seq":
            rank, shape = 3, (batch, "T", self.int(1, 32))
        elif rank == 2:
            shape = (batch, self.int(1, 48))
        elif rank == 5:
            shape = (batch, c, *(self.int(2, 8) for _ in range(3)))
        else:
            shape = (batch, c, *(self.int(4, 32) for _ in range(rank - 2)))
        inputs = [f"input x: {lit_shape(shape)}"]
        scope = {"x": shape}
        embedded = is_seq(shape) and shape[2] % 3 != 0
        # token ids into vectors (unless the features are a multiple of 3): decided from
        # draws already made, so that every later draw of the writer stays as it was
        if embedded:  # `x` is then the embedding's statement, with fixed positions when
            # the width is even (a table of 8 positions: the oracles' length is 3)
            inputs = [f"input ids: {lit_shape(shape[:2])} int64"]
            positions = " sinusoidal(8)" if shape[2] % 2 == 0 else ""
            inputs.append(f"x = embedding({shape[2] + 3}, {shape[2]}){positions}")
        if rank >= 3 and not is_seq(shape) and self.coin(30):
            mask = (batch, self.pick((1, c)), *shape[2:])
            inputs.append(f"input mask: {lit_shape(mask)}")
            scope["mask"] = mask
        params = {}
        header = "network R"
        if self.coin(25):
            params = {"width": self.int(1, MAX_C)}
            header += f"(width={params['width']})"
        ctx = Ctx(scope, "x", params=params)
        body, _ = self.body(shape, ctx, self.int(2, 8), at_least_one=True)
        body.append("identity")  # a layer, even when every statement made none (`repeat 0`)
        if self.coin(15):
            chosen = [self.pick(list(ctx.scope)) for _ in range(self.int(1, 2))]
            body.append("output " + ", ".join(dict.fromkeys(chosen)))
        defaults = [d for d in DEFAULTS if self.coin(6)]
        network = "\n".join([header + " {", *indent(inputs + body), "}"])
        after = self.coin(30)
        items = self.consts + defaults
        items += ([] if after else self.block_text) + [network] + (self.block_text if after else [])
        return "\n\n".join(items) + "\n"

    def body(self, shape, ctx: Ctx, n: int, at_least_one=False) -> tuple[list[str], Shape]:
        lines: list[str] = []
        for _ in range(n):
            if self.budget <= 0 and not (at_least_one and not lines):
                break
            more, shape = self.statement(shape, ctx)
            lines += more
        return lines, shape

    def shape_preserving(self, shape, ctx: Ctx, n: int) -> list[str]:
        lines, out = self.body(shape, ctx, n)
        fix = self.fix(out, shape, ctx)
        return lines + ([" ".join(fix)] if fix else [])

    # -- statements

    def statement(self, shape, ctx: Ctx) -> tuple[list[str], Shape]:
        kinds = ["chain"] * 5 + ["named"] * 4 + ["let"]
        if ctx.depth < 2:
            kinds += ["repeat", "repeat", "if"]
        others = [n for n, s in ctx.scope.items() if not ctx.keep_rank or self.mergeable(s, shape)]
        if others:
            kinds += ["from"]
        if "act" in ctx.params:
            kinds += ["act"] * 2
        kinds += ["parts_or_learned"]  # `a, b = chunk(2)`, `param p: [...]` (issue 14)
        kind = self.pick(kinds)
        if kind in ("chain", "named"):
            stages, out = self.chain(shape, ctx, self.int(1, 3))
            text = " ".join(stages)
            if kind == "named":
                name = self.fresh("s")
                text = f"{name} = {text}"
                ctx.scope[name] = out
            if self.coin(15):
                text += f" -> {self.dims(out, ctx)}"
            return [text], out
        if kind == "let":
            if ctx.scope and self.coin(60):
                target = self.pick(list(ctx.scope))
                name = self.fresh("t")
                ctx.scope[name] = ctx.scope[target]
                return [f"let {name} = {target}"], shape
            name = self.fresh("w")
            ctx.params[name] = self.int(1, MAX_C)
            return [f"let {name} = {ctx.params[name]}"], shape
        if kind == "from":
            name = self.pick(others)
            return [f"from {name}"], ctx.scope[name]
        if kind == "act":
            self.budget -= 1
            return [
                'if act == "relu" {\n    relu\n} else if act == "gelu" {\n    gelu\n} else {\n'
                "    tanh\n}"
            ], shape
        if kind == "repeat":
            return self.repeat(shape, ctx), shape
        if kind == "parts_or_learned":
            return self.parts(shape, ctx) if self.coin(50) else (self.learned(shape), shape)
        return self.if_else(shape, ctx)

    def parts(self, shape, ctx: Ctx) -> tuple[list[str], Shape]:
        """`a, b = chunk(k)` or `a, b = split(...)` on the channels (a sequence: its last
        dim); every part bound by name, the stream the first."""
        dim = len(shape) - 1 if is_seq(shape) else 1
        size = shape[dim]
        if size < 2:
            return [], shape
        self.budget -= 1
        chunks = [d for d in divisors(size) if 1 < d <= 4]
        if chunks and self.coin(50):
            k = self.pick(chunks)
            sizes, op = [size // k] * k, f"chunk({k}" + ("" if dim == 1 else f", dim={dim}") + ")"
        else:
            first = self.int(1, size - 1)
            sizes = [first, size - first]
            where = "" if dim == 1 else f", dim={self.pick((dim, -1))}"
            op = (
                f"split({lit(sizes)}{where})"
                if self.coin(70) or first * 2 != size
                else (f"split({first}{where})")
            )
        names = [self.fresh("p") for _ in sizes]
        for name, part in zip(names, sizes, strict=True):
            ctx.scope[name] = (*shape[:dim], part, *shape[dim + 1 :])
        return [f"{', '.join(names)} = {op}"], ctx.scope[names[0]]

    def learned(self, shape) -> list[str]:
        """A learned tensor that broadcasts against the stream, and its merge."""
        self.budget -= 1
        name = self.fresh("g")
        if is_seq(shape) or len(shape) == 2:
            dims = [shape[-1]] if self.coin(50) else [1] * (len(shape) - 1) + [shape[-1]]
        else:
            dims = [shape[1], *([1] * (len(shape) - 2))]
        init = self.pick(("", " = 0.5", " = 1e-6", " = -2"))
        merge = self.pick(("mul", "add"))
        return [f"param {name}: {lit(dims)}{init}", f"{merge}({name})"]

    def repeat(self, shape, ctx: Ctx) -> list[str]:
        n = self.pick((0, 1, 2, 2, 3))
        inner = ctx.child(depth=ctx.depth + 1, keep_rank=True)
        if n > 0:
            inner.scope = ctx.scope  # a repeat opens no scope (and `repeat 0` binds nothing)
        head, lines = f"repeat {n}", []
        if self.coin(40):
            var = self.fresh("i")
            head += f" as {var}"
            lines.append(self.varying(shape, var))
        lines += self.shape_preserving(shape, inner, self.int(1, 2))
        self.budget -= max(0, n - 1) * 2
        return [head + " {", *indent(lines), "}"]

    def varying(self, shape, var: str) -> str:
        """A statement that depends on the repeat's index and keeps the shape."""
        if len(shape) >= 3 and not is_seq(shape) and self.coin(60):
            k = self.pick((1, 3, 5))
            return (
                f"conv({self.int(1, 8)} + 2 * {var}, {k}, padding={k // 2}) relu "
                f"conv({shape[1]}, 1)"
            )
        if (len(shape) == 2 or is_seq(shape)) and self.coin(50):
            return f"linear({self.int(1, 8)} + {var}) relu linear({shape[-1]})"
        return self.pick((f"dropout(p=0.1 * {var})", f"leaky_relu(slope=0.05 * ({var} + 1))"))

    def condition(self, ctx: Ctx) -> tuple[str, bool]:
        name = self.pick([*ctx.scope, ctx.ref])
        # `in` of a block: its shape is the block's input
        shape = ctx.scope[name] if name in ctx.scope else ctx.params["__in"]
        attrs = {"c": shape[1], "rank": len(shape)}
        attrs.update(
            dict(zip({3: "l", 4: "hw", 5: "dhw"}.get(len(shape), ""), shape[2:], strict=True))
        )
        attr = self.pick(sorted(a for a, v in attrs.items() if isinstance(v, int)))
        value, bound = attrs[attr], self.int(0, 12)
        op = self.pick((">", "<=", "==", "!="))
        truth = {
            ">": value > bound,
            "<=": value <= bound,
            "==": value == bound,
            "!=": value != bound,
        }[op]
        text = f"{name}.{attr} {op} {bound}"
        if self.coin(20):
            text, truth = f"not ({text})", not truth
        return text, truth

    def if_else(self, shape, ctx: Ctx) -> tuple[list[str], Shape]:
        """An `if` whose condition is known here; only the taken body binds names."""
        cond, truth = self.condition(ctx)
        taken_ctx, spare = (ctx.child(depth=ctx.depth + 1) for _ in range(2))
        n = self.int(1, 2)
        if truth:
            taken, out = self.body(shape, taken_ctx, n)
            other, _ = self.body(shape, spare, n)
            lines = [f"if {cond} {{", *indent(taken)]
            if self.coin(50):
                lines += ["} else {", *indent(other)]
            lines.append("}")
        else:
            skipped, _ = self.body(shape, spare, n)
            taken, out = self.body(shape, taken_ctx, n)
            lines = [f"if {cond} {{", *indent(skipped)]
            cond2, truth2 = self.condition(ctx) if self.coin(30) else ("", False)
            if cond2 and truth2:
                lines += [f"}} else if {cond2} {{", *indent(taken), "}"]
            else:
                if cond2:
                    lines += [f"}} else if {cond2} {{", *indent(self.body(shape, spare, 1)[0])]
                if not taken and self.coin(50):
                    lines.append("}")  # a false `if` without else: the identity
                else:
                    lines += ["} else {", *indent(taken), "}"]
        ctx.scope.update(taken_ctx.scope)  # an if body opens no scope
        return lines, out

    # -- chains and stages

    def chain(self, shape, ctx: Ctx, n: int) -> tuple[list[str], Shape]:
        stages = []
        for _ in range(n):
            more, shape = self.stage(shape, ctx)
            stages += more
        return stages, shape

    def stage(self, shape, ctx: Ctx) -> tuple[list[str], Shape]:
        """One stage (or a few: a fixer before a named merge) for `shape`."""
        self.budget -= 1
        rank = len(shape)
        kinds = ["act"] * 5 + ["modern"] * 3 + ["bn", "prelu", "dropout", "softmax", "linear"]
        if is_seq(shape):
            # a recurrence on [N, T, F] takes one act's slot: the list's length, and so
            # every other draw, stays as it was
            kinds = ["act"] * 3 + ["recurrent" if rank == 3 else "act"] + ["modern"] * 3
            kinds += ["dropout", "softmax", "linear", "linear", "lrn"]
            kinds += [] if ctx.keep_rank else ["reshape"] * 2
        elif rank == 2:
            kinds += ["linear", "rbf", "rbf"] + ([] if ctx.keep_rank else ["reshape"] * 3)
        else:
            kinds += ["conv"] * 5 + ["conv_transpose"] * 2 + ["maxpool", "avgpool"] * 2
            kinds += ["subsample", "global", "adaptive", "lrn", "upsample", "upsample"]
            if rank == 3:  # attention on [N, L, D] takes one upsample's slot: the list's
                kinds[-2] = "attention"  # length, and so every other draw, stays as it was
                # and a recurrence on [N, C, L] (C the steps) two of conv's five slots
                # and one pair of the pools' (rank 3 keeps three convs and a pair of pools)
                kinds[-16:-14] = ["recurrent"] * 2
                kinds[-8:-6] = ["recurrent"] * 2
            kinds += ["partial_conv"] * 3
            if not ctx.keep_rank:
                kinds += ["flatten", "reshape"]
        kinds += ["norm"] * 2  # layer_norm, rms_norm, group_norm, instance_norm
        # permute ... crop (netspec/ops/layout.py, border.py), two at a time mostly
        kinds += ["layout"] * (3 if ctx.depth == 0 else 2)
        if ctx.depth < 2:
            kinds += ["add", "add", "concat", "concat", "block", "block", "block"]
            kinds += ["mul", "matmul"]
        if any(self.mergeable(s, shape) for s in ctx.scope.values()):
            kinds += ["named_merge"] * 3
        for _ in range(10):
            result = getattr(self, "op_" + self.pick(kinds))(shape, ctx)
            if result is not None:
                text, out = result
                return ([text] if isinstance(text, str) else text), out
        return [self.pick(ACTIVATIONS)], shape

    def fix(self, u: Shape, t: Shape, ctx: Ctx, free: int | None = None) -> list[str]:
        """Stages that turn shape u into t (same rank), leaving dim `free` as it is."""
        target = list(t)
        if free is not None:
            target[free] = u[free]
        stages = []
        if is_seq(u):  # only the last dim can differ
            return [] if u[-1] == target[-1] else [call("linear", self.num(target[-1], ctx))]
        if len(u) >= 3 and tuple(u[2:]) != tuple(target[2:]):
            kind = self.pick(("adaptive_avgpool", "adaptive_maxpool"))
            stages.append(f"{kind}({lit(self.spell(target[2:]))})")
            u = (*u[:2], *target[2:])
        if u[1] != target[1]:
            op = "linear" if len(u) == 2 else "conv"
            stages.append(
                call(
                    op,
                    self.num(target[1], ctx),
                    *([1] if op == "conv" else []),
                    bias=self.bias(ctx),
                )
            )
        return stages

    # -- ops

    def cap(self, shape: Shape) -> int:
        return 8 if len(shape) == 5 else 32

    def padding(self, form: str, sizes, room) -> tuple[list, object]:
        """(before, after) per axis and its text value; room[a]: most total padding."""
        r = len(sizes)
        if form == "valid":
            return [(0, 0)] * r, "valid" if self.coin(50) else 0
        if form == "int":
            p = self.int(0, min(2, min(room) // 2))
            return [(p, p)] * r, p
        pairs, text = [], []
        for a in range(r):
            if form == "pairs" and self.coin(60):
                b = self.int(0, min(2, room[a]))
                e = self.int(0, min(2, room[a] - b))
                pairs.append((b, e))
                text.append([b, e])
            else:
                p = self.int(0, min(2, room[a] // 2))
                pairs.append((p, p))
                text.append(p)
        if form == "axis":
            return pairs, self.spell(text)
        return pairs, text

    def op_conv(self, shape, ctx: Ctx, kind: str = "conv"):
        if len(shape) < 3:
            return None
        c, sizes, cap = shape[1], shape[2:], self.cap(shape)
        extra = {}
        if kind == "partial_conv":
            masks = [
                n
                for n, s in ctx.scope.items()
                if len(s) == len(shape) and s[2:] == sizes and s[1] in (1, c)
            ]
            if not masks:
                return None
            extra["mask"] = self.pick(masks)
        groups = self.pick([g for g in divisors(c) if g <= 8]) if self.coin(30) else 1
        out = groups * self.int(1, max(1, MAX_C // groups))
        if kind == "conv" and groups == 1 and self.coin(12):
            out = self.int(1, 6)
            table = [self.subset(c) for _ in range(out)]
            if self.coin(40):
                name = self.fresh("TABLE")
                self.consts.append(f"const {name} = {lit(table)}")
                extra["connect"] = name
            else:
                extra["connect"] = lit(table)
        d = [self.pick((1, 1, 1, 2, 3)) for _ in sizes]
        s = [self.pick((1, 1, 2, 3)) for _ in sizes]
        form = self.pick(("int", "axis", "pairs", "same", "valid"))
        if form == "same":
            k = [self.int(1, 5) for _ in sizes]
            pads, padding = [same_padding(*v) for v in zip(sizes, k, s, d, strict=True)], "same"
        else:
            pads, padding = self.padding(form, sizes, [cap - i for i in sizes])
            k = [
                self.int(1, min(5, (i + b + a - 1) // dd + 1))
                for i, (b, a), dd in zip(sizes, pads, d, strict=True)
            ]
        o = [conv_out(*v) for v in zip(sizes, k, s, pads, d, strict=True)]
        text = call(
            kind,
            self.num(out, ctx),
            lit(self.spell(k)),
            **extra,
            stride=None if set(s) == {1} and self.coin(50) else lit(self.spell(s)),
            padding=None if form == "valid" and padding == 0 and self.coin(50) else lit(padding),
            dilation=None if set(d) == {1} and self.coin(70) else lit(self.spell(d)),
            groups=None if groups == 1 and self.coin(80) else str(groups),
            bias=self.bias(ctx),
        )
        return text, (shape[0], out, *o)

    def subset(self, c: int) -> list[int]:
        first = self.int(0, c - 1)
        rest = [ch for ch in range(c) if ch != first and self.coin(40)]
        return [first, *rest] if self.coin(50) else sorted([first, *rest])

    def op_partial_conv(self, shape, ctx: Ctx):
        return self.op_conv(shape, ctx, "partial_conv")

    def op_conv_transpose(self, shape, ctx: Ctx):
        if len(shape) < 3:
            return None
        c, sizes, cap = shape[1], shape[2:], self.cap(shape)
        groups = self.pick([g for g in divisors(c) if g <= 4]) if self.coin(25) else 1
        out = groups * self.int(1, max(1, MAX_C // groups))
        k, s, d, op, p, o = [], [], [], [], [], []
        for i in sizes:
            kk, ss, dd = self.int(1, 4), self.pick((1, 2, 2, 3)), self.pick((1, 1, 2))
            oo = self.int(0, max(ss, dd) - 1)
            pp = self.int(0, min(2, (ss * (i - 1) + oo + dd * (kk - 1)) // 2))
            size = ss * (i - 1) + oo + effective(kk, dd) - 2 * pp
            if size > cap:  # too large: a stride-1 transposed conv that keeps or grows by k - 1
                ss, dd, oo, kk = 1, 1, 0, self.pick((1, 3))
                pp = (kk - 1) // 2 if i + kk - 1 > cap else self.int(0, (kk - 1) // 2)
                size = i + kk - 1 - 2 * pp
            for values, v in zip((k, s, d, op, p, o), (kk, ss, dd, oo, pp, size), strict=True):
                values.append(v)
        form = self.pick(("int", "axis", "pairs"))
        if form == "pairs":
            padding = [[v, v] if self.coin(50) else v for v in p]
        elif form == "int" and len(set(p)) == 1:
            padding = p[0]
        else:
            padding = self.spell(p)
        text = call(
            "conv_transpose",
            self.num(out, ctx),
            lit(self.spell(k)),
            stride=lit(self.spell(s)),
            padding=None if set(p) == {0} and self.coin(50) else lit(padding),
            output_padding=None if set(op) == {0} and self.coin(60) else lit(self.spell(op)),
            dilation=None if set(d) == {1} and self.coin(70) else lit(self.spell(d)),
            groups=None if groups == 1 else str(groups),
            bias=self.bias(ctx),
        )
        return text, (shape[0], out, *o)

    def op_maxpool(self, shape, ctx: Ctx, kind: str = "maxpool"):
        if len(shape) < 3:
            return None
        sizes, cap = shape[2:], self.cap(shape)
        d = [self.int(1, 2) for _ in sizes] if self.coin(25) else [1] * len(sizes)
        k = [self.int(1, min(4, (i - 1) // dd + 1)) for i, dd in zip(sizes, d, strict=True)]
        stride = None if self.coin(40) else [self.int(1, 3) for _ in sizes]
        s = k if stride is None else stride
        form = self.pick(("int", "axis", "pairs", "same", "valid", "valid"))
        if form == "same":
            pads = [same_padding(*v) for v in zip(sizes, k, s, d, strict=True)]
            if any(max(pad) > kk // 2 for pad, kk in zip(pads, k, strict=True)):
                form = "valid"
            padding = "same"
        if form != "same":
            pads, padding = self.padding(form, sizes, [2 * (kk // 2) for kk in k])
            pads = [(min(b, kk // 2), min(a, kk // 2)) for (b, a), kk in zip(pads, k, strict=True)]
            if form == "pairs":
                padding = [
                    list(pp) if isinstance(t, list) else pp[0]
                    for pp, t in zip(pads, padding, strict=True)
                ]
            elif form != "valid":
                padding = self.spell([pp[0] for pp in pads]) if form == "axis" else pads[0][0]
        ceil_mode = self.coin(35)
        o = [pool_out(*v, ceil_mode) for v in zip(sizes, k, s, pads, d, strict=True)]
        if max(o) > cap:
            return None
        kwargs = dict(
            stride=None if stride is None else lit(self.spell(stride)),
            padding=None if padding in (0, "valid") and self.coin(50) else lit(padding),
            dilation=None if set(d) == {1} and self.coin(70) else lit(self.spell(d)),
            ceil_mode="true" if ceil_mode else None,
        )
        if kind == "avgpool" and self.coin(50):
            kwargs["count_include_pad"] = self.pick(("true", "false"))
        return call(kind, lit(self.spell(k)), **kwargs), (*shape[:2], *o)

    def op_avgpool(self, shape, ctx: Ctx):
        return self.op_maxpool(shape, ctx, "avgpool")

    def op_subsample(self, shape, ctx: Ctx):
        if len(shape) < 3:
            return None
        k = [self.int(1, min(3, i)) for i in shape[2:]]
        return call("subsample", lit(self.spell(k))), (
            *shape[:2],
            *(i // kk for i, kk in zip(shape[2:], k, strict=True)),
        )

    def op_global(self, shape, ctx: Ctx):
        if len(shape) < 3:
            return None
        return self.pick(("global_avgpool", "global_maxpool")), (
            *shape[:2],
            *(1 for _ in shape[2:]),
        )

    def op_adaptive(self, shape, ctx: Ctx):
        if len(shape) < 3:
            return None
        size = [self.int(1, min(self.cap(shape), i + 3)) for i in shape[2:]]
        op = self.pick(("adaptive_avgpool", "adaptive_maxpool"))
        return f"{op}({lit(self.spell(size))})", (*shape[:2], *size)

    def op_upsample(self, shape, ctx: Ctx):
        if len(shape) < 3 or max(shape[2:]) > self.cap(shape):
            return None
        scales = []
        for i in shape[2:]:
            fits = [f for f in SCALES if 1 <= floor(i * f) <= self.cap(shape)]
            scales.append(self.pick(fits))
        mode = self.pick(UPSAMPLE_MODES[len(shape) - 2])
        out = (*shape[:2], *(floor(i * f) for i, f in zip(shape[2:], scales, strict=True)))
        written = None if mode == "nearest" and self.coin(50) else lit(mode)
        return call("upsample", lit(self.spell(scales)), mode=written), out

    def op_bn(self, shape, ctx: Ctx):
        if len(shape) > 5:
            return None
        options = (
            "bn",
            "bn",
            "bn(affine=false)",
            "bn(track_running_stats=false)",
            "bn(eps=0.001, momentum=0.2)",
            "bn(affine=false, track_running_stats=false)",
        )
        return self.pick(options), shape

    def op_lrn(self, shape, ctx: Ctx):
        if len(shape) < 3:
            return None
        return self.pick(
            (
                "lrn",
                "lrn(size=3)",
                "lrn(size=2, alpha=0.001, beta=0.5, k=2.0)",
                f"lrn({self.int(1, 7)})",
            )
        ), shape

    def op_norm(self, shape, ctx: Ctx):
        """A normalisation that reads statistics at inference (netspec/ops/norm.py)."""
        options = [
            "layer_norm",
            "layer_norm(eps=0.001)",
            "layer_norm(dim=-1, affine=false)",
            "layer_norm(bias=false)",
            "rms_norm",
            "rms_norm(eps=1e-6)",
            "rms_norm(affine=false)",
        ]
        if not is_seq(shape):
            dim = self.int(1, len(shape) - 1)
            options += [f"layer_norm(dim={dim}, eps=1e-6)", f"rms_norm(dim={dim}, eps=1e-5)"]
            options += ["layer_norm(dim=1)"] * 2
            positions = prod(shape[2:])
            # a group of one value: PyTorch refuses it at batch 1
            groups = [g for g in divisors(shape[1]) if shape[1] // g * positions > 1]
            if groups:
                g = self.pick(groups)
                options += [f"group_norm({g})", f"group_norm({g}, eps=0.001, affine=false)"]
            if 3 <= len(shape) <= 5:
                options += ["instance_norm(track_running_stats=true)"]
                options += [
                    "instance_norm(eps=0.001, momentum=0.2, affine=true, track_running_stats=true)"
                ]
                if positions > 1:  # PyTorch refuses one position without running statistics
                    options += ["instance_norm", "instance_norm(affine=true)"]
        return self.pick(options), shape

    def op_prelu(self, shape, ctx: Ctx):
        return self.pick(("prelu", "prelu", "prelu(shared=true)")), shape

    def op_act(self, shape, ctx: Ctx):
        op = self.pick(ACTIVATIONS)  # identity (in every spec anyway) on [N, L, D], D even:
        if op == "identity" and self.positions(shape) != "scale(0.5)":  # positions
            return self.positions(shape), shape
        return op, shape

    def op_modern(self, shape, ctx: Ctx):
        op = self.pick(MODERN_ACTIVATIONS)
        positions = self.positions(shape)  # a ViT's input: positions, then drop_path
        if op.startswith("drop_path") and positions != "scale(0.5)":
            return f"{positions} {op}", shape
        return op, shape

    def op_dropout(self, shape, ctx: Ctx):
        # the third choice, once identity (an activation too), is scale or, on [N, L, D]
        # with D even, sinusoidal positions, which the second puts before its dropout too
        # (as a transformer's input): no draw of their own
        positions = self.positions(shape)
        second = "dropout(p=0.5)" if positions == "scale(0.5)" else f"{positions} dropout(p=0.5)"
        return self.pick(("dropout", second, positions)), shape

    def positions(self, shape) -> str:
        """A position table a little longer than the sequence (8 where the length is
        symbolic: the oracles give it 3) on [N, L, D], sinusoidal for an even D, learned
        for an odd one; else scale."""
        if len(shape) != 3:
            return "scale(0.5)"
        rows = shape[1] + 2 if isinstance(shape[1], int) else 8
        return f"sinusoidal({rows})" if shape[-1] % 2 == 0 else f"learned_positions({rows})"

    def op_softmax(self, shape, ctx: Ctx):
        op = self.pick(("softmax", "log_softmax"))
        dim = self.pick([*range(1, len(shape)), -1, -len(shape) + 1])
        if op == "softmax" and dim % len(shape) == len(shape) - 1:  # attention's weights:
            return "causal_mask softmax(dim=-1)", shape  # a row keeps its first key: finite
        return (op if dim == 1 and self.coin(50) else f"{op}(dim={dim})"), shape

    def op_linear(self, shape, ctx: Ctx):
        out = self.int(1, MAX_C if len(shape) == 2 else self.cap(shape))
        return call("linear", self.num(out, ctx), bias=self.bias(ctx)), (*shape[:-1], out)

    def op_rbf(self, shape, ctx: Ctx):
        if len(shape) != 2:
            return None
        units = self.int(1, 12)
        trainable = self.pick((None, None, "true", "false"))
        return call("rbf", units, trainable=trainable), (shape[0], units)

    def op_flatten(self, shape, ctx: Ctx):
        if len(shape) < 3 or prod(shape[1:]) > 1024:
            return None
        if len(shape) >= 4 and prod(shape[2:]) <= 32 and self.coin(30):
            return "flatten(start_dim=2)", (*shape[:2], prod(shape[2:]))
        return self.pick(("flatten", "flatten(start_dim=1)")), (shape[0], prod(shape[1:]))

    def op_reshape(self, shape, ctx: Ctx):
        b = self.batch(shape, ctx)
        if is_seq(shape):  # [N, T, F] <-> [N, T, a, F / a]: the symbols keep their places
            if len(shape) == 4:
                return f"reshape([{b}, T, -1])", (*shape[:2], shape[2] * shape[3])
            a = self.pick(divisors(shape[2]))
            rest = "-1" if self.coin(50) else str(shape[2] // a)
            return f"reshape([{b}, T, {a}, {rest}])", (*shape[:2], a, shape[2] // a)
        if len(shape) >= 3:
            if len(shape) >= 4 and prod(shape[2:]) <= 32 and self.coin(40):
                return f"reshape([{b}, {shape[1]}, -1])", (*shape[:2], prod(shape[2:]))
            if prod(shape[1:]) > 1024:
                return None
            return f"reshape([{b}, -1])", (shape[0], prod(shape[1:]))
        f = shape[1]
        splits = [(c, f // c) for c in divisors(f) if c <= MAX_C and f // c <= 32]
        if not splits:
            return None
        c, rest = self.pick(splits)
        squares = [(h, rest // h) for h in divisors(rest) if rest // h <= 32]
        if rest > 1 and self.coin(40) and squares:
            h, w = self.pick(squares)
            dims = [c, h, -1 if self.coin(30) else w]
            return f"reshape([{b}, {', '.join(map(str, dims))}])", (shape[0], c, h, w)
        dims = [-1 if self.coin(30) else c, rest]
        return f"reshape([{b}, {dims[0]}, {dims[1]}])", (shape[0], c, rest)

    # -- layout and border ops (netspec/ops/layout.py, border.py)

    def op_layout(self, shape, ctx: Ctx):
        kinds = ["permute", "permute", "transpose", "transpose", "shuffle", "shuffle"]
        kinds += ["pad", "pad", "pad", "slice", "slice", "slice", "crop", "crop"]
        kinds += [] if ctx.keep_rank else ["squeeze", "squeeze", "unsqueeze"]
        # two at a time, mostly: each op shows up in many specs while the kind stays
        # rare enough among the others that blocks still nest (tests/test_onnx_functions.py)
        stages = []
        for _ in range(self.pick((1, 2, 2))):
            result = getattr(self, "layout_" + self.pick(kinds))(shape, ctx)
            if result is not None:
                text, shape = result
                stages += [text] if isinstance(text, str) else text
        return (stages, shape) if stages else None

    def fits(self, shape: Shape) -> bool:
        """Within the writer's sizes: channels <= MAX_C (rank >= 3), spatial <= cap."""
        if len(shape) == 2:
            return shape[1] <= 64
        return shape[1] <= MAX_C and max(shape[2:]) <= self.cap(shape)

    def dim_text(self, d: int, rank: int):
        return d - rank if self.coin(30) else d

    def layout_transpose(self, shape, ctx: Ctx):
        return self.layout_permute(shape, ctx, swap=True)

    def layout_permute(self, shape, ctx: Ctx, swap: bool = False):
        """A permutation of the axes after the batch (a swap of two: a transpose) whose
        shape stays within the writer's sizes."""
        if len(shape) < 3 or is_seq(shape):
            return None
        rank, rest = len(shape), list(range(1, len(shape)))
        if swap:
            orders = []
            for a in rest:
                for b in rest[a:]:
                    order = list(range(rank))
                    order[a], order[b] = b, a
                    orders.append(order)
        else:
            orders = [[0, *self.shuffled(rest)] for _ in range(4)]
        orders = [o for o in orders if self.fits(tuple(shape[d] for d in o))]
        if not orders:
            return None
        order = self.pick(orders)
        swapped = [i for i, d in enumerate(order) if d != i]
        if len(swapped) == 2 and (swap or self.coin(30)):
            a, b = (self.dim_text(d, rank) for d in swapped)
            text = f"transpose({a}, {b})" if self.coin(80) else f"transpose({b}, {a})"
        else:
            text = f"permute({lit([self.dim_text(d, rank) for d in order])})"
        return text, tuple(shape[d] for d in order)

    def shuffled(self, items: list) -> list:
        items = list(items)
        for i in range(len(items) - 1, 0, -1):
            j = self.int(0, i)
            items[i], items[j] = items[j], items[i]
        return items

    def layout_shuffle(self, shape, ctx: Ctx):
        if len(shape) < 3 or is_seq(shape):
            return None
        return f"channel_shuffle({self.pick(divisors(shape[1]))})", shape

    def layout_squeeze(self, shape, ctx: Ctx):
        ones = [d for d in range(1, len(shape)) if shape[d] == 1]
        if is_seq(shape):
            return None
        if not ones or len(shape) < 3:  # a squeeze of an axis just inserted
            d = self.int(2, len(shape))
            return [f"unsqueeze({d})", self.pick(ACTIVATIONS), f"squeeze({d})"], shape
        d = self.pick(ones)
        out = (*shape[:d], *shape[d + 1 :])
        return (f"squeeze({self.dim_text(d, len(shape))})", out) if self.fits(out) else None

    def layout_unsqueeze(self, shape, ctx: Ctx):
        if len(shape) > 4 or is_seq(shape):
            return None
        d = self.int(1, len(shape))
        out = (*shape[:d], 1, *shape[d:])
        text = f"unsqueeze({d - len(shape) - 1 if self.coin(30) else d})"
        return (text, out) if self.fits(out) else None

    def layout_pad(self, shape, ctx: Ctx):
        if is_seq(shape):
            return None
        spatial = shape[2:]
        mode = self.pick(("constant", "constant", "reflect", "replicate", "circular"))
        limit = {"reflect": -1, "circular": 0}.get(mode)  # most padding: size + limit

        def most(size: int) -> int:
            return 2 if limit is None else min(2, size + limit)

        pairs = [(self.int(0, most(i)), self.int(0, most(i))) for i in spatial]
        kwargs = {}
        if pairs:
            form = self.pick(("int", "axis", "pairs"))
            if form == "int":
                p = min(self.int(0, 2), *(most(i) for i in spatial))
                pairs = [(p, p)] * len(spatial)
                kwargs["padding"] = str(p)
            elif form == "axis":
                pairs = [(b, b) for b, _ in pairs]
                kwargs["padding"] = lit(self.spell([b for b, _ in pairs]))
            else:
                kwargs["padding"] = lit([list(p) if self.coin(60) else p for p in pairs])
                pairs = [p if isinstance(p, tuple) else (p, p) for p in pairs]
        channels = (0, 0)
        if (len(shape) == 2 or self.coin(40)) and (mode == "constant" or len(shape) <= 4):
            c = shape[1]
            room = (MAX_C if len(shape) > 2 else 64) - c
            top = max(0, min(room // 2, 8, c + limit if limit is not None else 8))
            channels = (self.int(0, top), self.int(0, top))
            kwargs["channels"] = lit(list(channels) if channels[0] != channels[1] else channels[0])
        if mode != "constant":
            kwargs["mode"] = lit(mode)
        elif self.coin(30):
            kwargs["value"] = self.pick(("1.5", "-2.0", "0.0"))
        args = [kwargs.pop("padding")] if "padding" in kwargs and self.coin(30) else []
        out = (
            shape[0],
            shape[1] + sum(channels),
            *(i + b + a for i, (b, a) in zip(spatial, pairs, strict=True)),
        )
        if not self.fits(out):
            return None
        return call("pad", *args, **kwargs), out

    def layout_slice(self, shape, ctx: Ctx):
        dims = [len(shape) - 1] if is_seq(shape) else list(range(1, len(shape)))
        chosen = sorted(self.shuffled(dims)[: self.pick((1, 1, 2))])
        out, starts, ends, steps = list(shape), [], [], []
        for d in chosen:
            size = shape[d]
            b = self.int(0, size - 1)
            e = self.int(b + 1, size)
            s = self.pick((1, 1, 2, 3))
            out[d] = -(-(e - b) // s)
            starts.append(b - size if self.coin(25) else b)
            negative = e < size and self.coin(20)  # -0 would be index 0, not the end
            ends.append(None if e == size and self.coin(50) else e - size if negative else e)
            steps.append(s)
        texts = [self.dim_text(d, len(shape)) for d in chosen]

        def one(values: list, default):
            if all(v == default for v in values) and self.coin(70):
                return None
            if len(set(map(repr, values))) == 1 and self.coin(50):
                return "none" if values[0] is None else lit(values[0])
            return "[" + ", ".join("none" if v is None else lit(v) for v in values) + "]"

        dim = lit(texts[0]) if len(texts) == 1 and self.coin(70) else lit(texts)
        kwargs = {"start": one(starts, 0), "end": one(ends, None), "step": one(steps, 1)}
        return call("slice", dim, **kwargs), tuple(out)

    def layout_crop(self, shape, ctx: Ctx):
        if len(shape) < 3 or is_seq(shape):
            return None
        size = [self.int(1, i) for i in shape[2:]]
        return f"crop({lit(self.spell(size))})", (*shape[:2], *size)

    # -- merges

    def op_add(self, shape, ctx: Ctx, op: str = "add"):
        if op == "concat" and not is_seq(shape) and shape[1] > (MAX_C if len(shape) > 2 else 256):
            return None
        inner = ctx.child(depth=ctx.depth + 1, keep_rank=True)
        dim = len(shape) - 1 if is_seq(shape) else 1
        if op == "concat" and len(shape) >= 3 and not is_seq(shape) and self.coin(25):
            dim = self.pick(range(2, len(shape)))
            if shape[dim] > self.cap(shape) // 2:
                dim = 1
        first, target = self.body(shape, inner.child(), self.int(0, 2))
        if op in ("add", "mul") and self.coin(40):  # a shape-preserving main path
            first += [" ".join(self.fix(target, shape, ctx))] if target != shape else []
            target = shape
        branches, total = [first], target[dim]
        for _ in range(self.pick((1, 1, 2))):
            if target == shape and self.coin(40):
                branches.append(self.pick(([], ["identity"])))
                total += shape[dim]
                continue
            lines, u = self.body(shape, inner.child(), self.int(1, 2))
            fix = self.fix(u, target, ctx, free=dim if op == "concat" else None)
            branches.append(lines + ([" ".join(fix)] if fix else []))
            total += u[dim]
        out = list(target)
        if op == "concat":
            out[dim] = total
        head = op
        if op == "concat" and (dim != 1 or self.coin(20)):
            head = f"concat(dim={self.pick((dim, dim - len(shape)))})"
        lines = [head + " {"]
        for i, branch in enumerate(branches):
            lines += (["  |"] if i else []) + indent(branch)
        return "\n".join(lines + ["}"]), tuple(out)

    def op_concat(self, shape, ctx: Ctx):
        return self.op_add(shape, ctx, "concat")

    def op_mul(self, shape, ctx: Ctx):
        return self.op_gate(shape, ctx) if self.coin(50) else self.op_add(shape, ctx, "mul")

    def op_gate(self, shape, ctx: Ctx):
        """Squeeze-and-excite: the stream times a gate that broadcasts over its positions."""
        c = shape[-1] if is_seq(shape) or len(shape) == 2 else shape[1]
        if is_seq(shape) or len(shape) == 2:
            gate = f"linear({self.int(1, 8)}) relu linear({c}) sigmoid"
        else:
            gate = f"global_avgpool conv({self.int(1, 8)}, 1) relu conv({c}, 1) hardsigmoid"
        first = self.pick(("", "identity"))
        return [
            f"mul {{ {first} | {gate} }}" if self.coin(50) else f"mul {{ {gate} | {first} }}"
        ], shape

    def op_matmul(self, shape, ctx: Ctx):
        """The product of two branches over the last two axes: [.., m, k] @ [.., k, n].
        Not on sequences or [N, F]: the inner axis would be T or the batch, which the
        oracles' per-sample scaling does not take (a product sums over it)."""
        if len(shape) < 3 or is_seq(shape):
            return None
        *batch, m, k = shape
        x = self.pick(([], ["identity"], [self.pick(ACTIVATIONS)]))  # [.., m, k]
        variant = self.pick(("square", "gram", "linear", "broadcast"))
        if variant == "square":  # x @ xᵀ: [.., m, k] @ [.., k, m]
            branches, out = (x, ["transpose(-1, -2)"]), (*batch, m, m)
        elif variant == "gram":  # xᵀ @ x: [.., k, m] @ [.., m, k]
            branches, out = (["transpose(-1, -2)"], x), (*batch, k, k)
        elif variant == "linear":  # x @ (xᵀ W): [.., m, k] @ [.., k, n]
            n = self.int(1, self.cap(shape))
            branches, out = (x, [f"transpose(-1, -2) linear({n})"]), (*batch, m, n)
        else:  # C channels against one, broadcast: [N, C, .., m, k] @ [N, 1, .., k, m]
            n = 1 if len(shape) == 3 else m  # on [N, C, L] the one channel is the n axis
            branches, out = (x, ["conv(1, 1) transpose(-1, -2)"]), (*batch, m, n)
        if not self.fits(out):
            return None
        lines = ["matmul {", *indent(branches[0]), "  |", *indent(branches[1]), "}"]
        return "\n".join(lines), out

    def op_attention(self, shape, ctx: Ctx):
        """Self-attention on [N, L, D], D divisible by heads and heads by kv_heads. Not on
        sequences: its products sum over L, which the oracles' per-sample scaling does not
        take (as matmul's)."""
        if len(shape) != 3 or is_seq(shape):
            return None
        heads = self.pick(divisors(shape[-1]))
        kv = self.pick((None, None, self.pick(divisors(heads))))
        causal = self.pick((None, None, "true", "false"))
        dropout = self.pick((None, None, 0.1))
        return call("attention", heads, bias=self.bias(ctx), causal=causal, kv_heads=kv,
                    dropout=dropout), shape  # fmt: skip

    def op_recurrent(self, shape, ctx: Ctx):
        """lstm, gru or rnn written alone (its sequence) on [N, T, F] or on [N, C, L] (C
        the steps, L the features). With batch_first=false the first dim is the steps and
        the second the batch; the output keeps both, its last dim dirs x hidden."""
        hidden, layers = self.int(2, 16), self.pick((None, None, 2))
        op = ("rnn", "lstm", "gru")[hidden % 3]  # from a draw made: no draw of its own
        bidirectional = self.pick((None, None, "true"))
        extra = {"nonlinearity": self.pick((None, '"relu"'))} if op == "rnn" else {}
        text = call(op, hidden, layers=layers, bidirectional=bidirectional,
                    batch_first=self.pick((None, None, "false")), bias=self.bias(ctx),
                    dropout=self.pick((None, 0.25)) if layers else None, **extra)  # fmt: skip
        return text, (*shape[:2], hidden * (2 if bidirectional else 1))

    def op_named_merge(self, shape, ctx: Ctx):
        names = [n for n, s in ctx.scope.items() if self.mergeable(s, shape)]
        if not names:
            return None
        name = self.pick(names)
        t = ctx.scope[name]
        if is_seq(t):
            if self.coin(50):
                return [*self.fix(shape, t, ctx), f"add({name})"], t
            dim = self.pick((-1, len(t) - 1))
            return [f"concat({name}, dim={dim})"], (*t[:-1], shape[-1] + t[-1])
        if self.coin(50) or shape[1] + t[1] > (2 * MAX_C if len(t) > 2 else 1024):
            stages = self.fix(shape, t, ctx)
            same = [n for n in names if ctx.scope[n] == t and n != name]
            args = [name] + ([self.pick(same)] if same and self.coin(30) else [])
            return stages + [f"add({', '.join(args)})"], t
        stages = self.fix(shape, t, ctx, free=1)
        dim = "" if self.coin(70) else ", dim=1"
        return stages + [f"concat({name}{dim})"], (t[0], shape[1] + t[1], *t[2:])

    def mergeable(self, named: Shape, shape: Shape) -> bool:
        """Whether a fixer can bring `shape` to `named` (a sequence: along its last dim)."""
        if is_seq(shape):
            return named[:-1] == shape[:-1]
        return len(named) == len(shape)

    # -- blocks

    def op_block(self, shape, ctx: Ctx):
        choice = self.pick(("template", "template", "reuse", "new"))
        if choice == "template" and not is_seq(shape):
            return self.template_call(shape, ctx)
        if choice == "reuse":
            fits = [
                b
                for b in self.blocks
                if b.shape == shape
                and self.skip_args(b, ctx)
                and (len(b.out) == len(shape) or not ctx.keep_rank)
            ]
            if fits:
                return self.block_call(self.pick(fits), ctx)
        if self.budget < 2:
            return None
        return self.block_call(self.define(shape, ctx), ctx)

    def skip_args(self, block: Block, ctx: Ctx) -> list[str]:
        if block.skip is None:
            return ["-"]
        return [n for n, s in ctx.scope.items() if s == block.skip]

    def block_call(self, block: Block, ctx: Ctx):
        args = [block.required] if block.required else []
        if block.skip is not None:
            skips = self.skip_args(block, ctx)
            if not skips:
                return None
            args.append(f"skip={self.pick(skips)}")
        if "bias" in block.sig and self.coin(50):
            args.append(f"bias={self.pick(('true', 'false'))}")
        if "act" in block.sig and self.coin(60):
            args.append(f"act={lit(self.pick(('relu', 'gelu', 'tanh')))}")
        if not args and self.coin(50):
            return block.name, block.out
        return f"{block.name}({', '.join(args)})", block.out

    def define(self, shape, ctx: Ctx) -> Block:
        name = self.fresh("blk")
        sig, params, required, scope = [], {"__in": shape}, "", {}
        skip = None
        if self.coin(40):
            width = self.int(1, MAX_C)
            params["c"] = width
            sig.append("c")
            required = str(width) if self.coin(60) else f"c={width}"
        if self.coin(50):
            params["bias"] = True
            sig.append("bias=true")
        if self.coin(40):
            params["act"] = "relu"
            sig.append('act="relu"')
        candidates = [n for n, s in ctx.scope.items() if self.mergeable(s, shape)]
        if candidates and self.coin(35):
            skip = ctx.scope[self.pick(candidates)]
            scope["skip"] = skip
            sig.append("skip")
        keep_rank = ctx.keep_rank or skip is not None
        inner = Ctx(scope, "in", depth=ctx.depth + 1, keep_rank=keep_rank, params=params)
        body, out = self.body(shape, inner, self.int(1, 3), at_least_one=True)
        if skip is not None:
            if not is_seq(skip) and skip[1] <= MAX_C and self.coin(50):
                fix = self.fix(out, skip, inner, free=1)
                body.append(" ".join([*fix, "concat(skip)"]))
                out = (out[0], out[1] + skip[1], *skip[2:])
            else:
                body.append(" ".join([*self.fix(out, skip, inner), "add(skip)"]))
                out = skip
        if out != shape and self.coin(40) and len(out) == len(shape):
            body.append(" ".join(self.fix(out, shape, inner)))
            out = shape
        block = Block(name, ", ".join(sig), body, shape, out, required, skip)
        self.blocks.append(block)
        self.block_text.append("\n".join([f"block {name}({block.sig}) {{", *indent(body), "}"]))
        return block

    def template_call(self, shape, ctx: Ctx):
        rank = len(shape)
        if rank == 2:
            kind = "mlp"
        else:
            masks = [
                n
                for n, s in ctx.scope.items()
                if len(s) == rank and s[2:] == shape[2:] and s[1] == 1
            ]
            kinds = ["widen", "residual", "stack", "down"] + (["masked"] * 2 if masks else [])
            kind = self.pick(kinds)
        if kind not in self.templates:
            name = self.fresh(kind)
            self.templates[kind] = name
            self.block_text.append(TEMPLATES[kind].format(n=name))
        name = self.templates[kind]
        c = self.int(1, MAX_C)
        if kind == "widen":
            k = self.pick((None, 1, 3, 5))
            return (f"{name}({c})" if k is None else f"{name}({c}, k={k})"), shape
        if kind == "residual":
            act = self.pick(("", ', act="gelu"', ', act="relu"'))
            return f"{name}({self.num(c, ctx)}{act})", shape
        if kind == "stack":
            return f"{name}({self.int(0, 3)}" + (f", c={c})" if self.coin(60) else ")"), shape
        if kind == "down":
            p = self.int(1, min(3, *shape[2:]))
            return f"{name}({p}, {c})", (shape[0], c, *(i // p for i in shape[2:]))
        if kind == "mlp":
            return (f"{name}({c})" if self.coin(50) else f"{name}(h={c}, p=0.2)"), shape
        return f"{name}({c}, {self.pick(masks)})", (shape[0], c, *shape[2:])


def lit_shape(shape: Shape) -> str:
    return "[" + ", ".join(map(str, shape)) + "]"


@st.composite
def networks(draw) -> str:
    """One random valid spec file (text)."""
    return Writer(HypothesisSource(draw)).network()


def random_network(seed: int) -> str:
    """The same writer driven by `random.Random(seed)`: many specs fast, no shrinking."""
    return Writer(RandomSource(seed)).network()
