"""The public Python API: every pipeline stage, and the conveniences.

    text --parse--> AST --elaborate--> Graph IR --analyze--> Analysis --report--> output

``load`` reads a spec by path or by zoo name; ``check`` runs the whole pipeline up to the
analysis; ``one_network`` picks the one network a lowering builds; ``to_torch`` and
``torch_source`` lower it to PyTorch, ``to_onnx`` and ``export_onnx`` to ONNX; ``train``
trains it (netspec.training).

Assumes the stage modules below it (syntax, elaborate, analysis, zoo); nothing below
imports this module. Guarantees: every function that picks a network takes it as
``network=`` (the second positional argument; ``network_name=`` is the old keyword, still
accepted); importing this module imports neither torch, numpy, onnx nor training, each
is imported by the function that needs it, when it is called.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from netspec.analysis import Analysis, analyze
from netspec.elaborate.networks import elaborate as _elaborate
from netspec.errors import CompileError, error
from netspec.ir import Graph
from netspec.source import Source
from netspec.symbolic import SIZES, Sizer
from netspec.syntax import ast
from netspec.syntax.parser import parse as _parse
from netspec.zoo import resolve_spec, zoo_suggestion

if TYPE_CHECKING:
    from netspec.training.options import TrainConfig
    from netspec.training.results import TrainResult

__all__ = [
    "Analysis",
    "CompileError",
    "Graph",
    "analyze",
    "check",
    "check_text",
    "elaborate",
    "export_onnx",
    "load",
    "one_network",
    "parse",
    "to_onnx",
    "to_torch",
    "torch_source",
    "train",
]


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause the cyclic garbage collector while compiling.

    Compilation allocates many small objects and frees them by reference counting; the
    collector's repeated full scans of a growing heap made a 10,000-layer spec parse
    1.7x slower (docs/performance.md).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load(spec: str | Path) -> Source:
    """Read a spec file, by path or by the name of a zoo spec (``"resnet50"``)."""
    path = resolve_spec(str(spec))
    try:
        return Source.from_path(path)
    except OSError as exc:
        raise error(
            "E-file",
            f"cannot read {spec}: {exc.strerror or exc}",
            None,
            "" if path.exists() else zoo_suggestion(str(spec)),
            "check the path; zoo specs can be named without one (`lenet5`); "
            "`netspec zoo` lists them",
        ) from None
    except UnicodeDecodeError:
        raise error("E-file", f"{spec} is not UTF-8 text", None) from None


def parse(source: Source | str, name: str = "<string>") -> ast.Module:
    """Parse spec text (a Source, or a string of spec text) into an AST."""
    if isinstance(source, str):
        source = Source(name, source)
    with _no_cycle_collection():
        return _parse(source)


Shapes = Mapping[str, Sequence[int | str]]  # input name -> its shape (--input-shape)


def elaborate(
    module: ast.Module,
    network: str | None = None,
    overrides: Mapping[str, object] | None = None,
    *,
    input_shapes: Shapes | None = None,
) -> list[Graph]:
    """Elaborate the networks of a parsed module into graph IR. `input_shapes` gives
    inputs other shapes than the spec declares: ``{"image": (1, 3, 128, 128)}``."""
    with _no_cycle_collection():
        named = Sizer(lambda name: name)  # sizes named past the batch axis: [N, 3, H, W]
        token = SIZES.set(named)
        try:
            graphs = _elaborate(module, network, overrides, input_shapes)
        except CompileError:
            if not named.seen:
                raise
        finally:
            SIZES.reset(token)
        if not named.seen:
            return graphs
        from netspec.analysis.symbolic import symbolic_graphs

        networks = [network] if network else [
            i.name for i in module.items if isinstance(i, ast.NetworkDef)
        ]  # fmt: skip
        return symbolic_graphs(module, networks, overrides, input_shapes)


def partial_analyses(exc: CompileError) -> list[tuple[Analysis, str]]:
    """What a failing spec elaborated before its first error, analysed: each network
    with the name of its failing statement ('' for one that elaborated whole)."""
    out = []
    for partial in exc.partial:
        try:
            out.append((analyze(partial.graph), partial.failed))
        except CompileError:  # an analysis limit: this network shows nothing
            continue
    return out


def check(
    spec: str | Path | Source,
    network: str | None = None,
    overrides: Mapping[str, object] | None = None,
    *,
    input_shapes: Shapes | None = None,
) -> list[Analysis]:
    """Load, parse, elaborate and analyse a spec; one Analysis per network."""
    source = spec if isinstance(spec, Source) else load(spec)
    with _no_cycle_collection():
        module = parse(source)
        graphs = elaborate(module, network, overrides, input_shapes=input_shapes)
        return [analyze_graph(graph) for graph in graphs]


def check_parsed(module: ast.Module, network: str | None = None) -> list[Analysis]:
    """Elaborate and analyse a parsed module: `check` past its parse (the language
    server keeps the AST for its names)."""
    with _no_cycle_collection():
        return [analyze_graph(graph) for graph in elaborate(module, network)]


def analyze_graph(graph: Graph) -> Analysis:
    """The analysis of an elaborated network, as `check` makes it; with symbolic sizes,
    traced, so that the report can say where its formulas hold
    (netspec/analysis/symbolic.py)."""
    if graph.sizes is None:
        return analyze(graph)
    from netspec.analysis.symbolic import traced_analysis

    return traced_analysis(graph, analyze)


def check_text(
    text: str,
    network: str | None = None,
    overrides: Mapping[str, object] | None = None,
    name: str = "<string>",
    *,
    input_shapes: Shapes | None = None,
) -> list[Analysis]:
    """`check` for spec text held in a string."""
    return check(Source(name, text), network, overrides, input_shapes=input_shapes)


def one_network(
    spec: str | Path | Source,
    network: str | None = None,
    overrides: Mapping[str, object] | None = None,
    *,
    input_shapes: Shapes | None = None,
    lowering: bool = False,
) -> Analysis:
    """The analysis of the one network to build: the one named, or the file's only one.
    With `lowering`, one whose sizes the backends can take (see :func:`_lowerable`)."""
    analyses = check(spec, network, overrides, input_shapes=input_shapes)
    if len(analyses) == 1:
        if lowering and analyses[0].graph.sizes is not None:
            return _lowerable(spec, analyses[0], overrides, input_shapes)
        return analyses[0]
    names = ", ".join(a.graph.name for a in analyses)
    raise error(
        "E-network",
        f"the spec defines {len(analyses)} networks ({names}); choose the one to build",
        None,
        f"pass --network NAME (in Python: network='{analyses[0].graph.name}')",
    )


def _lowerable(spec, analysis: Analysis, overrides, input_shapes) -> Analysis:
    """A network with symbolic sizes as the backends take it: its names left as symbols
    where no layer computes with them (a reshape's `T`, read from the input when the model
    runs); else at the size its formulas were traced at. A built model of convolutions
    runs at other sizes too; an ONNX model is fixed to it unless --dynamic-sizes."""
    source = spec if isinstance(spec, Source) else load(spec)
    module, name = parse(source), analysis.graph.name
    with _no_cycle_collection():
        try:
            [graph] = _elaborate(module, name, overrides, input_shapes)
        except CompileError:
            graph = analysis.graph
            shapes = {n: [getattr(d, "hint", d) for d in graph.shape(t)] for n, t in graph.inputs}
            [graph] = _elaborate(module, name, overrides, shapes)
        return analyze(graph)


def _network(network: str | None, network_name: str | None) -> str | None:
    """`network=`, or its old name `network_name=`; giving both, differently, is an error."""
    if network_name is None or network_name == network:
        return network
    if network is None:
        return network_name
    raise TypeError(
        f"network={network!r} and network_name={network_name!r} disagree; "
        "give network= only (network_name= is its old name)"
    )


def torch_source(
    spec: str | Path | Source,
    network: str | None = None,
    overrides: Mapping[str, object] | None = None,
    *,
    network_name: str | None = None,
    input_shapes: Shapes | None = None,
) -> str:
    """Standalone PyTorch source for the network (what `netspec build` writes); needs no
    torch to run. `network_name` is the old name of `network`."""
    from netspec.backends.torch.source import torch_source as write

    network = _network(network, network_name)
    return write(
        one_network(spec, network, overrides, input_shapes=input_shapes, lowering=True).graph
    )


def to_torch(
    spec: str | Path | Source,
    network: str | None = None,
    overrides: Mapping[str, object] | None = None,
    *,
    seed: int | None = None,
    network_name: str | None = None,
    input_shapes: Shapes | None = None,
) -> Any:
    """The network as a `torch.nn.Module` (needs the torch extra). Submodule names are the
    spec's paths; `seed` makes the initial weights reproducible. `network_name` is the
    old name of `network`."""
    from netspec.backends.torch.to_torch import to_torch as build

    network = _network(network, network_name)
    graph = one_network(spec, network, overrides, input_shapes=input_shapes, lowering=True).graph
    return build(graph, seed=seed)


def train(
    spec: str | Path | Source,
    data: str | Path = "digits",
    config: TrainConfig | None = None,
    **options: Any,
) -> TrainResult:
    """Train the spec's network on `data` ("digits", a .npz file with arrays x and y,
    or text: "text" or a .txt/.md file, for next-byte prediction) and return a
    TrainResult (needs the torch extra). `options` are TrainConfig fields
    and replace those of `config`: ``epochs=5, lr=0.01, network="LeNet5",
    overrides={"classes": 10}``; `network` and `overrides` choose the network as in
    :func:`one_network`. Raises CompileError for a bad spec, TrainingError for bad input.
    See netspec.training and docs/training.md."""
    from dataclasses import replace

    from netspec.training import require_torch, train_graph
    from netspec.training.options import TrainConfig

    require_torch()
    config = replace(config or TrainConfig(), **options)
    config.validate()
    shapes = dict(config.input_shapes)
    graph = one_network(
        spec, config.network, dict(config.overrides), input_shapes=shapes, lowering=True
    ).graph
    name = spec.name if isinstance(spec, Source) else str(spec)
    return train_graph(graph, data, config, spec=name)


def to_onnx(
    spec: str | Path | Source,
    network: str | None = None,
    overrides: Mapping[str, object] | None = None,
    *,
    weights: object = None,
    opset: int = 21,
    batch: int | None = None,
    seed: int = 0,
    functions: bool = False,
    network_name: str | None = None,
    input_shapes: Shapes | None = None,
    dynamic_sizes: bool = False,
) -> Any:
    """The network as an `onnx.ModelProto` for inference (needs the onnx extra, not
    torch). `weights` is a mapping of state_dict keys to arrays, or the path of a weights
    file (netspec checkpoint or state_dict .pt, .npz, .safetensors); without it the
    weights are drawn from a generator seeded with `seed`. `batch` fixes the batch dim.
    With `functions`, each block call is one node of an ONNX local function. With
    `dynamic_sizes`, the input's spatial axes are dim_params (`H`, `W`) and the accepted
    sizes are in the metadata (docs/onnx.md). `network_name` is the old name of `network`."""
    options = {"opset": opset, "batch": batch, "seed": seed, "functions": functions,
               "dynamic_sizes": dynamic_sizes}  # fmt: skip
    network = _network(network, network_name)
    return _onnx_model(spec, network, overrides, weights, options, input_shapes).proto()


def export_onnx(
    spec: str | Path | Source,
    path: str | Path,
    network: str | None = None,
    overrides: Mapping[str, object] | None = None,
    *,
    weights: object = None,
    opset: int = 21,
    batch: int | None = None,
    seed: int = 0,
    functions: bool = False,
    network_name: str | None = None,
    external_data: bool = False,
    external_threshold: int | None = None,
    input_shapes: Shapes | None = None,
    dynamic_sizes: bool = False,
) -> Path:
    """What `netspec export` does: the model of :func:`to_onnx`, its graph checked by
    `onnx.checker` (full_check), streamed to `path` whole or not at all, without copying
    the weights into protobuf messages first. Returns the path. With `external_data`, or
    when the model would be over `external_threshold` bytes (default: 2 GiB less
    headroom, protobuf's limit), the weights go to the side file `<path>.data` in ONNX's
    external-data format (docs/onnx.md). `dynamic_sizes` as for :func:`to_onnx`.
    `network_name` is the old name of `network`."""
    from netspec.backends.onnx.write import EXTERNAL_THRESHOLD

    options = {"opset": opset, "batch": batch, "seed": seed, "functions": functions,
               "dynamic_sizes": dynamic_sizes}  # fmt: skip
    network = _network(network, network_name)
    model = _onnx_model(spec, network, overrides, weights, options, input_shapes)
    model.check()
    threshold = EXTERNAL_THRESHOLD if external_threshold is None else external_threshold
    model.write(path, external_data, threshold)
    return Path(path)


def _onnx_model(
    spec: str | Path | Source,
    network: str | None,
    overrides: Mapping[str, object] | None,
    weights: object,
    options: dict[str, Any],
    input_shapes: Shapes | None = None,
) -> Any:
    """The `OnnxModel` of one network (netspec/backends/onnx/to_onnx.py); with
    `options["dynamic_sizes"]`, planned by netspec/backends/onnx/dynamic.py."""
    from netspec.backends.onnx.dynamic import plan
    from netspec.backends.onnx.to_onnx import model_for

    options = dict(options)
    source = spec if isinstance(spec, Source) else load(spec)
    graph = one_network(source, network, overrides, input_shapes=input_shapes, lowering=True).graph
    if options.pop("dynamic_sizes", False):
        from netspec.report.accepted import describe

        options["dynamic"] = plan(parse(source), graph, overrides, describe)
    return model_for(graph, weights, **options)
