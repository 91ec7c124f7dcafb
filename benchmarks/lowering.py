"""How long the PyTorch lowering takes: source, module, and (optionally) torch.compile.

Usage: python benchmarks/lowering.py [--repeat 3] [--compile]

For zoo specs and for generated chains of 1,000 and 10,000 layers, prints the best-of-N
time to write the source (`torch_source`, what `netspec build` does after checking)
and to build the module (`to_torch`: source, compile, instantiate), with the source's
line count. With --compile, also compiles LeNet-5 with torch.compile's default backend
(Inductor) and prints the compile time and the largest difference from eager mode.
"""

from __future__ import annotations

import argparse
import time

import torch

from benchmarks.scaling import best, chain_spec
from netspec import api
from netspec.backends.torch import to_torch as lowering
from netspec.source import Source

ZOO = ("lenet5", "resnet18", "resnet50", "googlenet", "densenet121", "unet")


def measure(name: str, source, repeat: int) -> None:
    graph = api.one_network(source).graph
    text = api.torch_source(source)
    write = best(lambda: lowering.torch_source(graph), repeat)

    def build() -> None:
        lowering.sys.modules.pop(lowering._module_name(graph), None)  # build afresh
        lowering.to_torch(graph, seed=0)

    module = best(build, repeat)
    print(f"{name:16} {len(graph.nodes):>6} layers {len(text.splitlines()):>7} lines   "
          f"source {write:6.3f} s   module {module:6.3f} s")  # fmt: skip


def compile_lenet() -> None:
    model = api.to_torch("lenet5", seed=0).eval()
    x = torch.randn(4, 1, 32, 32)
    start = time.perf_counter()
    compiled = torch.compile(model)
    with torch.no_grad():
        y = compiled(x)
        seconds = time.perf_counter() - start
        diff = (y - model(x)).abs().max().item()
    print(f"torch.compile(LeNet-5), Inductor: first call {seconds:.1f} s, max |diff| {diff:.1e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--compile", action="store_true")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, best of {args.repeat}")
    for name in ZOO:
        measure(name, name, args.repeat)
    for layers in (1_000, 10_000):
        measure(f"chain {layers:,}", Source("chain.netspec", chain_spec(layers)), args.repeat)
    if args.compile:
        compile_lenet()


if __name__ == "__main__":
    main()
