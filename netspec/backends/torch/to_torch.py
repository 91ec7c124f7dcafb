"""Graph IR -> a PyTorch `nn.Module`, built from the very source `netspec build` writes.

Assumes torch is installed (the `torch` extra). Guarantees a module whose submodule
names are the spec's paths, whose forward takes the network's inputs in order and
returns its output (a tuple when the network has several), and whose parameters and
buffers are the analysis's counts. The generated classes live in a module registered
as `netspec.generated.<network>_<hash>`, and their source is in `linecache`, so
tracebacks and debuggers show the generated lines.
"""

from __future__ import annotations

import linecache
import sys
import types

import torch

from netspec.analysis import analyze
from netspec.analysis.fingerprint import architecture_hash
from netspec.backends.torch.source import torch_source
from netspec.errors import error
from netspec.ir import Graph
from netspec.symbolic.plain import plain
from netspec.units import size


def to_torch(graph: Graph, seed: int | None = None) -> torch.nn.Module:
    """The network as an `nn.Module`; `seed` makes the initial weights reproducible
    without touching the global random state. A network whose float32 weights would not
    fit in the memory available is refused (E-limit) before anything is allocated."""
    graph = plain(graph)
    _check_memory(graph)
    module = _load(graph)
    network = getattr(module, module.__all__[0])
    if seed is None:
        return network()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return network()


def _module_name(graph: Graph) -> str:
    return f"netspec.generated.{_identifier(graph.name)}_{architecture_hash(graph)[:12]}"


def _load(graph: Graph) -> types.ModuleType:
    name = _module_name(graph)
    if name in sys.modules:
        return sys.modules[name]
    source = torch_source(graph)
    filename = f"<{name}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    module = types.ModuleType(name)
    module.__file__ = filename
    exec(compile(source, filename, "exec"), module.__dict__)
    sys.modules[name] = module
    return module


def _check_memory(graph: Graph) -> None:
    totals = analyze(graph).totals
    needed = 4 * (totals.params + totals.buffers)
    available = _available_memory()
    if available is not None and needed > available:
        raise error(
            "E-limit",
            f"{graph.name}'s {totals.params:,} parameters need {size(needed)} as float32; "
            f"this machine has {size(available)} available",
            graph.span,
            "check the sizes (`netspec check` needs no memory for them), or build on a "
            "machine with more memory",
        )


def _available_memory() -> int | None:
    """MemAvailable of /proc/meminfo (Linux); None where it cannot be read."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _identifier(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name)
