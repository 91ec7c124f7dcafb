"""netspec's ONNX export against torch.onnx.export, side by side in one run.

Usage: python -m benchmarks.export_onnx [--spec resnet50] [--repeats 5] [--runs 50] [--dir D]

Both export the same weights: the built module's (`netspec.to_torch(spec, seed=0)`),
passed to netspec as its state_dict. Prints the median time to produce the .onnx file
(netspec: what `netspec export` does after reading the spec: `build`, the checker's
full_check on the graph, and the streamed, atomic write; torch: `torch.onnx.export` of the
module, the TorchScript exporter, dynamic batch, which also runs the checker), then
onnxruntime's median latency on each file for the same input (runs alternated), the
largest difference between the two outputs, and the ratios (targets: export at least
20x faster, latency ratio at most 1.05). Both write the same ~100 MB to a new file in
`--dir` (default: a temporary folder; /dev/shm takes the disk out), after `sync`, so
neither pays for the other's writes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

import netspec
from netspec.api import one_network
from netspec.backends.onnx.to_onnx import build
from netspec.files import write_whole


def netspec_export(graph, weights, path: Path) -> None:
    model = build(graph, weights)
    model.check()
    write_whole(path, model.chunks())


def torch_export(module, example, name: str, path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            (example,),
            str(path),
            dynamo=False,
            input_names=[name],
            dynamic_axes={name: {0: "N"}},
        )


def fresh(*groups) -> None:
    """Remove the files a run is about to write, and let the disk settle."""
    for group in groups:
        for path in [group] if isinstance(group, Path) else group:
            path.unlink(missing_ok=True)
    os.sync()


def timed(fn, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def latency(paths: dict[str, Path], x: np.ndarray, runs: int) -> dict[str, list[float]]:
    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    # Without this, each session's idle workers spin after a run and take the cores from
    # the other session's next run: on 2 cores the first session created came out 10-18%
    # slower, whichever file it ran (an A/A test of one file showed the same gap).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    sessions = {
        k: ort.InferenceSession(str(p), options, providers=["CPUExecutionProvider"])
        for k, p in paths.items()
    }
    feeds = {k: {s.get_inputs()[0].name: x} for k, s in sessions.items()}
    for k, s in sessions.items():  # warm up
        s.run(None, feeds[k])
    times: dict[str, list[float]] = {k: [] for k in sessions}
    for i in range(runs):
        order = list(sessions) if i % 2 == 0 else list(reversed(sessions))
        for k in order:
            start = time.perf_counter()
            sessions[k].run(None, feeds[k])
            times[k].append(time.perf_counter() - start)
    outputs = [s.run(None, feeds[k])[0] for k, s in sessions.items()]
    difference = np.abs(outputs[0] - outputs[1]).max()
    print(f"  largest |netspec - torch| output difference: {difference:.2e}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default="resnet50")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--dir", help="where the files are written (default: a temporary one)")
    args = parser.parse_args()
    graph = one_network(args.spec).graph
    module = netspec.to_torch(args.spec, seed=0).eval()
    weights = {k: v.numpy() for k, v in module.state_dict().items()}
    (name, tensor), *_ = graph.inputs
    shape = [1 if isinstance(d, str) else d for d in graph.shape(tensor)]
    example = torch.randn(shape)
    print(f"{args.spec}: torch {torch.__version__}, onnxruntime {ort.__version__}, "
          f"{torch.get_num_threads()} threads")  # fmt: skip
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        paths = {"netspec": Path(folder) / "netspec.onnx", "torch": Path(folder) / "torch.onnx"}
        ours, theirs = [], []
        for _ in range(args.repeats):  # alternated, so both see the same machine
            # each run writes a new file, as a user exporting does: replacing a 100 MB
            # file makes ext4 write the new one's blocks out at once (auto_da_alloc)
            fresh(paths.values())
            ours += timed(lambda: netspec_export(graph, weights, paths["netspec"]), 1)
            fresh()
            theirs += timed(lambda: torch_export(module, example, name, paths["torch"]), 1)
        a, b = statistics.median(ours), statistics.median(theirs)
        print(f"  export  netspec median {a:.3f} s   torch.onnx.export median {b:.3f} s   "
              f"{b / a:.1f}x faster ({args.repeats} each)")  # fmt: skip
        times = latency(paths, example.numpy(), args.runs)
        a, b = statistics.median(times["netspec"]), statistics.median(times["torch"])
        # runs i of both files are back to back: their ratio cancels the machine's drift
        pairs = zip(times["netspec"], times["torch"], strict=True)
        paired = statistics.median([x / y for x, y in pairs])
        print(f"  onnxruntime latency  netspec graph median {a * 1e3:.2f} ms   torch graph "
              f"median {b * 1e3:.2f} ms   ratio {paired:.3f} (median of {args.runs} "
              "paired runs)")  # fmt: skip


if __name__ == "__main__":
    main()
