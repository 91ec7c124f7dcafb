"""netspec check against torchinfo.summary, each as a whole process: wall time side by side.

Usage:
    python benchmarks/vs_torchinfo.py [--runs 5] [--python PY] [--shim FILE]

PY is the python of an environment with torch, torchvision and torchinfo (default: the
environment variable NETSPEC_TORCH_PYTHON, else this interpreter); netspec is run from the
same environment (its `netspec` script, else `PY -m netspec`). --shim names a Python file
imported before torchvision (default: the environment variable NETSPEC_TVSHIM), for a
machine where torchvision's C extension does not load, e.g. /tmp/tvshim.py.

For ResNet-50 and VGG-16 at [1, 3, 224, 224] it times, after one untimed warm-up each:
  (a) `netspec check specs/NAME.netspec --format json`
  (b) `PY -c "import torch, torchvision, torchinfo; build NAME; torchinfo.summary(model,
      input_size=(1, 3, 224, 224), verbose=0)"`
and prints median / min / max of each and the ratio of the medians.

Then VGG-16 at [1, 3, S, S] (S = --huge, default 8192: the outputs of the first two
convolutions are 16 GiB each in float32 and both are alive at once, so the forward pass
needs more than 32 GiB): torchinfo runs a real forward pass, so it cannot summarise it;
it runs once, in a subprocess limited to --mem-limit GiB of address space (RLIMIT_AS,
default 16) so that it fails at the first large allocation instead of swapping, and the
script prints how long it took to fail and the error. (At S = 16384 the first output
alone is 64 GiB, but on a 2-core machine PyTorch's CPU convolution then spent about a
minute before its allocation failed, so the default is 8192, which fails at once.)
netspec checks the same network (specs/vgg16.netspec with the input line changed and the shape
annotations dropped, in a temporary file) --runs times.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
GIB = 1 << 30

TORCHINFO = """\
import sys
shim = {shim!r}
if shim:
    sys.path.insert(0, shim.rsplit("/", 1)[0] or ".")
    __import__(shim.rsplit("/", 1)[-1].removesuffix(".py"))
import torch, torchvision, torchinfo
model = torchvision.models.{name}(weights=None)
s = torchinfo.summary(model, input_size=(1, 3, {size}, {size}), verbose=0)
print(s.total_params, s.total_mult_adds)
"""


def netspec_command(python: str) -> list[str]:
    script = Path(python).parent / "netspec"
    return [str(script)] if script.exists() else [python, "-m", "netspec"]


def run(cmd, limit_gib=None, timeout=600):
    def preexec():
        if limit_gib:
            b = int(limit_gib * GIB)
            resource.setrlimit(resource.RLIMIT_AS, (b, b))

    start = time.perf_counter()
    p = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        env=ENV,
        cwd=ROOT,
        preexec_fn=preexec if limit_gib else None,
        timeout=timeout,
    )
    return time.perf_counter() - start, p


def timed(cmd, runs, limit_gib):
    _, p = run(cmd, limit_gib)  # warm-up: OS cache, bytecode caches, netspec's parser cache
    if p.returncode:
        raise SystemExit(f"failed: {' '.join(cmd)[:200]}\n{p.stderr[-2000:]}")
    times = []
    for _ in range(runs):
        t, p = run(cmd, limit_gib)
        if p.returncode:
            raise SystemExit(f"failed: {' '.join(cmd)[:200]}\n{p.stderr[-2000:]}")
        times.append(t)
    return times, p.stdout


def fmt(times):
    return (
        f"median {statistics.median(times):7.3f} s  min {min(times):7.3f} s  "
        f"max {max(times):7.3f} s  ({len(times)} runs)"
    )


def totals(report_json: str) -> str:
    try:
        t = json.loads(report_json)["networks"][0]["totals"]
        return f"   [{t['params']:,} params, {t['macs']:,} macs]"
    except (ValueError, KeyError, IndexError, TypeError):
        return ""


def huge_vgg16_spec(size: int) -> str:
    text = (ROOT / "specs" / "vgg16.netspec").read_text()
    text, n = re.subn(
        r"input image: \[N, 3, 224, 224\]", f"input image: [N, 3, {size}, {size}]", text
    )
    if n != 1:
        raise SystemExit("specs/vgg16.netspec: input line not found")
    # the statements' shape annotations hold for 224 only
    return re.sub(r"\s*->\s*\[[^\]]*\]\s*$", "", text, flags=re.M)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--python", default=os.environ.get("NETSPEC_TORCH_PYTHON", sys.executable))
    ap.add_argument("--shim", default=os.environ.get("NETSPEC_TVSHIM", ""))
    ap.add_argument("--networks", nargs="*", default=["resnet50", "vgg16"])
    ap.add_argument(
        "--huge", type=int, default=8192, help="VGG-16 input side for the last case (0: skip)"
    )
    ap.add_argument(
        "--mem-limit", type=float, default=16, help="GiB of address space for torchinfo"
    )
    args = ap.parse_args()

    netspec = netspec_command(args.python)
    print(f"python: {args.python}\nnetspec: {' '.join(netspec)}\n")
    for name in args.networks:
        spec = f"specs/{name}.netspec"
        ns_cmd = [*netspec, "check", spec, "--format", "json"]
        ti_cmd = [args.python, "-c", TORCHINFO.format(shim=args.shim, name=name, size=224)]
        ns, ns_out = timed(ns_cmd, args.runs, args.mem_limit)
        ti, out = timed(ti_cmd, args.runs, args.mem_limit)
        params, macs = out.split()
        print(f"{name} [1, 3, 224, 224]")
        print(f"  netspec check {spec} --format json   {fmt(ns)}{totals(ns_out)}")
        print(
            f"  torchinfo.summary (torch import, build, forward)   {fmt(ti)}"
            f"   [{int(params):,} params, {int(macs):,} mult-adds]"
        )
        print(
            f"  torchinfo / netspec (medians): "
            f"{statistics.median(ti) / statistics.median(ns):.1f}x\n"
        )

    if args.huge:
        s = args.huge
        print(
            f"vgg16 [1, 3, {s}, {s}]  (each of the first two conv outputs: "
            f"{64 * s * s * 4 / GIB:,.0f} GiB in float32)"
        )
        with tempfile.NamedTemporaryFile("w", suffix=".netspec", delete=False) as f:
            f.write(huge_vgg16_spec(s))
        try:
            ns_cmd = [*netspec, "check", f.name, "--format", "json"]
            ns, out = timed(ns_cmd, args.runs, args.mem_limit)
            print(f"  netspec check (input line set to {s}x{s})   {fmt(ns)}{totals(out)}")
        finally:
            os.unlink(f.name)
        ti_cmd = [args.python, "-c", TORCHINFO.format(shim=args.shim, name="vgg16", size=s)]
        try:
            t, p = run(ti_cmd, args.mem_limit, timeout=300)
            lines = p.stderr.splitlines()
            err = [ln for ln in lines if "allocate" in ln] or [ln for ln in lines if "Error" in ln]
            result = (
                f"exit {p.returncode}: {err[-1].strip()[:200] if err else p.stdout.strip()[:160]}"
            )
        except subprocess.TimeoutExpired:
            t, result = 300.0, "timed out"
        print(f"  torchinfo.summary (RLIMIT_AS {args.mem_limit:g} GiB)   {t:7.3f} s, {result}")


if __name__ == "__main__":
    main()
