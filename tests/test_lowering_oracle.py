"""The analysis against PyTorch, on whole networks: every zoo spec and random specs.

Each network is checked (`check` / `check_text`), lowered with `to_torch`, and run
forward once under `torch.utils.flop_counter.FlopCounterMode`, with forward hooks on
the module of every layer (its path in the spec is its name in `named_modules()`).
Then, layer by layer and in total:

- the shape each layer's module really returns is the analysis's output shape (the
  symbolic batch dims replaced by the batch the test feeds);
- the module's parameters that require a gradient are the trainable parameters, the
  others the fixed ones, and its buffers the buffers (each parameter and buffer belongs
  to the layer whose path is the longest prefix of its name; none may be left over);
- the FLOPs FlopCounterMode sees inside the layer (minus those of the layers it calls)
  are 2 x its multiply-adds (`macs`, docs/costs.md; a connection table counts dense,
  as TableConv runs it), times the batch when the batch is symbolic, and the model
  does no counted work outside its layers.

The zoo runs on the `meta` device: PyTorch's shape functions and FLOP formulas without
allocating anything, so ResNet-101, VGG-16 and U-Net at their real input sizes take
a fraction of a second. The small zoo specs also run on the CPU, with real numbers.
The random specs (tests/spec_strategies.py) run on the CPU.

Any difference is a bug in netspec's analysis or in the lowering.
"""

from __future__ import annotations

import os
from math import prod
from typing import NamedTuple

import pytest

from netspec.analysis.scopes import joint_parts
from netspec.api import check, check_text
from netspec.ops.conv import conv_as_run
from netspec.zoo import zoo_names
from tests.conftest import explicit_products
from tests.spec_strategies import networks

torch = pytest.importorskip("torch")
hypothesis = pytest.importorskip("hypothesis")
flop_counter = pytest.importorskip("torch.utils.flop_counter")
to_torch = pytest.importorskip("netspec.backends.torch.to_torch").to_torch

# What symbolic dims become: the batch N 2 (so that bn without running statistics has
# two values per channel), any other symbol (a sequence length T) 3.
SIZES = {"N": 2}
OTHER = 3
SMALL_ZOO = ("lenet5", "lenet5_d2l", "linear_cifar10", "mlp")
# Zoo specs under other network parameters (netspec check --set ...).
OVERRIDES = [
    ("alexnet", {"gpus": 1, "classes": 10}),
    ("mobilenet_v2", {"classes": 10}),
    ("resnet50", {"classes": 10}),
    ("unet", {"classes": 3}),
]
# Shrinking a failing random network takes minutes (each example builds and runs a
# model): off by default, the failing spec and the layers that differ are printed
# anyway. NETSPEC_SHRINK=1 turns it on.
PHASES = (
    tuple(hypothesis.Phase)
    if os.environ.get("NETSPEC_SHRINK")
    else (hypothesis.Phase.explicit, hypothesis.Phase.generate)
)

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


class Figures(NamedTuple):
    """What one layer did in PyTorch, in the analysis's terms."""

    shape: tuple
    trainable: int
    fixed: int
    buffers: int
    flops: int


def _onednn_rnn_layer(x, w_ih, w_hh, *args, out_shape=None, **kwargs) -> int:
    """oneDNN's fused layer, nn.LSTM's path on the CPU, which torch's counter has no
    formula for: 2 per multiply-add of its L x N steps (x is [L, N, in] or [N, L, in])."""
    return 2 * prod(x[:2]) * (prod(w_ih) + prod(w_hh))


ONEDNN = {torch.ops.aten.mkldnn_rnn_layer: _onednn_rnn_layer}


def size(dim) -> int:
    return SIZES.get(dim, OTHER) if isinstance(dim, str) else dim


def concrete(shape) -> tuple[int, ...]:
    return tuple(size(d) for d in shape)


