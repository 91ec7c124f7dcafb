"""Writing text with a trained next-byte network: what `netspec sample` runs.

The context fed to the network is always L bytes (the spec's fixed context): a prompt
longer than L is cropped to its last L bytes; a shorter one is placed at the start of
the window, followed by zero bytes, and the next byte is read from the scores at the
prompt's last position. A causal network (``attention(heads, causal=true)``, every
position reading only positions <= its own) never reads those zero bytes, so this is
exact: the scores are those of the prompt alone, as training saw windows start at
position 0. (Left-padding would put bytes the network never saw in training before
the prompt.) An empty prompt starts from a newline. The scores are restricted to the
256 byte values, divided by the temperature, cut to the top k where asked, and one
byte is drawn from their softmax with a torch.Generator seeded with `seed`; at
temperature 0 the likeliest byte is taken. The same checkpoint, prompt and options
give the same bytes on every run on one machine.

Assumes torch, a module built from a graph that tokens.text_shape accepts, in eval
mode, and options already checked (:func:`check_options`). Guarantees exactly
`length` new bytes.
"""

from __future__ import annotations

import torch

from netspec.ir import Graph
from netspec.training import checkpoint
from netspec.training.errors import TrainingError
from netspec.training.tokens import BYTES, TextShape, text_shape

START = b"\n"  # the context of an empty prompt


def check_options(length: int, temperature: float, top_k: int) -> None:
    """Raise TrainingError for options that cannot be sampled with."""
    if length < 0:
        raise TrainingError(f"--length must be 0 or more bytes, got {length}")
    if not temperature >= 0 or temperature == float("inf"):
        raise TrainingError(f"--temperature must be a number >= 0, got {temperature}")
    if top_k < 0:
        raise TrainingError(f"--top-k must be 0 (all bytes) or more, got {top_k}")


def load_model(graph: Graph, path: str) -> tuple[torch.nn.Module, TextShape, dict]:
    """The graph's module with the checkpoint's weights, in eval mode; its text shape."""
    from netspec.backends.torch.to_torch import to_torch

    shape = text_shape(graph, "the prompt")
    module = to_torch(graph)
    saved = checkpoint.load_weights(module, path, graph)
    return module.eval(), shape, saved


@torch.no_grad()
def generate(
    module: torch.nn.Module,
    shape: TextShape,
    prompt: bytes,
    length: int,
    temperature: float = 1.0,
    top_k: int = 0,
    seed: int = 0,
) -> bytes:
    """`length` bytes following `prompt`, drawn as the module docstring says."""
    generator = torch.Generator().manual_seed(seed)
    tokens = list(prompt or START)
    out = bytearray()
    for _ in range(length):
        window = tokens[-shape.context :]
        x = torch.zeros(1, shape.context, dtype=torch.int64)
        x[0, : len(window)] = torch.tensor(window, dtype=torch.int64)
        scores = module(x)[0, len(window) - 1, :BYTES].double()
        byte = _choose(scores, temperature, top_k, generator)
        tokens.append(byte)
        out.append(byte)
    return bytes(out)


def _choose(scores: torch.Tensor, temperature: float, top_k: int, generator) -> int:
    if temperature < 1e-6:  # 0, or so small that the division overflows: the likeliest
        return int(scores.argmax())
    scores = (scores - scores.max()) / temperature  # the largest 0: no overflow
    if 0 < top_k < len(scores):
        cut = torch.topk(scores, top_k).values[-1]
        scores = scores.masked_fill(scores < cut, float("-inf"))
    return int(torch.multinomial(torch.softmax(scores, dim=0), 1, generator=generator))
