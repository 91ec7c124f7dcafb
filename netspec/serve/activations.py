"""The activations panel's task: run the spec's network on an image and show what each
layer computes (CNN Explainer's view, for any spec whose input is an image).

Request: the common fields (`text`, `network`, `set`, `input_shapes`), `image` ("digit",
"photo" or {"upload": base64}), `weights` ("random", "checkpoint" or {"upload": base64};
netspec/serve/activation_inputs.py), optionally `cell` ({layer, channel, row, col}) and
`maps` (false: the cell alone, without the layers).
Answer: `network`, `input` (the image as the network sees it: a PNG data URL and its
shape), `weights` (what was used), and `layers`, one per layer in the report's order:
`path`, `op`, `shape`, `min`, `max`, and for an output of maps ([1, C, H, W]) `maps`,
the first MAX_MAPS channels (fewer where a network has many layers) as grey PNG data
URLs, each scaled from its own minimum (black) to its maximum (white), averaged down to
MAP_SIDE pixels a side at most, with that `min` and `max`; for a vector ([1, F], or
maps of 1 x 1) `top`, its largest values (an rbf layer's smallest: distances) with
their indices, and `order` saying which. With `cell`: `cell`, its
dot product (netspec/serve/dot_product.py), and `after`, the elementwise layers that
follow it, each with its output at the cell.

Random weights are the torch backend's with seed SEED, so an answer repeats. Torch is
imported here, in the worker, when a request arrives: `netspec serve` starts without it,
and a server without it answers E-extra saying how to install it.

Assumes a playground worker (2 GiB of address space, 10 s). Guarantees that it writes
no file, runs nothing the spec says beyond building its layers, and refuses (E-activations)
networks whose input is not one [N, C, H, W] image with C of 1 or 3 and H, W at most
MAX_SIDE, or whose weights and activations exceed MAX_BYTES.
"""

from __future__ import annotations

import base64
import io
from typing import Any

from netspec.analysis import Analysis
from netspec.errors import CompileError
from netspec.serve import fields
from netspec.serve.answers import NAME, failure, spec_errors

SEED = 0
MAX_SIDE = 512  # pixels of the network's input height and width
MAX_BYTES = 768 * 1024**2  # float32 weights + every layer's output, in a 2 GiB worker
MAX_MAPS = 16  # channels shown per layer
MAP_BUDGET = 1200  # maps in one answer: a network of many layers shows fewer per layer
TOP = 8  # values shown of a vector
MAP_SIDE = 64  # pixels: a larger map is sent averaged down to this (the answer stays small)


class Refused(ValueError):
    """A network the panel cannot run: answered as one E-activations diagnostic."""


def activations_task(request: dict[str, Any]) -> dict[str, Any]:
    """Each layer's outputs for the request's image and weights (the module docstring)."""
    missing = _missing_extra()
    if missing:
        return missing
    from netspec.serve import activation_inputs as inputs
    from netspec.serve import dot_product

    image, choice = inputs.image_bytes(request), inputs.weights_choice(request)
    cell = dot_product.cell_field(request)
    try:
        analysis = _network(request)
    except CompileError as exc:
        return spec_errors(exc.diagnostics)
    try:
        channels, height, width = _image_input(analysis)
        return _run(analysis, image, choice, cell, request, (channels, height, width))
    except Refused as exc:
        return failure("E-activations", str(exc))
    except inputs.WeightsRefused as exc:
        return failure("E-weights", str(exc), "random weights need no checkpoint")


def _missing_extra() -> dict[str, Any] | None:
    try:
        import torch  # noqa: F401 (imported here, in the worker, on the first request)
    except OSError as exc:  # its libraries would not load (the worker's memory cap, say)
        return failure("E-limit", f"PyTorch would not load in the playground's worker: {exc}")
    except ImportError:
        return failure(
            "E-extra",
            "the activations panel runs the network with PyTorch, which this server lacks",
            "pip install 'netspec[torch]', then start netspec serve again",
        )
    try:
        import PIL  # noqa: F401
    except ImportError:
        return failure(
            "E-extra",
            "the activations panel reads and draws images with Pillow, which this server lacks",
            "pip install 'netspec[serve]' (it brings Pillow), then start netspec serve again",
        )
    return None