def per_sample(shape) -> int:
    """What the analysis's figures (symbolic dims count 1) are multiplied by."""
    return prod(size(d) for d in shape if isinstance(d, str))


def owner(name: str, paths: set[str]) -> str | None:
    """The layer a parameter or buffer (`add1.0.conv1.weight`) belongs to."""
    if name in paths:  # a learned tensor (`param`): the parameter is the layer
        return name
    parts = name.split(".")
    for j in range(len(parts) - 1, 0, -1):
        if ".".join(parts[:j]) in paths:
            return ".".join(parts[:j])
    return None


def run(graph, device: str = "cpu"):
    """Build and run `graph`; the figures of every layer, the outputs and the totals."""
    with torch.device(device):
        model = explicit_products(to_torch(graph, seed=0).eval())
    modules = dict(model.named_modules())
    paths = {node.path for node in graph.nodes}
    learned = {node.path for node in graph.nodes if node.op == "param"}  # nn.Parameters
    # a joint op's later outputs (lstm's h, c) come from part 0's module, as a tuple
    joint = joint_parts(graph)
    folded = {node.path for nodes in joint.values() for node in nodes}
    missing = sorted(paths - learned - folded - set(modules))
    assert not missing, f"layers without a module: {missing}"

    counter = flop_counter.FlopCounterMode(display=False, custom_mapping=ONEDNN)
    shapes: dict[str, list[tuple]] = {path: [] for path in paths}
    own: dict[str, int] = dict.fromkeys(paths, 0)
    stack: list[list] = []  # [path, FLOPs when it started, FLOPs of the layers it called]

    def pre(path):
        def hook(module, args):
            stack.append([path, counter.get_total_flops(), 0])

        return hook

    def post(path):
        def hook(module, args, output):
            top, start, nested = stack.pop()
            assert top == path
            inclusive = counter.get_total_flops() - start
            own[path] += inclusive - nested
            if stack:
                stack[-1][2] += inclusive
            outputs = output if isinstance(output, tuple) else (output,)
            shapes[path].append(tuple(outputs[0].shape))
            for node, state in zip(joint.get(path, ()), outputs[1:], strict=True):
                shapes[node.path].append(tuple(state.shape))

        return hook

    for path in paths - learned - folded:
        modules[path].register_forward_pre_hook(pre(path))
        modules[path].register_forward_hook(post(path))
    parameters = dict(model.named_parameters())
    for path in learned:
        shapes[path].append(tuple(parameters[path].shape))
    inputs = [example(graph.shape(t), device, graph.dtype(t)) for _, t in graph.inputs]
    # on meta, with autograd on: the flop counter's module tracker cannot hook a view of
    # a learned tensor made under no_grad (BERT's position table, sliced), and meta
    # tensors cost nothing to track
    grad = torch.enable_grad() if device == "meta" else torch.no_grad()
    with grad, counter:
        result = model(*inputs)
    outputs = result if isinstance(result, tuple) else (result,)

    counts = {path: [0, 0, 0] for path in paths}
    stray = []
    for name, p in model.named_parameters():
        layer = owner(name, paths)
        if layer is None:
            stray.append(name)
        else:
            counts[layer][0 if p.requires_grad else 1] += p.numel()
    for name, b in model.named_buffers():
        layer = owner(name, paths)
        if layer is None:
            stray.append(name)
        else:
            counts[layer][2] += b.numel()
    assert not stray, f"parameters or buffers outside every layer: {stray}"
    figures = {path: Figures(shapes[path], *counts[path], own[path]) for path in sorted(paths)}
    totals = (
        sum(p.numel() for p in model.parameters() if p.requires_grad),
        sum(p.numel() for p in model.parameters() if not p.requires_grad),
        sum(b.numel() for b in model.buffers()),
        counter.get_total_flops(),
    )
    return figures, [tuple(o.shape) for o in outputs], totals


