"""matmul (netspec/ops/matmul.py): the product of two computed tensors, against PyTorch
and onnxruntime.

- shapes: [.., m, k] @ [.., k, n] -> [.., m, n], the batch axes broadcast; positioned
  errors for inner sizes that differ, ranks below 2 and a count of inputs other than 2;
- figures: no parameters, numel(out) x k multiply-adds, 2 FLOPs each, 2k links per
  output unit, a receptive field that becomes the whole input, fvcore's and torchinfo's
  figures; a hand-written attention score (12·197·197·64 multiply-adds);
- the PyTorch module equals torch.matmul, FlopCounterMode's FLOPs are twice the
  analysis's multiply-adds, and the ONNX model (onnx.checker, strict shape inference)
  equals PyTorch in onnxruntime within 1e-5.
"""

from __future__ import annotations

import pytest

from netspec.api import check_text
from netspec.ops import REGISTRY
from netspec.ops.base import GLOBAL
from netspec.source import Source
from tests.conftest import diagnostic

SCORES = """\
network Scores {
    input x: [N, 197, 768]
    q = linear(768) reshape([N, 197, 12, 64]) transpose(1, 2)
    from x
    k = linear(768) reshape([N, 197, 12, 64]) permute([0, 2, 3, 1])
    from q
    s = matmul(k) softmax(dim=-1) -> [N, 12, 197, 197]
}
"""


def two(a: str, b: str, stage: str = "matmul(b)") -> str:
    """A network whose stream is input `a` and whose second input is `b`."""
    return (
        f"network T {{\n    input a: {a}\n    input b: {b}\n    from a\n    y = {stage}\n"
        "    output y\n}\n"
    )


def batch_of_two(shape) -> tuple[int, ...]:
    return tuple(2 if d == "N" else d for d in shape)


# --- shapes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "out"),
    [
        ("[N, 12, 197, 64]", "[N, 12, 64, 197]", ("N", 12, 197, 197)),
        ("[N, 1, 5, 4]", "[N, 3, 4, 2]", ("N", 3, 5, 2)),  # a batch axis of 1 broadcasts
        ("[N, 5, 4]", "[4, 2]", ("N", 5, 2)),  # a missing batch axis too
        ("[3, 4]", "[4, 6]", (3, 6)),  # plain matrices
    ],
)
def test_shapes_broadcast_the_batch_axes(a, b, out):
    (analysis,) = check_text(two(a, b))
    assert analysis.statement("y").output_shape == out


def test_inner_sizes_that_differ_are_positioned():
    diag = diagnostic(two("[N, 12, 197, 64]", "[N, 12, 65, 197]"))
    assert diag.code == "E-shape"
    assert diag.message == (
        "matmul: [N, 12, 197, 64] @ [N, 12, 65, 197]: the inner sizes 64 and 65 differ"
    )
    assert (diag.span.line, diag.span.text()) == (5, "matmul(b)")


def test_a_key_not_transposed_gets_the_transpose_hint():
    diag = diagnostic(two("[N, 12, 197, 64]", "[N, 12, 197, 64]"))
    assert diag.code == "E-shape" and "the inner sizes 64 and 197 differ" in diag.message
    assert "transpose(-1, -2)" in " ".join(diag.help)


def test_batch_axes_that_cannot_broadcast():
    diag = diagnostic(two("[N, 2, 5, 4]", "[N, 3, 4, 2]"))
    assert diag.code == "E-shape" and "cannot broadcast" in diag.message
    assert diag.span.line == 5


def test_rank_below_two_is_refused():
    diag = diagnostic(two("[N, 4]", "[4]"))
    assert diag.code == "E-shape" and "rank" in diag.message


def test_exactly_two_tensors():
    text = two("[N, 4, 4]", "[N, 4, 4]", "matmul { identity | identity | identity }")
    diag = diagnostic(text)
    assert diag.code == "E-arg" and "matmul takes exactly two tensors" in diag.message
    assert diag.span.line == 5


# --- figures -----------------------------------------------------------------------


def test_figures_of_one_product():
    (analysis,) = check_text(two("[N, 1, 5, 4]", "[N, 3, 4, 2]"))
    y = analysis.statement("y")
    (layer,) = (analysis.layers[i] for i in y.layers)
    assert layer.counts.params == 0
    assert layer.cost.macs == 3 * 5 * 2 * 4  # output elements x k
    assert layer.cost.flops == 2 * layer.cost.macs
    assert layer.connections == 2 * 4 * (3 * 5 * 2)  # a row and a column of k each


