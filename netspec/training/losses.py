"""Losses and class scores, for a batch of network outputs s (N x K) and labels y.

- ``cross_entropy``: mean over the batch of -log softmax(s_i)[y_i] (F.cross_entropy).
- ``hinge``: the multiclass SVM loss (Weston and Watkins; CS231n) with margin 1:
  (1/N) sum_i sum_{j != y_i} max(0, s_ij - s_iy_i + 1).
- ``mse``: against one-hot targets t_ij = [j = y_i], the mean over all N x K elements
  of (s_ij - t_ij)^2 (nn.MSELoss); for float targets, the same mean against them.

An ``rbf`` output layer (LeNet-5's Euclidean RBF units, LeCun et al. 1998, eq. 7)
gives *distances*: the smaller y_j, the likelier class j. Its class scores are the
negated outputs divided by the F features the distances sum over, s = -y / F (the mean
squared distance per feature), for cross-entropy, hinge and accuracy. Cross-entropy on
-y / F is LeCun's MAP criterion (eq. 9), without its extra constant "rubbish" class, at
temperature F: on -y itself the logits span hundreds (84 features of +-1.7 against
+-1 centres), the softmax saturates and SGD at 0.01 stays at chance. ``mse`` on
an rbf output is LeCun's own mean-squared-error criterion (eq. 8), the mean over the
batch of the correct class's output y_{y_i} -- the squared distance from F6 to the
correct class's centre -- not a regression of distances onto one-hot targets, which
would pull every distance towards 0 or 1.

Accuracy is the share of samples whose highest score is the label's. For next-byte
prediction (outputs [N, L, K], labels [N, L]) every position is a sample of its own:
the losses and the accuracy are taken over all N x L positions.

Assumes torch is installed and labels already checked against the output's classes
(data.py). Guarantees a loss that is a function of the raw outputs and the targets.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def scores(outputs: torch.Tensor, rbf: float) -> torch.Tensor:
    """Class scores, higher = likelier: the outputs, or, for an rbf layer, -outputs / rbf.

    `rbf` is 0 (False) for other outputs, else the features the distances sum over
    (True counts as 1: the plain negated distances)."""
    return -outputs / float(rbf) if rbf else outputs


def hinge(scores: torch.Tensor, labels: torch.Tensor, margin: float = 1.0) -> torch.Tensor:
    """The multiclass SVM loss: mean over the batch of sum_{j != y} max(0, s_j - s_y + m)."""
    correct = scores.gather(1, labels[:, None])
    margins = (scores - correct + margin).clamp(min=0)
    return margins.scatter(1, labels[:, None], 0.0).sum(dim=1).mean()


def mse_one_hot(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean over all elements of (s_ij - [j = y_i])^2."""
    target = F.one_hot(labels, scores.shape[1]).to(scores.dtype)
    return F.mse_loss(scores, target)


def rbf_mse(distances: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """LeCun's eq. 8: the mean over the batch of the correct class's rbf output."""
    return distances.gather(1, labels[:, None]).mean()


def loss_function(name: str, rbf: float, classification: bool, sequence: bool = False) -> Loss:
    """The loss `name` as a function of the raw outputs and the targets. With `sequence`,
    outputs [N, L, K] and labels [N, L]: the loss over all N x L positions, each a sample."""
    if not classification:
        return F.mse_loss  # validated earlier: float targets come with --loss mse only
    if name == "mse" and rbf:
        return rbf_mse
    chosen = {"cross_entropy": F.cross_entropy, "hinge": hinge, "mse": mse_one_hot}[name]
    if sequence:
        return lambda outputs, labels: chosen(
            outputs.reshape(-1, outputs.shape[-1]), labels.reshape(-1)
        )
    return lambda outputs, labels: chosen(scores(outputs, rbf), labels)


def correct(outputs: torch.Tensor, labels: torch.Tensor, rbf: float) -> int:
    """How many samples' (or, for labels [N, L], positions') highest score is their label's."""
    return int((scores(outputs, rbf).argmax(dim=-1) == labels).sum())