def example(shape, device: str, dtype: str = "float32"):
    if dtype == "int64":  # token ids: 0 and 1 are in every vocabulary
        return torch.randint(0, 2, concrete(shape), device=device)
    if device == "meta":
        return torch.empty(concrete(shape), device="meta")
    # positive values: a partial_conv mask covers its windows; nothing else cares
    return torch.rand(concrete(shape)) + 0.1


def work(layer) -> int:
    """The multiply-adds PyTorch runs: `macs`, except that a connection table runs as a
    dense convolution (TableConv; docs/torch.md), so every kernel of it counts."""
    return conv_as_run(layer) if layer.op == "conv" else layer.cost.macs


def expected(analysis):
    """The same figures as the analysis gives them."""
    graph = analysis.graph
    figures = {}
    for node, layer in zip(graph.nodes, analysis.layers, strict=True):
        c = layer.counts
        figures[node.path] = Figures(
            [concrete(layer.output_shape)],
            c.trainable,
            c.fixed,
            c.buffers,
            # every op keeps the symbolic dims of its input (docs/language.md 2.6)
            2 * work(layer) * per_sample(layer.output_shape),
        )
    outputs = [concrete(graph.shape(t)) for _, t in graph.outputs]
    t = analysis.totals
    assert t.macs == sum(layer.cost.macs for layer in analysis.layers)
    flops = sum(f.flops for f in figures.values())
    return figures, outputs, (t.trainable_params, t.fixed_params, t.buffers, flops)


def agree(analysis, device: str = "cpu") -> None:
    ours_figures, ours_outputs, ours_totals = expected(analysis)
    theirs_figures, theirs_outputs, theirs_totals = run(analysis.graph, device)
    differ = {
        path: (ours_figures[path], theirs)
        for path, theirs in theirs_figures.items()
        if theirs != ours_figures[path]
    }
    report = "\n".join(f"  {p}:\n    netspec {a}\n    torch   {b}" for p, (a, b) in differ.items())
    assert not differ, f"layers that differ:\n{report}"
    assert theirs_outputs == ours_outputs
    # (trainable, fixed, buffers, FLOPs): the per-layer figures add up to these
    assert theirs_totals == ours_totals


# ---- the zoo ------------------------------------------------------------------------


@pytest.mark.parametrize("name", zoo_names())
def test_zoo_spec_agrees_with_pytorch_on_meta(name):
    for analysis in check(name):
        agree(analysis, "meta")


@pytest.mark.parametrize("name", SMALL_ZOO)
def test_small_zoo_spec_agrees_with_pytorch_on_cpu(name):
    for analysis in check(name):
        agree(analysis, "cpu")


@pytest.mark.parametrize(("name", "overrides"), OVERRIDES)
def test_zoo_spec_with_other_parameters_agrees_with_pytorch(name, overrides):
    (analysis,) = check(name, overrides=overrides)
    assert dict(analysis.graph.parameters).items() >= overrides.items()
    agree(analysis, "meta")


def test_zoo_runs_every_spec():
    assert set(SMALL_ZOO) <= set(zoo_names())
    assert len(zoo_names()) >= 17


# ---- random networks ----------------------------------------------------------------


def test_connection_table_with_padding():
    """Found by the random test: TableConv once dropped symmetric padding."""
    text = "network T {\n    input x: [N, 2, 4]\n    conv(1, 1, connect=[[0, 1]], padding=1)\n}\n"
    (analysis,) = check_text(text)
    assert analysis.layers[0].output_shape == ("N", 1, 6)
    agree(analysis)


@hypothesis.given(networks())
@hypothesis.settings(
    max_examples=200,
    deadline=None,
    database=None,
    phases=PHASES,
    suppress_health_check=[hypothesis.HealthCheck.too_slow, hypothesis.HealthCheck.data_too_large],
)
def test_random_network_agrees_with_pytorch(text):
    hypothesis.note(text)
    for analysis in check_text(text):
        agree(analysis, "cpu")
