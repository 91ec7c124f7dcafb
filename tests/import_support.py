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
    feeds = _feeds(first)
    [a] = first.run(None, feeds)[:1]
    renamed = dict(zip([i.name for i in second.get_inputs()], feeds.values(), strict=True))
    [b] = second.run(None, renamed)[:1]
    assert a.shape == b.shape
    assert float(np.max(np.abs(a - b))) <= 1e-4 * max(1.0, float(np.max(np.abs(a))))


def _feeds(session) -> dict:
    """Random inputs of the model's shapes, a symbolic size 1: floats, or token ids 0
    and 1 (which every embedding has) where an input is int64."""
    rng = np.random.default_rng(0)
    feeds = {}
    for given in session.get_inputs():
        shape = [d if isinstance(d, int) else 1 for d in given.shape]
        if given.type == "tensor(int64)":
            feeds[given.name] = rng.integers(0, 2, shape).astype(np.int64)
        else:
            feeds[given.name] = rng.standard_normal(shape).astype(np.float32)
    return feeds
