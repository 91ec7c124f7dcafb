"""How a batch's loss becomes an optimizer step: precision, accumulation, clipping.

- *Precision*: ``bf16`` and ``fp16`` run the forward pass and the loss under
  ``torch.autocast`` on the device's type (matrix products and convolutions in the
  lower precision, reductions and the loss in float32); the weights, gradients and
  optimizer state stay float32. ``fp16`` scales the loss (``torch.amp.GradScaler``) so
  that small gradients do not underflow, and needs CUDA; ``bf16`` has float32's range
  and needs no scaler. ``fp32`` (the default) uses neither.
- *Accumulation* (``accumulate=K``): the optimizer steps once per group of K batches
  (the last group of an epoch may be shorter). Each batch's mean loss is weighted by
  its share of the group's samples, so the summed gradient is the gradient of the mean
  loss over the group -- one batch of the group's size, as far as the gradients go
  (batch statistics, as batch normalisation keeps, still see K smaller batches). Under
  DistributedDataParallel the gradients are averaged across processes only on a
  group's last batch: :meth:`Stepper.batch` puts the others' forward *and* backward
  passes in ``no_sync`` (DDP decides during the forward pass whether the backward
  all-reduces).
- *Clipping* (``clip_norm=X``): before each step, the gradients of all trainable
  parameters are scaled so that their joint L2 norm is at most X
  (``torch.nn.utils.clip_grad_norm_``), after unscaling where fp16 scaled them.

Assumes torch and a validated TrainConfig. Guarantees that fp32 without accumulation
or clipping computes exactly what a plain zero_grad, backward, step computes, and that
a precision the device cannot run is a TrainingError before any step.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext

import torch

from netspec.training.errors import TrainingError
from netspec.training.options import TrainConfig

DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def check_precision(precision: str, device: torch.device) -> None:
    """Refuse a precision `device` cannot train in."""
    if precision == "fp16" and device.type != "cuda":
        raise TrainingError(
            f"--precision fp16 needs CUDA (its gradient scaler and half-precision kernels); "
            f"on {device.type} use --precision bf16 or fp32"
        )
    if precision == "bf16" and device.type == "cuda" and not torch.cuda.is_bf16_supported():
        raise TrainingError(
            f"--precision bf16 is not supported by {torch.cuda.get_device_name(device)}; "
            "use --precision fp16 or fp32"
        )


def groups(sizes: list[int], accumulate: int) -> list[int]:
    """For each batch (of `sizes`), the samples of its accumulation group."""
    totals: list[int] = []
    for start in range(0, len(sizes), accumulate):
        group = sizes[start : start + accumulate]
        totals += [sum(group)] * len(group)
    return totals


class Stepper:
    """Turns batches' losses into optimizer steps for one run (see the module's notes)."""

    def __init__(
        self,
        config: TrainConfig,
        model: torch.nn.Module,
        optimizer: torch.optim.Optimizer,
        device: torch.device,
    ) -> None:
        self.model = model  # what the forward pass runs: DDP, compiled or the module
        self.optimizer = optimizer
        self.device = device
        self.dtype = DTYPES.get(config.precision)
        self.clip_norm = config.clip_norm
        self.accumulate = config.accumulate
        self.scaler = torch.amp.GradScaler(device.type) if config.precision == "fp16" else None
        self.params = [p for group in optimizer.param_groups for p in group["params"]]

    def autocast(self) -> AbstractContextManager:
        """The forward pass's precision: autocast for bf16 / fp16, nothing for fp32."""
        if self.dtype is None:
            return nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype)

    def backward(self, loss: torch.Tensor, share: float, first: bool, last: bool) -> None:
        """Add `loss`'s gradient, weighted by `share` (the batch's share of its group);
        `first` and `last` say where the batch stands in its group; steps on the last."""
        if first:
            self.optimizer.zero_grad(set_to_none=True)
        if share != 1.0:
            loss = loss * share
        if self.scaler is not None:
            loss = self.scaler.scale(loss)
        loss.backward()
        if last:
            self._step()

    def batch(self, last: bool) -> AbstractContextManager:
        """The context of one batch's forward and backward passes: under DDP, the
        gradients are averaged across processes only on a group's `last` batch."""
        skip = not last and hasattr(self.model, "no_sync")
        return self.model.no_sync() if skip else nullcontext()

    def _step(self) -> None:
        if self.clip_norm is not None:
            if self.scaler is not None:
                self.scaler.unscale_(self.optimizer)  # clip the true gradients
            torch.nn.utils.clip_grad_norm_(self.params, self.clip_norm)
        if self.scaler is None:
            self.optimizer.step()
        else:
            self.scaler.step(self.optimizer)
            self.scaler.update()
