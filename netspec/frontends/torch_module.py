"""A PyTorch module as netspec stages (`netspec import --torch package.module:factory`).

The module is traced in eval mode by torch's own ONNX exporter (TorchScript tracing,
`dynamo=False`) into an ONNX model in memory, which the ONNX frontend reads
(netspec/frontends/onnx/): one mapping from traced operations to netspec ops, not two.
`TrainingMode.PRESERVE` keeps the exporter from its eval-mode peephole pass, which would
fold batch norm into the convolutions, and constant folding is off: batch norm arrives
as BatchNormalization with its running statistics, so the spec's parameters and buffers
are the module's. Dropout and drop path pass through (eval mode), as in an export.

Assumes torch and onnx (the torch and onnx extras) and a module whose forward takes one
tensor per input shape given. Guarantees an Imported whose weights are the module's own
(state_dict values, by the names the export gives them), or NotImportable listing what
the trace holds that netspec cannot express.
"""

from __future__ import annotations

import importlib
import io
import warnings
from collections.abc import Sequence

from netspec.frontends.imported import Imported


class BadFactory(ValueError):
    """`package.module:factory` that names no callable giving an nn.Module, or a module
    that does not run on the shapes given: the message says which."""


def read_module(
    module, shapes: Sequence[Sequence[int]], source: str, partial: bool = False
) -> Imported:
    """`module` traced on zero tensors of `shapes` (batch included), as stages."""
    import onnx
    import torch

    from netspec.frontends.onnx import read_model

    args = tuple(torch.zeros(tuple(shape)) for shape in shapes)
    names = ["x"] if len(args) == 1 else [f"x{i}" for i in range(len(args))]
    buffer = io.BytesIO()
    was_training = module.training
    module.eval()  # inference: dropout and drop path pass through
    try:
        with warnings.catch_warnings():  # the exporter's advice is not the user's business
            warnings.simplefilter("ignore")
            torch.onnx.export(
                module,
                args,
                buffer,
                dynamo=False,
                training=torch.onnx.TrainingMode.PRESERVE,
                do_constant_folding=False,
                input_names=names,
            )
    except Exception as exc:  # noqa: BLE001 (the module's own error, on these shapes)
        shown = ", ".join(str(list(a.shape)) for a in args)
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        raise BadFactory(f"the module cannot be traced on {shown}: {first}") from None
    finally:
        module.train(was_training)
    return read_model(onnx.load_from_string(buffer.getvalue()), source, partial=partial)


def module_from(target: str):
    """The module `package.module:factory` makes (`factory()`, or the object itself if
    it is already a module)."""
    import torch

    path, _, attribute = target.partition(":")
    if not path or not attribute:
        raise BadFactory("not package.module:factory")
    try:
        found = getattr(importlib.import_module(path), attribute)
    except (ImportError, AttributeError) as exc:
        raise BadFactory(str(exc)) from None
    if not isinstance(found, torch.nn.Module) and not callable(found):
        raise BadFactory(f"a {type(found).__name__}, not a torch.nn.Module")
    try:
        module = found if isinstance(found, torch.nn.Module) else found()
    except Exception as exc:  # noqa: BLE001 (the factory's own error, said in one line)
        raise BadFactory(f"the factory failed: {type(exc).__name__}: {exc}") from None
    if not isinstance(module, torch.nn.Module):
        raise BadFactory(f"the factory gives a {type(module).__name__}, not a torch.nn.Module")
    return module.eval()
