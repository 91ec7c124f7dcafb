"""The architecture hash: what a checkpoint records to refuse another network's weights.

The hash covers what decides the weights' meaning and shapes: the network's name, its
inputs, and every layer's path, op, normalised attributes, wiring and output shape. It
ignores comments, formatting and how a value was written (`2 * 32` and `64` hash the
same), so re-formatting a spec keeps its checkpoints valid while any change to the
architecture refuses them.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from netspec.ir import Graph

SCHEME = "netspec-architecture-v1"


def architecture_hash(graph: Graph) -> str:
    """A sha256 hex digest of the graph's architecture (stable across runs and machines)."""
    text = json.dumps(_canonical(graph), sort_keys=True, separators=(",", ":"), default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


def _canonical(graph: Graph) -> dict[str, Any]:
    return {
        "scheme": SCHEME,
        "network": graph.name,
        "inputs": [[name, list(graph.shape(t))] for name, t in graph.inputs],
        "outputs": [[name, t] for name, t in graph.outputs],
        "layers": [
            [
                n.path,
                n.op,
                {k: n.attrs[k] for k in sorted(n.attrs)},
                n.inputs,
                n.output,
                list(graph.shape(n.output)),
            ]
            for n in graph.nodes
        ],
    }
