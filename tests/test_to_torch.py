"""The PyTorch lowering: generated source, module tree, custom modules, ecosystem.

The whole-network oracles (shapes by forward hooks, counts, flop_counter on the zoo and
on random specs) are in test_lowering_oracle.py; here each custom module is checked
against a computation PyTorch does its own way, and the built module against what
PyTorch users do with any module.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

import netspec  # noqa: E402
from netspec.api import check_text, one_network, torch_source  # noqa: E402
from netspec.backends.torch import runtime as rt  # noqa: E402
from netspec.backends.torch.lowering import LOWERINGS  # noqa: E402
from netspec.backends.torch.names import MODULE_ATTRIBUTES  # noqa: E402
from netspec.errors import CompileError  # noqa: E402
from netspec.ops import REGISTRY  # noqa: E402
from netspec.source import Source  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def build(text: str, seed: int = 0):
    return netspec.to_torch(Source("t.netspec", text), seed=seed)


def test_every_op_has_a_pytorch_lowering():
    assert sorted(REGISTRY) == sorted(LOWERINGS)


def test_module_attribute_names_cover_the_installed_torch():
    # in a fresh interpreter: a library imported by another test may patch nn.Module
    # (transformers adds `smart_apply`), which is not the installed torch's
    probe = (
        "import torch\n"
        "names = {n for n in dir(torch.nn.Module) if not n.startswith('__')}\n"
        "print(' '.join(sorted(names | set(vars(torch.nn.Module())))))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    names = set(done.stdout.split())
    assert names and names <= MODULE_ATTRIBUTES, sorted(names - MODULE_ATTRIBUTES)


def test_state_dict_keys_are_the_spec_paths():
    keys = list(netspec.to_torch("resnet18").state_dict())
    assert keys[:3] == ["stem.conv.weight", "stem.bn.weight", "stem.bn.bias"]
    assert "layer2.basic1.add1.1.conv1.weight" in keys  # the projection shortcut
    assert "layer1.basic1.add1.1.conv1.weight" not in keys  # an identity shortcut
    assert keys[-2:] == ["head.linear.weight", "head.linear.bias"]
    lenet = netspec.to_torch("lenet5").state_dict()
    assert lenet["C3.conv.weight"].shape == (60, 5, 5)  # one kernel per table entry
    assert lenet["output.weight"].shape == (10, 84)


def test_lenet5_trainable_parameters_are_60000():
    model = netspec.to_torch("lenet5")
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    fixed = sum(p.numel() for p in model.parameters() if not p.requires_grad)
    assert (trainable, fixed) == (60_000, 840)


def test_generated_file_is_standalone_and_imports_only_torch(tmp_path):
    source = torch_source("googlenet")
    imports = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imports |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imports.add(node.module.split(".")[0])
    assert imports == {"torch"}
    path = tmp_path / "model.py"
    path.write_text(torch_source("lenet5"))
    env = {**os.environ, "PYTHONPATH": ""}
    out = subprocess.run(
        [sys.executable, "-I", str(path)], capture_output=True, text=True, env=env, check=True
    ).stdout
    assert "output torch.Size([2, 10])" in out
    assert "parameters 60840" in out


def test_generated_source_has_a_class_per_network_and_block_and_points_at_lines():
    source = torch_source("resnet18")
    classes = [n.name for n in ast.parse(source).body if isinstance(n, ast.ClassDef)]
    assert "ResNet18" in classes and "Basic" in classes and "Stage" in classes
    assert "layer1.basic1 = basic(width=64, stride=1)  # line 29" in source
    assert "self.stem.conv = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)" in source
    assert "# line 39: stem = conv(64, 7, stride=2, padding=3) bn relu maxpool(" in source


def test_build_needs_no_torch(tmp_path):
    """`netspec build` writes source from the IR; torch is never imported."""
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "from netspec.cli.main import main\n"
        f"sys.exit(main(['build', 'unet', '-o', {str(tmp_path / 'unet.py')!r}]))\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, capture_output=True)
    assert "class UNet" in (tmp_path / "unet.py").read_text()


@pytest.mark.parametrize(
    ("name", "why"), [("forward", "attribute of nn.Module"), ("training", "nn.Module")]
)
def test_names_pytorch_cannot_use_are_positioned_errors(name, why):
    text = f"network A {{\n    input x: [N, 3]\n    {name} = linear(3)\n}}\n"
    with pytest.raises(CompileError) as info:
        build(text)
    (diag,) = info.value.diagnostics
    assert diag.code == "E-lower" and diag.span.line == 3
    assert why in diag.help[0]


def test_several_networks_need_a_choice():
    text = "network A {\n input x: [N, 3]\n linear(3)\n}\nnetwork B {\n input x: [N, 3]\n}\n"
    with pytest.raises(CompileError) as info:
        one_network(Source("t.netspec", text))
    assert info.value.diagnostics[0].code == "E-network"
    assert one_network(Source("t.netspec", text), "B").graph.name == "B"


def test_seed_makes_weights_reproducible_without_touching_global_state():
    torch.manual_seed(123)
    before = torch.rand(1)
    a, b = netspec.to_torch("lenet5", seed=7), netspec.to_torch("lenet5", seed=7)
    torch.manual_seed(123)
    assert torch.equal(before, torch.rand(1))
    c = netspec.to_torch("lenet5", seed=8)
    for (k, va), vb in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(va, vb), k
    assert not torch.equal(a.state_dict()["C1.conv.weight"], c.state_dict()["C1.conv.weight"])


def test_save_and_load_state_dict_round_trip(tmp_path):
    a, b = netspec.to_torch("resnet18", seed=1), netspec.to_torch("resnet18", seed=2)
    torch.save(a.state_dict(), tmp_path / "w.pt")
    b.load_state_dict(torch.load(tmp_path / "w.pt", weights_only=True))
    x = torch.randn(2, 3, 64, 64)
    a.eval(), b.eval()
    with torch.no_grad():
        assert torch.equal(a(x), b(x))
    torch.save(a, tmp_path / "whole.pt")  # the classes are importable in this process
    whole = torch.load(tmp_path / "whole.pt", weights_only=False).eval()
    with torch.no_grad():
        assert torch.equal(whole(x), a(x))


def test_torch_compile_traces_the_whole_model_without_graph_breaks():
    """fullgraph=True fails on any graph break; aot_eager keeps the test fast (Inductor's
    own compile is measured in docs/performance.md)."""
    model = netspec.to_torch("lenet5", seed=0)
    compiled = torch.compile(model, backend="aot_eager", fullgraph=True)
    x = torch.randn(4, 1, 32, 32)
    y = compiled(x)
    y.sum().backward()
    assert torch.allclose(y, model(x))
    assert model.C3.conv.weight.grad is not None


def test_distributed_data_parallel_wraps_the_module(tmp_path):
    import torch.distributed as dist

    store = f"file://{tmp_path / 'store'}"
    dist.init_process_group("gloo", init_method=store, rank=0, world_size=1)
    try:
        ddp = torch.nn.parallel.DistributedDataParallel(netspec.to_torch("lenet5", seed=0))
        loss = ddp(torch.randn(8, 1, 32, 32)).mean()
        loss.backward()
        assert ddp.module.C1.conv.weight.grad is not None
    finally:
        dist.destroy_process_group()


# --- custom modules against PyTorch computing the same thing its own way -------------------


def test_table_conv_equals_a_dense_conv_with_zeroed_weights():
    table = [[0, 1, 2], [1, 2], [0], [0, 1, 2, 3], [3, 1]]
    conv = rt.TableConv(4, table, (3, 3), (2, 1), (1, 2), bias=True)
    dense = torch.zeros(len(table), 4, 3, 3)
    at = 0
    for o, row in enumerate(table):
        for c in row:
            dense[o, c] = conv.weight[at]
            at += 1
    x = torch.randn(2, 4, 11, 12)
    expected = F.conv2d(x, dense, conv.bias, (2, 1), 0, (1, 2))
    assert torch.allclose(conv(x), expected, atol=1e-6)


@pytest.mark.parametrize("ceil", [False, True])
@pytest.mark.parametrize("count_pad", [False, True])
@pytest.mark.parametrize(("k", "s", "p", "size"), [(3, 2, 1, 10), (2, 2, 0, 7), (3, 3, 1, 8)])
def test_general_avgpool_agrees_with_nn_avgpool_where_both_apply(ceil, count_pad, k, s, p, size):
    x = torch.randn(2, 3, size, size + 1)
    torch_pool = torch.nn.AvgPool2d(k, s, p, ceil_mode=ceil, count_include_pad=count_pad)
    expected = torch_pool(x)
    out = expected.shape[2:]
    reach = [(o - 1) * s + k - (i + 2 * p) for o, i in zip(out, x.shape[2:], strict=True)]
    overhang = (0, max(reach[1], 0), 0, max(reach[0], 0))
    ours = rt.AvgPool((k, k), (s, s), (1, 1), (p, p, p, p), overhang, count_pad)
    assert torch.allclose(ours(x), expected, atol=1e-6)


def test_dilated_avgpool_equals_a_ones_convolution():
    x = torch.randn(1, 2, 9, 9)
    ours = rt.AvgPool((3, 3), (1, 1), (2, 2), (0, 0, 0, 0), (0, 0, 0, 0), True)
    ones = torch.ones(2, 1, 3, 3) / 9
    assert torch.allclose(ours(x), F.conv2d(x, ones, dilation=2, groups=2), atol=1e-6)


def test_asymmetric_maxpool_pads_with_minus_infinity():
    model = build(
        "network P {\n input x: [N, 1, 4, 4]\n maxpool(2, stride=2, padding=[[0, 1], [1, 0]])\n}"
    )
    x = -torch.rand(1, 1, 4, 4) - 1  # all negative: a zero pad would win every max
    expected = F.max_pool2d(F.pad(x, (1, 0, 0, 1), value=float("-inf")), 2)
    assert torch.equal(model(x), expected)
    assert model(x).shape == (1, 1, 2, 2)


def test_same_padding_conv_pads_the_extra_row_at_the_end():
    model = build('network S {\n input x: [N, 1, 6, 6]\n conv(1, 3, stride=2, padding="same")\n}')
    conv = model.conv1
    x = torch.randn(1, 1, 6, 6)
    expected = F.conv2d(F.pad(x, (0, 1, 0, 1)), conv.weight, conv.bias, stride=2)
    assert torch.equal(model(x), expected)


def test_partial_conv_with_a_full_mask_is_a_convolution_rescaled_at_the_border():
    conv = rt.PartialConv(3, 4, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1))
    x = torch.randn(2, 3, 6, 6)
    plain = F.conv2d(x, conv.weight, None, padding=1)
    covered = F.conv2d(F.pad(torch.ones(1, 1, 6, 6), (1, 1, 1, 1)), torch.ones(1, 1, 3, 3))
    expected = plain * 9 / covered + conv.bias.view(1, -1, 1, 1)
    assert torch.allclose(conv(x, torch.ones(2, 1, 6, 6)), expected, atol=1e-5)
    holes = conv(x, torch.zeros(2, 1, 6, 6))
    assert torch.equal(holes, torch.zeros_like(holes))  # no valid input: 0, bias included


def test_subsample_scales_window_sums_per_map():
    sub = rt.Subsample(3, (2, 2))
    x = torch.randn(2, 3, 6, 6)
    sums = F.avg_pool2d(x, 2) * 4
    expected = sums * sub.weight.view(1, 3, 1, 1) + sub.bias.view(1, 3, 1, 1)
    assert torch.allclose(sub(x), expected, atol=1e-6)


def test_rbf_units_are_squared_distances_to_fixed_centres():
    rbf = rt.RBF(84, 10)
    x = torch.randn(5, 84)
    assert torch.allclose(rbf(x), torch.cdist(x, rbf.weight) ** 2, rtol=1e-4, atol=1e-3)
    assert not rbf.weight.requires_grad and set(rbf.weight.unique().tolist()) == {-1.0, 1.0}


def test_reshape_reads_symbolic_dims_from_the_input():
    model = build("network R {\n input x: [B, 6, 4]\n reshape([B, 2, -1])\n}")
    assert model(torch.randn(5, 6, 4)).shape == (5, 2, 12)


def test_named_input_merges_and_block_tensor_arguments():
    text = """
