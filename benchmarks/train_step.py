"""A training step of the built module against a hand-written nn.Module with the same layers.

Usage: python benchmarks/train_step.py [--network lenet5|resnet18|gpt2_small|all]
                                       [--repeats N] [--device cpu|cuda] [--threads T]
                                       [--size 224] [--context 128]
                                       [--precision fp32|bf16|fp16] [--compile]

Targets: built / hand-written <= 1.05 for ResNet-18 and LeNet-5 (issue 4) and for GPT-2
small (issue 16: batch 1, context 128, 10 steps after warm-up; next-token cross-entropy,
the hand-written model's attention in F.scaled_dot_product_attention).

The hand-written networks below are ordinary PyTorch, written for this benchmark (not
generated, not torchvision's code). Before timing, the script copies the built module's
weights into the hand-written one (their state_dicts match entry for entry, by order and
shape) and asserts equal parameter counts, equal outputs and equal gradients, so both
sides run the same computation. A step is zero_grad(set_to_none=True), forward,
cross-entropy (on -output for LeNet-5, whose RBF units are distances), backward and an
SGD step with momentum. After warm-up the two sides alternate (AB, BA, AB, ...) on the
same batch. The ratio is the median of the per-pair ratios (each pair ran back to back,
so a slow phase of a shared machine hits both sides of a pair), with a bootstrap 95%
interval over the pairs; each side's median and their ratio are printed as well.

`--precision bf16|fp16` runs each side's forward pass and loss under torch.autocast (fp16
with a GradScaler, CUDA only), as `netspec train --precision` does; `--compile` times
torch.compile of each module (compiled after the equality check, compiled during the
warm-up steps), as `netspec train --compile` does.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from contextlib import nullcontext

import torch
import torch.nn.functional as F
from torch import nn

import netspec

# LeCun et al. 1998, Table I: the input maps (of S2's 6) each C3 map reads.
C3_TABLE = [[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5], [0, 4, 5], [0, 1, 5],
            [0, 1, 2, 3], [1, 2, 3, 4], [2, 3, 4, 5], [0, 3, 4, 5], [0, 1, 4, 5], [0, 1, 2, 5],
            [0, 1, 3, 4], [1, 2, 4, 5], [0, 2, 3, 5],
            [0, 1, 2, 3, 4, 5]]  # fmt: skip


# ---------------------------------------------------------------- hand-written ResNet-18


class BasicBlock(nn.Module):
    def __init__(self, in_channels: int, channels: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or in_channels != channels:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_channels, channels, 1, stride, bias=False), nn.BatchNorm2d(channels)
            )

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += identity
        return self.relu(out)


class ResNet18(nn.Module):
    def __init__(self, classes: int = 1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        widths, layers, in_channels = [64, 128, 256, 512], [], 64
        for i, width in enumerate(widths):
            stride = 1 if i == 0 else 2
            layers.append(
                nn.Sequential(BasicBlock(in_channels, width, stride), BasicBlock(width, width))
            )
            in_channels = width
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512, classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


# ------------------------------------------------------------------ hand-written LeNet-5


def scaled_tanh(x):
    return 1.7159 * torch.tanh(0.6667 * x)


class Subsampling(nn.Module):
    """2x2 window sum times a trainable per-map coefficient, plus a per-map bias."""

    def __init__(self, maps: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(maps).uniform_(-0.6, 0.6))
        self.bias = nn.Parameter(torch.empty(maps).uniform_(-0.6, 0.6))

    def forward(self, x):
        sums = F.avg_pool2d(x, 2, divisor_override=1)
        return sums * self.weight.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)


class SparseConv2d(nn.Module):
    """A convolution whose output map o reads only the input maps table[o]: the kernels
    are stored per table entry and scattered into a dense (zero-filled) weight, so one
    ordinary convolution does the work (1.6x C3's multiply-adds, in one kernel call)."""

    def __init__(self, table, in_channels: int, kernel_size: int):
        super().__init__()
        self.shape = (len(table), in_channels, kernel_size, kernel_size)
        index = [o * in_channels + c for o, row in enumerate(table) for c in row]
        self.register_buffer("index", torch.tensor(index), persistent=False)
        self.weight = nn.Parameter(torch.randn(len(index), kernel_size, kernel_size) * 0.1)
        self.bias = nn.Parameter(torch.zeros(len(table)))

    def forward(self, x):
        dense = self.weight.new_zeros(self.shape[0] * self.shape[1], *self.shape[2:])
        dense = dense.index_copy(0, self.index, self.weight).view(self.shape)
        return F.conv2d(x, dense, self.bias)


class EuclideanRBF(nn.Module):
    """y_i = sum_j (x_j - c_ij)^2 with fixed +-1 centres."""

    def __init__(self, in_features: int, units: int):
        super().__init__()
        self.register_buffer("centres", torch.randint(0, 2, (units, in_features)) * 2.0 - 1)

    def forward(self, x):
        return (x.unsqueeze(1) - self.centres).pow(2).sum(-1)


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5)
        self.s2 = Subsampling(6)
        self.c3 = SparseConv2d(C3_TABLE, 6, 5)
        self.s4 = Subsampling(16)
        self.c5 = nn.Conv2d(16, 120, 5)
        self.f6 = nn.Linear(120, 84)
        self.output = EuclideanRBF(84, 10)

    def forward(self, x):
        x = torch.sigmoid(self.s2(scaled_tanh(self.c1(x))))
        x = torch.sigmoid(self.s4(scaled_tanh(self.c3(x))))
        x = scaled_tanh(self.c5(x)).flatten(1)
        return self.output(scaled_tanh(self.f6(x)))


