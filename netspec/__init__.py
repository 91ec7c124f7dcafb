"""netspec: neural-network architecture as a checked, declarative artefact.

The public API lives in :mod:`netspec.api`; the names re-exported here are the
conveniences most users need. Importing netspec never imports torch or onnx.
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
    "__version__",
]
