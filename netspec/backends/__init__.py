"""Stage 5, graph IR -> other frameworks: ``torch/`` (an ``nn.Module`` and its source)
and ``onnx/`` (a ``ModelProto``), which never import each other.

Assumes a Graph and its Analysis; a backend never recomputes a shape. Guarantees a
lowering for every op of the registry, or a positioned E-lower error naming the op.
torch and onnx are imported only inside their backend, and only when a lowering is
asked for, so `netspec check` never needs them. ``registry`` is the one helper both
backends share: a decorator that fills a lowering table.
"""