# --------------------------------------------------------------- hand-written GPT-2 small


class DecoderLayer(nn.Module):
    """Pre-norm: x + drop(attn(ln(x))), then x + drop(mlp(ln(x))); GELU, tanh form."""

    def __init__(self, width: int = 768, heads: int = 12, p: float = 0.1):
        super().__init__()
        self.heads, self.p = heads, p
        self.ln1 = nn.LayerNorm(width)
        self.q, self.k = nn.Linear(width, width), nn.Linear(width, width)
        self.v, self.proj = nn.Linear(width, width), nn.Linear(width, width)
        self.ln2 = nn.LayerNorm(width)
        self.fc, self.out = nn.Linear(width, 4 * width), nn.Linear(4 * width, width)

    def attend(self, x):
        n, length, width = x.shape

        def split(t):
            return t.view(n, length, self.heads, -1).transpose(1, 2)

        p = self.p if self.training else 0.0
        y = F.scaled_dot_product_attention(
            split(self.q(x)), split(self.k(x)), split(self.v(x)), dropout_p=p, is_causal=True
        )
        return self.proj(y.transpose(1, 2).reshape(n, length, width))

    def forward(self, x):
        x = x + F.dropout(self.attend(self.ln1(x)), self.p, self.training)
        mlp = self.out(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))
        return x + F.dropout(mlp, self.p, self.training)


class GPT2Small(nn.Module):
    def __init__(self, vocab=50257, width=768, layers=12, positions=1024, p=0.1):
        super().__init__()
        self.pos = nn.Parameter(torch.zeros(1, positions, width))
        self.words = nn.Embedding(vocab, width)
        self.layers = nn.ModuleList(DecoderLayer(width) for _ in range(layers))
        self.ln = nn.LayerNorm(width)
        self.head = nn.Linear(width, vocab, bias=False)
        self.head.weight = self.words.weight  # tied
        self.p = p

    def forward(self, ids):
        x = self.words(ids) + self.pos[:, : ids.shape[1]]
        x = F.dropout(x, self.p, self.training)
        for layer in self.layers:
            x = layer(x)
        return self.head(self.ln(x))


# ------------------------------------------------------------------------------ benchmark

NETWORKS = {  # name: hand-written class, batch, input shape, default repeats per side
    "lenet5": (LeNet5, 256, (1, 32, 32), 100),
    "resnet18": (ResNet18, 8, (3, 224, 224), 20),
    "gpt2_small": (GPT2Small, 1, (128,), 10),  # token ids: (context,)
}


