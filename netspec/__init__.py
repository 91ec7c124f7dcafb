"""netspec: neural-network architecture as a checked, declarative artefact.

The public API lives in :mod:`netspec.api`; the names re-exported here are the
conveniences most users need: ``load``, ``parse``, ``elaborate``, ``analyze``, ``check``,
``to_torch``, ``torch_source``, ``to_onnx``, ``export_onnx`` and ``train``, each taking
the network to build as ``network=``.

Assumes nothing below it imports this facade (they import ``netspec._version`` for the
version). Guarantees that importing netspec imports neither torch, numpy nor onnx.
"""

from netspec._version import __version__
from netspec.api import (
    analyze,
    check,
    elaborate,
    export_onnx,
    load,
    parse,
    to_onnx,
    to_torch,
    torch_source,
    train,
)

__all__ = [
    "analyze",
    "check",
    "elaborate",
    "export_onnx",
    "load",
    "parse",
    "to_onnx",
    "to_torch",
    "torch_source",
    "train",
    "__version__",
]
