"""How long `netspec serve` takes to start: from the command to the page and to the first
check answered, without torch imported (target, issue 17: under 1 s to the page).

Usage: python benchmarks/serve_startup.py [--runs 5]

Runs `netspec serve --port P` (the installed entry point of this environment) as a
process, polls `GET /` until the page is served, then posts LeNet-5 to `/api/check`, and
stops the server; prints the median and range of each over the runs. The two worker
processes are started (each importing netspec) before the server listens, so the page
time includes them. That no torch is imported on the way is tests/test_layout.py's to
check (torch only under netspec.serve.activations, in a worker, on an activations
request); here the environment has torch installed, so a stray import would show as
seconds.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 1.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def once(command: Path) -> tuple[float, float]:
    port = free_port()
    start = time.perf_counter()
    server = subprocess.Popen(
        [str(command), "serve", "--port", str(port)], stderr=subprocess.DEVNULL
    )
    try:
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=0.5).read()
                break
            except OSError:
                if server.poll() is not None:
                    sys.exit("netspec serve stopped: is the serve extra installed?")
                time.sleep(0.01)
        page = time.perf_counter() - start
        body = json.dumps({"text": (ROOT / "specs" / "lenet5.netspec").read_text()}).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/check",
            data=body,
            headers={"content-type": "application/json"},
        )
        urllib.request.urlopen(request).read()
        return page, time.perf_counter() - start
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    command = Path(sys.executable).parent / "netspec"
    runs = [once(command) for _ in range(args.runs)]
    pages, checks = [r[0] for r in runs], [r[1] for r in runs]
    for what, times in (("page served", pages), ("first check", checks)):
        print(
            f"{what:<12} median {statistics.median(times):.3f} s "
            f"(min {min(times):.3f}, max {max(times):.3f}, {len(times)} runs)"
        )
    verdict = "holds" if statistics.median(pages) < TARGET_S else "MISSED"
    print(f"target: the page in under {TARGET_S:g} s: {verdict}")


if __name__ == "__main__":
    main()
