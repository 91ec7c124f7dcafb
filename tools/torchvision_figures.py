"""Re-measure the torchvision figures that the tests hold, and say where they differ.

Runs only where torchvision loads: it needs torch and torchvision (not a test
dependency: torchvision's wheels for this machine kind are built against a CUDA torch,
and their C extension does not load with the CPU torch of constraints/test.txt). Where
the models' Python code imports but the C extension does not, ``--stub-fake-kernels``
makes ``torch.library.register_fake`` a no-op while torchvision imports (no model
measured here uses torchvision's own ops). Run it from the repository root:

    python tools/torchvision_figures.py              # measure, compare; exit 1 on a difference
    python tools/torchvision_figures.py --write DIR  # also DIR/<model>.json, torchvision.json

Assumes torchvision's models built with ``get_model(name, weights=None)`` in train mode
(as constructed) at input [1, 3, 224, 224]. Guarantees that every figure compared comes
from running the model, with these definitions (those of tests/data/reference):

* params, buffers: ``sum(numel)`` over ``model.parameters()`` / ``model.buffers()``;
* macs: Conv2d ``out.numel() x in_channels / groups x kh x kw``, Linear ``out.numel() x
  in_features`` (bias excluded: torchvision's "GFLOPS"); bias_adds: ``out.numel()`` of
  each Conv2d / Linear with a bias; norm_elems: BatchNorm outputs; act_elems: ReLU
  outputs; pool_ops: pooling outputs x window (adaptive: input size / output size);
* receptive fields (rf, effective stride, effective padding; Araujo et al. 2019) along
  the plain chain ``features.*`` of AlexNet and VGG; none for ResNet's branches.

What it compares: tests/data/reference/{alexnet,vgg16,resnet50}.json (calls, by_name,
totals), tests/data/reference/figures.json's ``torchvision`` entries (the measured
fields), and tests/test_zoo.py's TOTALS and TORCHVISION_MACS for the ten zoo specs with
a torchvision counterpart. tests/data/conventions.json is tools/measure_conventions.py's.
Last run: torch 2.13.0+cpu, torchvision 0.28.0 with --stub-fake-kernels, 0 differences;
``--write`` then gives the three reference files back as they are, but for ``env``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "tests" / "data" / "reference"
PER_CALL = ("alexnet", "vgg16", "resnet50")  # the reference files with every module call
SUMMARY = ("alexnet", "vgg16", "resnet18", "resnet50")  # figures.json's "torchvision"
ZOO = {  # zoo spec -> torchvision model (tests/test_zoo.py)
    "alexnet_torchvision": "alexnet",
    "vgg16": "vgg16",
    "vgg16_bn": "vgg16_bn",
    "resnet18": "resnet18",
    "resnet34": "resnet34",
    "resnet50": "resnet50",
    "resnet101": "resnet101",
    "mobilenet_v2": "mobilenet_v2",
    "densenet121": "densenet121",
    "squeezenet1_1": "squeezenet1_1",
}
CHAIN = {"alexnet": "features.", "vgg16": "features."}  # where receptive fields are recorded
COUNTS = ("macs", "bias_adds", "norm_elems", "pool_ops", "act_elems")


def load_torchvision(stub: bool) -> Any:
    """Import torchvision, with register_fake stubbed while it imports if asked."""
    import torch

    if not stub:
        return importlib.import_module("torchvision")
    real = torch.library.register_fake
    torch.library.register_fake = lambda *a, **k: lambda f: f  # type: ignore[assignment]
    try:
        return importlib.import_module("torchvision")
    finally:
        torch.library.register_fake = real


def _pair(v: Any) -> list[int]:
    return list(v) if isinstance(v, tuple | list) else [v, v]


def _call(name: str, module: Any, x: Any, out: Any) -> dict[str, Any]:
    """One module call: shapes, params and the counts defined in the docstring."""
    kind = type(module).__name__
    n = out.numel()
    c = dict.fromkeys(COUNTS, 0)
    config = None
    if kind == "Conv2d":
        kh, kw = module.kernel_size
        c["macs"] = n * module.in_channels // module.groups * kh * kw
        config = {"in": module.in_channels, "out": module.out_channels, "k": [kh, kw]}
        config |= {"stride": _pair(module.stride), "padding": _pair(module.padding)}
        config |= {"dilation": _pair(module.dilation), "groups": module.groups}
        config["bias"] = module.bias is not None
    elif kind == "Linear":
        c["macs"] = n * module.in_features
        config = {"in": module.in_features, "out": module.out_features}
        config["bias"] = module.bias is not None
    if kind in ("Conv2d", "Linear") and module.bias is not None:
        c["bias_adds"] = n
    if kind.startswith("BatchNorm"):
        c["norm_elems"] = n
    if kind in ("ReLU", "ReLU6"):
        c["act_elems"] = n
    if kind in ("MaxPool2d", "AvgPool2d"):
        k = _pair(module.kernel_size)
        c["pool_ops"] = n * k[0] * k[1]
        config = {"k": k, "stride": _pair(module.stride), "padding": _pair(module.padding)}
        config["ceil_mode"] = module.ceil_mode
    elif kind.startswith("Adaptive") and "Pool" in kind:
        window = (x.shape[-2] // out.shape[-2]) * (x.shape[-1] // out.shape[-1])
        c["pool_ops"] = n * window
    record = {"name": name, "type": kind, "input_shape": list(x.shape)}
    record |= {"output_shape": list(out.shape), "params": _numel(module.parameters())}
    record |= c
    if config is not None:
        record["config"] = config
    return record


def _numel(tensors: Any) -> int:
    return sum(t.numel() for t in tensors)


def run_model(tv: Any, name: str) -> tuple[Any, list[dict[str, Any]]]:
    """The model (train mode, as constructed) and its module calls in execution order."""
    import torch

    model = tv.models.get_model(name, weights=None)
    calls: list[dict[str, Any]] = []
    leaves = [(n, m) for n, m in model.named_modules() if not list(m.children())]
    for module_name, module in leaves:
        hook = _hook(calls, module_name)
        module.register_forward_hook(hook)
    with torch.no_grad():
        model(torch.randn(1, 3, 224, 224))
    return model, calls


def _hook(calls: list[dict[str, Any]], name: str) -> Any:
    def hook(module: Any, inputs: tuple, out: Any) -> None:
        calls.append(_call(name, module, inputs[0], out))

    return hook


def _receptive_fields(calls: list[dict[str, Any]], prefix: str) -> dict[str, dict[str, int]]:
    """rf, effective stride and padding after each call of the chain `prefix`*."""
    r, s, p, fields = 1, 1, 0, {}
    for call in calls:
        if not call["name"].startswith(prefix):
            break
        cfg = call.get("config")
        if cfg is not None and "k" in cfg:
            dilation = cfg.get("dilation", [1, 1])[0]
            r += (cfg["k"][0] - 1) * dilation * s
            p += cfg["padding"][0] * s
            s *= cfg["stride"][0]
        fields[call["name"]] = {"rf": r, "effective_stride": s, "effective_padding": p}
    return fields


def per_call_file(tv: Any, name: str, env: dict[str, str]) -> dict[str, Any]:
    """A tests/data/reference/<model>.json: totals, by_name and calls."""
    model, calls = run_model(tv, name)
    totals = {k: sum(c[k] for c in calls) for k in COUNTS}
    totals["params"] = _numel(model.parameters())
    totals["macs_conv"] = sum(c["macs"] for c in calls if c["type"] == "Conv2d")
    totals["macs_linear"] = sum(c["macs"] for c in calls if c["type"] == "Linear")
    fields = _receptive_fields(calls, CHAIN[name]) if name in CHAIN else {}
    by_name: dict[str, dict[str, Any]] = {}
    for c in calls:
        entry = by_name.setdefault(c["name"], {"type": c["type"], "params": c["params"]})
        entry.setdefault("output_shapes", []).append(c["output_shape"])
        shapes = entry["output_shapes"]
        entry["output_shape"] = shapes[0] if len(shapes) == 1 else shapes
        if c["name"] in fields:
            entry["receptive_field"] = fields[c["name"]]
    construct = f"torchvision.models.get_model({name!r}, weights=None, **{{}})"
    head = {"model": name, "env": env, "input_shape": [1, 3, 224, 224], "construct": construct}
    data = head | {"totals": totals, "by_name": by_name, "calls": calls}
    if name in CHAIN:
        data["receptive_field_method"] = (
            f"r += (k_eff-1)*S; P += p*S; S *= s over {CHAIN[name]}* in order "
            "(Araujo et al. 2019 recurrences)"
        )
    return data


def summary(tv: Any, name: str) -> dict[str, Any]:
    """The measured fields of figures.json's torchvision entry, and the weights' meta."""
    model, calls = run_model(tv, name)
    out = {"computed_num_params": _numel(model.parameters())}
    out["buffers_numel"] = _numel(model.buffers())
    out["macs_conv"] = sum(c["macs"] for c in calls if c["type"] == "Conv2d")
    out["macs_linear"] = sum(c["macs"] for c in calls if c["type"] == "Linear")
    out["macs_total_conv_linear_mha"] = out["macs_conv"] + out["macs_linear"]
    out |= {k: sum(c[k] for c in calls) for k in COUNTS if k != "macs"}
    meta = tv.models.get_model_weights(name).IMAGENET1K_V1.meta  # static; nothing downloaded
    out["meta_num_params"] = meta["num_params"]
    out["meta_ops_GFLOPS"] = meta["_ops"]
    return out


def differences(label: str, stored: Any, measured: Any, found: list[str]) -> None:
    """Append 'label: stored != measured' for each stored leaf that differs."""
    if isinstance(stored, dict) and isinstance(measured, dict):
        for key, value in stored.items():
            differences(f"{label}.{key}", value, measured.get(key), found)
    elif isinstance(stored, list) and isinstance(measured, list) and len(stored) == len(measured):
        for i, (a, b) in enumerate(zip(stored, measured, strict=True)):
            differences(f"{label}[{i}]", a, b, found)
    elif stored != measured:
        found.append(f"{label}: the tests hold {stored!r}, torchvision gives {measured!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", type=Path, metavar="DIR", help="write the figures here")
    parser.add_argument("--stub-fake-kernels", action="store_true")
    args = parser.parse_args(argv)
    import torch

    tv = load_torchvision(args.stub_fake_kernels)
    env = {"torch": torch.__version__, "torchvision": tv.__version__}
    env["python"] = platform.python_version()
    sys.path.insert(0, str(ROOT))
    from tests.test_zoo import TORCHVISION_MACS, TOTALS

    found: list[str] = []
    measured: dict[str, Any] = {"env": env, "per_call": {}, "summary": {}, "zoo": {}}
    for name in PER_CALL:
        data = per_call_file(tv, name, env)
        measured["per_call"][name] = data
        stored = json.loads((REFERENCE / f"{name}.json").read_text())
        for key in ("totals", "by_name", "calls"):
            differences(f"{name}.json {key}", stored[key], data[key], found)
    figures = json.loads((REFERENCE / "figures.json").read_text())["torchvision"]
    summaries = {name: summary(tv, name) for name in dict.fromkeys([*SUMMARY, *ZOO.values()])}
    for name in SUMMARY:
        data = measured["summary"][name] = summaries[name]
        stored = {k: figures[name][k] for k in data if k in figures[name]}
        differences(f"figures.json torchvision.{name}", stored, data, found)
    for spec, name in ZOO.items():
        data = summaries[name]
        row = {"params": data["computed_num_params"], "buffers": data["buffers_numel"]}
        row["macs"] = data["macs_total_conv_linear_mha"]
        measured["zoo"][spec] = row
        params, _, buffers, _ = TOTALS[spec]
        stored = {"params": params, "buffers": buffers, "macs": TORCHVISION_MACS[spec]}
        differences(f"test_zoo.py {spec}", stored, row, found)
        print(f"{spec:20s} {name:14s} " + "  ".join(f"{k} {v:,}" for k, v in row.items()))
    if args.write:
        args.write.mkdir(parents=True, exist_ok=True)
        for name, data in measured.pop("per_call").items():
            (args.write / f"{name}.json").write_text(json.dumps(data, indent=1) + "\n")
        (args.write / "torchvision.json").write_text(json.dumps(measured, indent=1) + "\n")
        print(f"wrote {args.write}")
    for line in found:
        print(line)
    print(f"{len(found)} differences from the figures the tests hold")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