def test_the_attention_score():
    (analysis,) = check_text(SCORES)
    (matmul,) = (layer for layer in analysis.layers if layer.op == "matmul")
    assert matmul.output_shape == ("N", 12, 197, 197)
    assert matmul.cost.macs == 12 * 197 * 197 * 64 == 29_805_312
    assert matmul.cost.flops == 2 * 29_805_312
    assert matmul.counts.params == 0
    assert matmul.description == "matmul [.., m, k] @ [.., k, n]"
    op = REGISTRY["matmul"]
    assert op.fvcore(matmul) == 12 * 197 * 64 * 197  # prod(first input) x n
    assert op.torchinfo(matmul) == 0  # torch.matmul is no module
    inputs = matmul.input_shapes
    assert op.receptive({}, inputs, matmul.output_shape) == GLOBAL
    explained = op.explain({}, inputs, matmul.output_shape)
    assert explained.macs.value == 29_805_312
    assert "12·197·197·64" in [step.formula for step in explained.macs.steps]


def test_fvcore_counts_the_first_input_not_the_broadcast():
    (analysis,) = check_text(two("[N, 1, 5, 4]", "[N, 3, 4, 2]"))
    (layer,) = (layer for layer in analysis.layers if layer.op == "matmul")
    assert REGISTRY["matmul"].fvcore(layer) == 1 * 5 * 4 * 2  # fvcore's undercount


# --- PyTorch and ONNX --------------------------------------------------------------

BROADCAST = two("[N, 1, 5, 4]", "[N, 3, 4, 2]")


@pytest.mark.parametrize("text", [SCORES, BROADCAST], ids=["scores", "broadcast"])
def test_pytorch_equals_torch_matmul_and_its_flops(text):
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode

    from netspec.api import to_torch

    (analysis,) = check_text(text)
    module = to_torch(Source("<string>", text), seed=0).eval()
    shapes = [batch_of_two(analysis.graph.shape(t)) for _, t in analysis.graph.inputs]
    inputs = [
        torch.randn(s, generator=torch.Generator().manual_seed(i)) for i, s in enumerate(shapes)
    ]
    matmul = next(m for m in module.modules() if type(m).__name__ == "Matmul")
    seen = []
    matmul.register_forward_hook(lambda mod, args, out: seen.append((args, out)))
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        module(*inputs)
    ((args, out),) = seen
    assert torch.equal(out, torch.matmul(*args))
    layer = next(layer for layer in analysis.layers if layer.op == "matmul")
    assert tuple(out.shape) == batch_of_two(layer.output_shape)
    flops = counter.get_flop_counts()
    # aten.bmm or aten.mm: PyTorch counts 2 per multiply-add, the batch of 2 included
    mm = sum(n for op, n in flops["Global"].items() if "mm" in str(op) and "addmm" not in str(op))
    assert mm // 2 == 2 * layer.cost.macs


@pytest.mark.parametrize("text", [SCORES, BROADCAST], ids=["scores", "broadcast"])
def test_onnx_equals_pytorch(text):
    torch = pytest.importorskip("torch")
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    import numpy as np

    from netspec.api import to_onnx, to_torch

    module = to_torch(Source("<string>", text), seed=0).eval()
    weights = {k: v.numpy() for k, v in module.state_dict().items()}
    model = to_onnx(Source("<string>", text), weights=weights)
    onnx.checker.check_model(model, full_check=True)
    onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    assert "MatMul" in {node.op_type for node in model.graph.node}
    (analysis,) = check_text(text)
    rng = np.random.default_rng(0)
    feeds = {
        name: rng.standard_normal(batch_of_two(analysis.graph.shape(t))).astype(np.float32)
        for name, t in analysis.graph.inputs
    }
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    (theirs,) = session.run(None, feeds)
    with torch.no_grad():
        ours = module(*(torch.from_numpy(x) for x in feeds.values())).numpy()
    assert theirs.shape == ours.shape
    assert np.abs(theirs - ours).max() <= 1e-5 * max(1.0, np.abs(ours).max())
