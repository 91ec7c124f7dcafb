"""Training a spec's network: `netspec train SPEC` and ``netspec.training.train``.

    spec --check--> Graph --to_torch--> nn.Module
    data --data.load--> adapted tensors, held-out split --loop.fit--> TrainResult

Importing this package imports neither torch nor numpy: :func:`train` imports them
when called and raises :class:`TrainingError` (not ImportError) when they are missing,
so the command line can say which extra to install. Every bad input a user can give
(data that cannot fit the network's input, labels beyond its classes, a checkpoint of
another architecture, CUDA without CUDA) is a :class:`TrainingError` with one message
that says what to do. The modules: ``options`` (TrainConfig; torch-free), ``data``
(datasets, scaling, labels, the split), ``fit`` (samples to the input shape),
``losses`` (cross-entropy, hinge, mse; scores of rbf outputs), ``checkpoint`` (atomic
save, architecture-checked load), ``loop`` (optimizers, epochs, resume), ``results``,
``progress`` (what is printed) and ``command`` (`netspec train`; torch-free). See
docs/training.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from netspec.source import Source
    from netspec.training.options import TrainConfig
    from netspec.training.results import TrainResult

__all__ = ["TrainingError", "require_torch", "train"]

_HINTS = {
    "torch": "pip install 'netspec[torch]' (or 'netspec[train]': torch with numpy)",
    "numpy": "pip install 'netspec[train]'",
}


class TrainingError(Exception):
    """A bad input to training, told in one message (no traceback is shown for it)."""


def require_torch() -> None:
    """Raise TrainingError, naming the extra to install, where torch or numpy is missing."""
    for module, hint in _HINTS.items():
        try:
            __import__(module)
        except ImportError:
            raise TrainingError(
                f"training needs {module}, which is not installed; install it with: {hint}"
            ) from None


def train(
    spec: str | Path | Source,
    data: str | Path = "digits",
    config: TrainConfig | None = None,
    **options: Any,
) -> TrainResult:
    """Train the network of `spec` on `data`, options as in `options.TrainConfig`.

    `spec` is a path, a zoo name (``"lenet5"``) or a Source; `data` is ``"digits"`` or
    a ``.npz`` file with arrays ``x`` and ``y``. `options` are TrainConfig fields
    (``epochs=5, lr=0.01, network="LeNet5", overrides={"classes": 10}``) and replace
    those of `config`. Raises CompileError for a bad spec, TrainingError for bad input.
    """
    require_torch()
    from netspec.training.loop import run

    return run(spec, data, config, **options)