def _network(request: dict[str, Any]) -> Analysis:
    """The network to run: the one the request names, else the spec's first, as the
    backends build it (symbolic sizes at the sizes its formulas were traced at)."""
    from netspec.api import one_network
    from netspec.source import Source

    analyses = fields.analysed(request)
    name = fields.network(request) or analyses[0].graph.name
    chosen = [a for a in analyses if a.graph.name == name]
    if len(analyses) == 1 and chosen and chosen[0].graph.sizes is None:
        return chosen[0]
    return one_network(
        Source(NAME, fields.text(request)),
        name,
        fields.overrides(request),
        input_shapes=fields.shapes(request),
        lowering=True,
    )


def _image_input(analysis: Analysis) -> tuple[int, int, int]:
    graph = analysis.graph
    if len(graph.inputs) != 1:
        raise Refused(
            f"{graph.name} takes {len(graph.inputs)} inputs; the panel feeds it one image"
        )
    name, tensor = graph.inputs[0]
    dims = [getattr(d, "hint", d) for d in graph.shape(tensor)]
    ok = len(dims) == 4 and all(isinstance(d, int) for d in dims[1:])
    if not ok or dims[1] not in (1, 3) or graph.dtype(tensor) not in ("float32", None):
        shown = "[" + ", ".join(str(d) for d in graph.shape(tensor)) + "]"
        raise Refused(
            f"{graph.name}'s input {name} is {shown}; the panel runs networks that take one "
            "image, [N, C, H, W] with C = 1 (grey) or 3 (RGB)"
        )
    if max(dims[2:]) > MAX_SIDE:
        raise Refused(f"the input is {dims[2]} x {dims[3]}; the panel takes up to {MAX_SIDE}")
    memory = analysis.memory()
    batch = dims[0] if isinstance(dims[0], int) and dims[0] > 0 else 1
    # the panel runs one image, whatever batch the spec declares
    need = [memory.param_bytes, memory.buffer_bytes, _per_image(memory.activation_bytes, batch)]
    if all(isinstance(n, int) for n in need) and sum(need) > MAX_BYTES:
        raise Refused(
            f"{graph.name} needs {sum(need) / 1024**2:,.0f} MiB for its weights and outputs; "
            f"the playground runs networks up to {MAX_BYTES / 1024**2:,.0f} MiB"
        )
    return dims[1], dims[2], dims[3]


def _per_image(total, batch: int):
    return total // batch if isinstance(total, int) else total


