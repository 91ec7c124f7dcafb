"""`netspec serve [SPEC]`: the playground in the browser (netspec/serve/).

Listens on 127.0.0.1 unless `--host` names another address, which it warns about: the
playground analyses whatever a visitor sends. Needs the `serve` extra; without it, one
line says how to install it. Starts without importing torch.

Assumes the serve extra for everything past the argument parsing (imported lazily, so
`netspec --help` never needs it). Guarantees the workers are started before the server
listens (the first edit is not slowed by their imports) and stopped with it.
"""

from __future__ import annotations

import argparse
import sys

LOOPBACK = ("127.0.0.1", "localhost", "::1")


DESCRIPTION = (
    "Serve the playground on this machine: an editor that re-checks the spec as you type "
    "(docs/playground.md). Needs the serve extra: pip install 'netspec[serve]'."
)


def add_arguments(serve: argparse.ArgumentParser) -> None:
    serve.add_argument("spec", nargs="?", help="a .netspec file or zoo name to open (lenet5)")
    serve.add_argument("--port", type=int, default=8765, help="the port (8765)")
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="the address to listen on (127.0.0.1: this machine only; another is reachable "
        "by others, and the server says so)",
    )
    serve.add_argument("--open", action="store_true", help="open the page in a browser")
    serve.add_argument("--workers", type=int, default=2, help="analysis processes (2)")
    serve.add_argument(
        "--weights",
        metavar="FILE",
        help="a checkpoint (`netspec train`'s, or .safetensors) the activations panel can run "
        "the network with",
    )


def run_command(args: argparse.Namespace, overrides: dict[str, object]) -> int:
    try:
        import uvicorn

        from netspec.serve.app import LOOPBACK_HOSTS, create_app
        from netspec.serve.worker import Pool
    except ImportError:
        print(
            "netspec serve: error: needs the serve extra: pip install 'netspec[serve]'",
            file=sys.stderr,
        )
        return 2
    spec = _opening(args.spec)
    if spec is None:
        return 1
    weights = _weights(args.weights)
    if weights == "":
        return 1
    if args.host not in LOOPBACK:
        print(
            f"netspec serve: warning: listening on {args.host}: anyone who reaches this "
            "address can send specs to analyse",
            file=sys.stderr,
        )
    pool = Pool(max(1, args.workers))
    pool.warm()
    url = f"http://{'localhost' if args.host in LOOPBACK else args.host}:{args.port}/"
    print(f"netspec playground: {url}  (Ctrl-C stops it)", file=sys.stderr)
    if args.open:
        import webbrowser

        webbrowser.open(url)
    # on loopback only this machine's names are served (a DNS-rebinding page is refused);
    # on another address the visitors' own names for it are unknown here
    hosts = LOOPBACK_HOSTS if args.host in LOOPBACK else ("*",)
    app = create_app(pool, spec, weights, hosts)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


def _weights(path: str | None) -> str | None:
    """The checkpoint's absolute path; None without one, "" after saying it is missing."""
    if path is None:
        return None
    from pathlib import Path

    if not Path(path).is_file():
        print(f"netspec serve: error: no checkpoint file {path}", file=sys.stderr)
        return ""
    return str(Path(path).resolve())


def _opening(spec: str | None) -> tuple[str, str] | tuple[()] | None:
    """(name, text) of the spec to open; () for the default (LeNet-5); None after its
    error is printed."""
    if spec is None:
        return ()
    from netspec.api import load
    from netspec.cli.common import print_errors
    from netspec.errors import CompileError

    try:
        source = load(spec)
    except CompileError as exc:
        print_errors(exc, "table", spec)
        return None
    return source.name, source.text
