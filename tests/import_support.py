"""What every `netspec import` round trip checks, in one place: the imported spec's
figures against the original spec's, and its own export's outputs (with the weights the
import wrote) against the model it came from (onnxruntime on both).

Assumes onnx, onnxruntime and numpy (the test modules skip without them).
"""

from __future__ import annotations

import numpy as np
import onnxruntime as ort

from netspec.api import check, to_onnx
from netspec.source import Source

# layers that compute nothing at inference: an export leaves them out (Identity at most);
# and learned tensors, which the import declares where they are first used
PASSING = ("dropout", "drop_path", "identity", "param")


def figures(analysis) -> tuple:
    """What the round trip keeps: totals and every computing layer's output shape."""
    t = analysis.totals
    graph = analysis.graph
    shapes = [tuple(graph.output_shape(n)) for n in graph.nodes if n.op not in PASSING]
    return t.params, t.buffers, t.macs, shapes


def assert_same_figures(name: str, text: str) -> None:
    """The imported `text` checks with zoo spec `name`'s parameters, buffers and
    multiply-adds, and its layers' shapes in order (the batch axis aside: 1 in an export
    of batch 1, N in the zoo)."""
    [original] = check(name)
    [imported] = check(Source(f"{name}_imported.netspec", text))
    p, b, m, shapes = figures(imported)
    po, bo, mo, shapes_o = figures(original)
    assert (p, b, m) == (po, bo, mo)
    assert [s[1:] for s in shapes] == [s[1:] for s in shapes_o]


def assert_same_outputs(name: str, model, text: str, weights) -> None:
    """The spec's export with `weights` computes the ONNX `model`'s output (within 1e-4
    of its largest value, or 1e-4 where that is below 1)."""
    again = to_onnx(Source(f"{name}_imported.netspec", text), weights=str(weights), batch=1)
    first = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    second = ort.InferenceSession(again.SerializeToString(), providers=["CPUExecutionProvider"])
    given = first.get_inputs()[0]
    shape = [d if isinstance(d, int) else 1 for d in given.shape]
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    [a] = first.run(None, {given.name: x})[:1]
    [b] = second.run(None, {second.get_inputs()[0].name: x})[:1]
    assert a.shape == b.shape
    assert float(np.max(np.abs(a - b))) <= 1e-4 * max(1.0, float(np.max(np.abs(a))))