block up(c, skip) {
    conv_transpose(c, 2, stride=2) concat(skip)
    conv(c, 3, padding=1) relu
}
network UpSkip {
    input x: [N, 1, 32, 32]
    e1 = conv(16, 3, padding=1) relu
    maxpool(2) conv(32, 3, padding=1) relu
    up(16, e1) -> [N, 16, 32, 32]
}
"""
    source = torch_source(Source("t.netspec", text))
    assert "def forward(self, x, skip):" in source
    model = build(text)
    assert model(torch.randn(2, 1, 32, 32)).shape == (2, 16, 32, 32)
    assert check_text(text)[0].totals.trainable_params == sum(p.numel() for p in model.parameters())


def test_calls_that_differ_only_in_numbers_share_a_class_with_named_parameters():
    source = torch_source("googlenet")
    classes = [n.name for n in ast.parse(source).body if isinstance(n, ast.ClassDef)]
    assert classes.count("Inception") == 1 and "Inception2" not in classes
    assert "def __init__(self, in_channels, c1, c3r, c3, c5r, c5, pool_proj):" in source
    assert "nn.Conv2d(c3r, c3, 3, padding=1)" in source
    assert "self.inception3a = Inception(in_channels=192, c1=64, c3r=96, c3=128" in source
    resnet = torch_source("resnet18")
    classes = [n.name for n in ast.parse(resnet).body if isinstance(n, ast.ClassDef)]
    # identity and projection shortcuts are two structures; widths are parameters
    assert classes == ["Scope", "Add", "Basic", "Basic2", "Stage", "Stage2", "ResNet18"]
    assert "self.layer3 = Stage2(in_channels=128, width=256)" in resnet


def test_a_shared_class_builds_with_other_numbers():
    from netspec.backends.torch.to_torch import _load

    module = _load(one_network("densenet121").graph)
    layer = module.DenseLayer(in_channels=40)
    x = torch.randn(2, 40, 8, 8)
    assert layer(x).shape == (2, 72, 8, 8)  # 40 + growth rate 32, concatenated


def test_a_network_too_big_for_memory_is_refused_before_allocating():
    text = "network Huge {\n    input x: [N, 100000]\n    linear(1000000)\n}\n"
    with pytest.raises(CompileError) as info:
        build(text)
    (diag,) = info.value.diagnostics
    assert diag.code == "E-limit" and "100,001,000,000 parameters need 373 GiB" in diag.message


@pytest.mark.parametrize(("network", "cls"), [("F", "F2"), ("Basic", "Basic2"), ("nn", "Nn")])
def test_network_class_names_never_shadow_torch_or_a_block(network, cls):
    text = "block basic(c) {\n    conv(c, 3, padding=1) relu\n}\n"
    text += f"network {network} {{\n    input x: [N, 3, 8, 8]\n    basic(4)\n}}\n"
    model = build(text)
    assert type(model).__name__ == cls and type(model.basic1).__name__ == "Basic"
    assert model(torch.randn(1, 3, 8, 8)).shape == (1, 4, 8, 8)