def _run(analysis, image: bytes, choice, cell, request, size) -> dict[str, Any]:
    import torch

    from netspec.backends.torch.to_torch import to_torch
    from netspec.serve import activation_inputs as inputs
    from netspec.serve import dot_product

    graph = analysis.graph
    module = to_torch(graph, seed=SEED).eval()
    preprocessing = inputs.load_weights(module, graph, choice, request)
    seen = inputs.image_tensor(image, *size)
    modules = dict(module.named_modules())
    nodes = {node.path: node for node in graph.nodes}
    target = nodes.get(cell["layer"]) if cell else None
    if cell and (target is None or target.path not in modules):
        raise fields.BadRequest(f"no layer {cell['layer']} in {graph.name}")
    chain = dot_product.followers(graph, target) if target else []
    outputs, received = _hooked(modules, graph, target, {n.path for n in chain})
    with torch.no_grad():
        module(inputs.standardized(seen, preprocessing))
    maps = max(4, min(MAX_MAPS, MAP_BUDGET // max(1, len(outputs))))
    answer = {
        "network": graph.name,
        "input": {"png": _png(seen[0], (0.0, 1.0)), "shape": list(seen.shape)},
        "weights": choice if isinstance(choice, str) else "upload",
    }
    if fields.flag(request, "maps", True):  # `maps: false`: only the cell, for a click
        answer["layers"] = [
            _layer(n, outputs[n.path], maps) for n in graph.nodes if n.path in outputs
        ]
    if target:
        if "x" not in received:  # its module never ran (or not on a tensor)
            raise fields.BadRequest(f"{target.path} did not run on this input")
        with torch.no_grad():
            x, y = received["x"], received["output"]
            shown = dot_product.explain(target, modules[target.path], x, y, cell)
        answer["cell"] = {**cell, "op": target.op, **shown}
        answer["after"] = [_at(n, received[n.path], cell, target.op) for n in chain]
    return answer


def _hooked(modules: dict, graph, target, keep: set[str]) -> tuple[dict, dict]:
    """Forward hooks that keep each layer's first output (one sample) and, for the cell's
    layer, its input and output (also for the layers that follow it)."""
    import torch

    outputs: dict[str, Any] = {}
    received: dict[str, Any] = {}

    def hook(path: str):
        def store(module, args, output):
            first = output[0] if isinstance(output, tuple) else output
            if path in outputs:  # a module called twice: its first call is the layer's
                return
            outputs[path] = first.detach()[0]
            if target is not None and path == target.path and args and torch.is_tensor(args[0]):
                received.update(x=args[0].detach()[0], output=outputs[path])
            elif path in keep:
                received[path] = outputs[path]

        return store

    for node in graph.nodes:
        if node.op != "param" and node.path in modules:
            modules[node.path].register_forward_hook(hook(node.path))
    return outputs, received


def _layer(node, y, maps: int) -> dict[str, Any]:
    y = y.float()
    shown: dict[str, Any] = {"path": node.path, "op": node.op, "shape": [1, *y.shape]}
    if y.dim() == 3 and y.shape[1] * y.shape[2] == 1:  # [C, 1, 1]: a vector, not maps
        y = y.flatten()
    if y.numel():
        shown.update(min=float(y.min()), max=float(y.max()))
    if y.dim() == 3 and y.numel():
        shown["maps"] = [
            {"png": _png(m[None], side=MAP_SIDE), "min": float(m.min()), "max": float(m.max())}
            for m in y[:maps]
        ]
    elif y.dim() == 1 and y.numel():
        # an rbf layer's outputs are distances: the nearest class is the answer
        shown["order"] = "smallest" if node.op == "rbf" else "largest"
        values, indices = y.topk(min(TOP, y.numel()), largest=node.op != "rbf")
        shown["top"] = [
            {"index": int(i), "value": float(v)} for v, i in zip(values, indices, strict=True)
        ]
    return shown


def _at(node, y, cell: dict, op: str) -> dict[str, Any]:
    where = (cell["channel"],) if op == "linear" else (cell["channel"], cell["row"], cell["col"])
    return {"path": node.path, "op": node.op, "value": float(y[where])}


def _png(planes, span: tuple[float, float] | None = None, side: int | None = None) -> str:
    """A [C, H, W] tensor (C of 1 or 3) as a PNG data URL: `span` (else its own minimum
    and maximum) scaled to 0..255, averaged down to at most `side` pixels a side."""
    import torch
    from PIL import Image

    low, high = span or (float(planes.min()), float(planes.max()))
    scale = 255.0 / (high - low) if high > low else 0.0
    pixels = ((planes.float() - low) * scale).round().clamp(0, 255).to(torch.uint8)
    channels, height, width = pixels.shape
    data = bytes(pixels.permute(1, 2, 0).flatten().tolist())
    image = Image.frombytes("L" if channels == 1 else "RGB", (width, height), data)
    if side and max(width, height) > side:
        ratio = side / max(width, height)
        size = (max(1, round(width * ratio)), max(1, round(height * ratio)))
        image = image.resize(size, Image.Resampling.BOX)
    stream = io.BytesIO()
    image.save(stream, format="PNG")
    return "data:image/png;base64," + base64.b64encode(stream.getvalue()).decode("ascii")