def counts(model: nn.Module) -> tuple[int, int]:
    """(trainable parameters, fixed state: frozen parameters and saved buffers)."""
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    # a tied weight is in the state_dict under both names: count each tensor once
    unique = {t.data_ptr(): t.numel() for t in model.state_dict().values()}
    return trainable, sum(unique.values()) - trainable


def copy_weights(built: nn.Module, hand: nn.Module) -> None:
    """Load the built module's state into the hand-written one, entry by entry in order."""
    source, target = built.state_dict(), hand.state_dict()
    assert len(source) == len(target), (len(source), len(target))
    for (a, x), (b, y) in zip(source.items(), target.items(), strict=True):
        assert x.shape == y.shape, f"{a} {tuple(x.shape)} vs {b} {tuple(y.shape)}"
    hand.load_state_dict(dict(zip(target, source.values(), strict=True)))


def loss(name: str, output: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Cross-entropy: of each position's next token for GPT-2; on -output for LeNet-5,
    whose RBF units are distances (smaller = closer)."""
    if name == "gpt2_small":
        return F.cross_entropy(output.flatten(0, 1), y.flatten())
    return F.cross_entropy(-output if name == "lenet5" else output, y)


def assert_same(name: str, built: nn.Module, hand: nn.Module, x, y) -> None:
    """Same counts, same outputs, same gradients (train mode, one forward and backward)."""
    assert counts(built) == counts(hand), (counts(built), counts(hand))
    for model in (built, hand):
        model.zero_grad(set_to_none=True)
        torch.manual_seed(2)  # the same dropout masks: both draw them in the same order
        loss(name, model(x), y).backward()
    with torch.no_grad():
        torch.manual_seed(3)
        a = built(x)
        torch.manual_seed(3)
        b = hand(x)
    assert a.shape == b.shape, (a.shape, b.shape)
    torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)
    trained = [[p for p in m.parameters() if p.requires_grad] for m in (built, hand)]
    for p, q in zip(*trained, strict=True):
        assert (p.grad - q.grad).norm() <= 1e-3 * q.grad.norm() + 1e-6, p.shape


PRECISIONS = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


def make_step(name: str, model: nn.Module, x, y, sync, precision: str = "fp32"):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    dtype, kind = PRECISIONS[precision], x.device.type
    scaler = torch.amp.GradScaler(kind) if precision == "fp16" else None

    def step() -> float:
        sync()
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        with nullcontext() if dtype is None else torch.autocast(kind, dtype=dtype):
            value = loss(name, model(x), y)
        if scaler is None:
            value.backward()
            optimizer.step()
        else:  # as netspec train --precision fp16 steps
            scaler.scale(value).backward()
            scaler.step(optimizer)
            scaler.update()
        sync()
        return time.perf_counter() - start

    return step


def bootstrap(ratios: list[float], rounds: int = 2000) -> tuple[float, float]:
    """95% interval of the median of the per-pair ratios, resampling the pairs."""
    rng = random.Random(0)
    medians = sorted(statistics.median(rng.choices(ratios, k=len(ratios))) for _ in range(rounds))
    return medians[int(0.025 * rounds)], medians[int(0.975 * rounds) - 1]


def data(name: str, batch: int, shape: tuple[int, ...], device: torch.device):
    """A batch and its targets: images and classes, or token ids and the next ones."""
    gen = torch.Generator().manual_seed(1)
    if name == "gpt2_small":
        ids = torch.randint(0, 50257, (batch, shape[0] + 1), generator=gen).to(device)
        return ids[:, :-1], ids[:, 1:]
    x = torch.randn(batch, *shape, generator=gen).to(device)
    return x, torch.randint(0, 10, (batch,), generator=gen).to(device)


def run(
    name: str,
    repeats: int | None,
    device: torch.device,
    size: int | None,
    precision: str = "fp32",
    compile_: bool = False,
) -> float:
    hand_class, batch, shape, default_repeats = NETWORKS[name]
    repeats = repeats or default_repeats
    if size:
        shape = (size,) if name == "gpt2_small" else (shape[0], size, size)
    sync = torch.cuda.synchronize if device.type == "cuda" else lambda: None
    start = time.perf_counter()
    # convolutions and global pooling take any size; GPT-2's context is a parameter
    overrides = {"context": shape[0]} if name == "gpt2_small" else None
    built = netspec.to_torch(name, overrides=overrides, seed=0)
    build_s = time.perf_counter() - start
    start = time.perf_counter()
    hand = hand_class()
    hand_s = time.perf_counter() - start
    copy_weights(built, hand)
    built, hand = built.to(device), hand.to(device)
    x, y = data(name, batch, shape, device)
    assert_same(name, built, hand, x, y)
    trainable, fixed = counts(built)
    print(
        f"{name}: batch {batch} x {list(shape)} on {device}, {trainable:,} trainable parameters"
        f" + {fixed:,} fixed values; weights copied, outputs and gradients equal"
    )
    print(f"  construction: netspec.to_torch {build_s:.3f} s, hand-written class {hand_s:.3f} s")
    if compile_:  # compiled lazily: the first step below compiles
        built, hand = torch.compile(built), torch.compile(hand)
    models = {"built": built, "hand": hand}
    steps = {side: make_step(name, m, x, y, sync, precision) for side, m in models.items()}
    first = {side: steps[side]() for side in ("built", "hand")}
    what = "compiled, momentum buffers allocated" if compile_ else "momentum buffers allocated"
    print(
        f"  first step ({what}): built {first['built']:.4f} s, hand-written {first['hand']:.4f} s"
    )
    for _ in range(max(3, repeats // 10)):
        for side in ("built", "hand"):
            steps[side]()
    times = {"built": [], "hand": []}
    for r in range(repeats):
        for side in ("built", "hand") if r % 2 == 0 else ("hand", "built"):
            times[side].append(steps[side]())
    medians = {side: statistics.median(t) for side, t in times.items()}
    for side, label in (("built", "built (netspec)"), ("hand", "hand-written")):
        t = times[side]
        print(
            f"  {label:<16} median {medians[side] * 1e3:9.2f} ms  (min {min(t) * 1e3:.2f},"
            f" max {max(t) * 1e3:.2f}, {repeats} steps)  {batch / medians[side]:8.1f} samples/s"
        )
    pairs = [a / b for a, b in zip(times["built"], times["hand"], strict=True)]
    ratio = statistics.median(pairs)
    low, high = bootstrap(pairs)
    print(
        f"  built / hand-written: {ratio:.3f} median of paired ratios (bootstrap 95%"
        f" {low:.3f}-{high:.3f}); ratio of medians {medians['built'] / medians['hand']:.3f}"
    )
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--network", choices=[*NETWORKS, "all"], default="all")
    parser.add_argument("--repeats", type=int, help="timed steps per side (default 100 / 20)")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--size", type=int, help="ResNet-18 input side (default 224)")
    parser.add_argument("--context", type=int, help="GPT-2 small's context (default 128)")
    parser.add_argument("--precision", choices=list(PRECISIONS), default="fp32")
    parser.add_argument("--compile", action="store_true", help="torch.compile both modules")
    args = parser.parse_args()
    if args.precision == "fp16" and args.device != "cuda":
        parser.error("--precision fp16 needs --device cuda (as netspec train refuses it on CPU)")
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    where = torch.cuda.get_device_name() if device.type == "cuda" else f"{args.threads} threads"
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    step = f"SGD(lr=0.01, momentum=0.9), {args.precision}" + (", compiled" if args.compile else "")
    print(f"torch {torch.__version__}, {where} (load average {load}), {step}")
    names = list(NETWORKS) if args.network == "all" else [args.network]
    sizes = {"resnet18": args.size, "gpt2_small": args.context}
    ratios = {
        n: run(n, args.repeats, device, sizes.get(n), args.precision, args.compile) for n in names
    }
    print(
        "target built / hand-written <= 1.05: "
        + ", ".join(f"{n} {r:.3f} {'ok' if r <= 1.05 else 'ABOVE'}" for n, r in ratios.items())
    )


if __name__ == "__main__":
    main()
