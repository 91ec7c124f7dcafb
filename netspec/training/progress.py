"""What a training run shows: notes, a progress bar per epoch, a line per epoch, a summary.

The bars (rich.progress: samples done, running loss and accuracy, samples/s) go to
stderr and vanish when the epoch ends; they are drawn only where stderr is a terminal. The notes,
epoch lines and summary go to stdout, so a log or a pipe holds exactly those lines; a
warning (a run that did not learn) goes to stderr after them. ``quiet`` shows nothing
at all.

Assumes rich (a core dependency). Guarantees that what is printed is a function of the
figures alone: no torch here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

if TYPE_CHECKING:
    from netspec.training.results import EpochMetrics, TrainResult

Update = Callable[[int, float, float | None], None]  # samples done, mean loss, accuracy


class Reporter:
    """Prints a run's progress; every method does nothing when quiet."""

    def __init__(self, quiet: bool = False, console: Console | None = None) -> None:
        self.quiet = quiet
        self.out = console or Console(highlight=False, soft_wrap=True)
        self.err = Console(stderr=True, highlight=False)

    def note(self, line: str) -> None:
        if not self.quiet:
            self.out.print(line, markup=False)

    @contextmanager
    def epoch(self, epoch: int, epochs: int, samples: int) -> Iterator[Update]:
        """A bar for one epoch; yields the function that advances it."""
        if self.quiet or not self.err.is_terminal:
            yield lambda done, loss, accuracy: None
            return
        progress = Progress(
            TextColumn(f"epoch {epoch}/{epochs}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]}  acc {task.fields[acc]}  {task.fields[rate]}"),
            TimeElapsedColumn(),
            console=self.err,
            transient=True,
        )
        with progress:
            task = progress.add_task("train", total=samples, loss="-", acc="-", rate="")

            def update(done: int, loss: float, accuracy: float | None) -> None:
                elapsed = progress.tasks[0].elapsed or 0.0
                rate = f"{done / elapsed:,.0f} samples/s" if elapsed > 0 else ""
                progress.update(
                    task, completed=done, loss=f"{loss:.4f}", acc=_percent(accuracy), rate=rate
                )

            yield update

    def epoch_line(self, m: EpochMetrics, epochs: int) -> None:
        self.note(
            f"epoch {m.epoch}/{epochs}  train loss {m.train_loss:.4f}"
            f" acc {_percent(m.train_accuracy)}"
            f"  held-out loss {m.val_loss:.4f} acc {_percent(m.val_accuracy)}"
            f"  {m.samples_per_second:,.0f} samples/s  {m.seconds:.1f}s"
        )

    def warning(self, line: str) -> None:
        """`netspec train: warning: LINE` on stderr, after the summary (not when quiet)."""
        if not self.quiet:
            self.err.print(f"netspec train: warning: {line}", markup=False, soft_wrap=True)

    def summary(self, result: TrainResult) -> None:
        last = result.history[-1]
        where = f"; checkpoint {result.checkpoint}" if result.checkpoint else ""
        if result.baseline is not None:
            figure = bits_per_byte(last.val_loss, result.baseline)
        elif last.val_accuracy is None:
            figure = f"held-out loss {last.val_loss:.4f}"
        else:
            figure = (
                f"held-out accuracy {_percent(last.val_accuracy)} "
                f"({last.val_correct}/{last.val_samples})"
            )
        self.note(
            f"{result.network}: {figure} after {last.epoch} epochs; "
            f"trained {result.seconds:.1f}s on {result.device}{where}"
        )


def bits_per_byte(loss: float, baseline: float) -> str:
    """A next-byte model's held-out loss beside the unigram baseline, in nats and bits."""
    bits = 1 / math.log(2)
    return (
        f"held-out loss {loss:.4f} nats = {loss * bits:.3f} bits per byte "
        f"(unigram baseline {baseline:.4f} nats = {baseline * bits:.3f} bits)"
    )


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.2f}%"
