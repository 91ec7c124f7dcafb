"""ONNX models into netspec stages (`netspec import model.onnx`).

``read`` loads the file (external data included), infers shapes, orders the nodes and
collects the constants; ``patterns`` finds what an exporter spelled as a subgraph
(torch.onnx's lrn, its batch Expands); ``translate`` runs one translator per op type
(``conv``, ``elementwise``, ``linear``, ``merge``, ``norm``, ``shape``: each a table
op_type -> function (node, context) -> stages or Unsupported) over the live nodes.

Assumes the onnx and numpy packages. Guarantees :func:`read_onnx`: an
:class:`~netspec.frontends.imported.Imported`, or
:class:`~netspec.frontends.imported.NotImportable` listing every unsupported node;
with ``partial`` the stages up to the first of them, said in ``notes``.
"""

from __future__ import annotations

from pathlib import Path

from netspec.frontends.imported import Imported


def read_onnx(path: str | Path, partial: bool = False) -> Imported:
    from netspec.frontends.onnx.read import read_graph
    from netspec.frontends.onnx.translate import translate

    return translate(read_graph(path), str(path), partial=partial)


def read_model(model, source: str, partial: bool = False) -> Imported:
    """An ONNX ModelProto already in memory (a module exported on the fly)."""
    from netspec.frontends.onnx.read import graph_of
    from netspec.frontends.onnx.translate import translate

    return translate(graph_of(model), source, partial=partial)
