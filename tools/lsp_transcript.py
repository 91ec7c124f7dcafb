"""A transcript of `netspec lsp` at work on a zoo spec: each JSON-RPC message as it
crossed the pipe, requests (-->) and what the server sent back (<--).

    python tools/lsp_transcript.py [NAME] [--width 72]     # default: resnet50

It starts `python -m netspec lsp`, speaks the protocol itself (Content-Length framing,
no client library, so that what is printed is exactly what was sent and received),
opens the spec, asks for the inlay hints of the network's lines, a hover on the first
checkpointed statement's name and one on the network's first `conv`, then breaks that
checkpoint (one size off) and waits for the diagnostic. The document's text is cut to
`--width` characters, marked with "...", and the server's capabilities are left out.
Needs the lsp extra; docs/editors.md says what to look for.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any


class Pipe:
    """The server process and the messages exchanged with it, printed as they go."""

    def __init__(self, width: int):
        self.width = width
        self.process = subprocess.Popen(
            [sys.executable, "-m", "netspec", "lsp"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self.next_id = 0

    def send(self, method: str, params: Any, request: bool = True) -> int | None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
        if request:
            self.next_id += 1
            message["id"] = self.next_id
        self._show("-->", message)
        body = json.dumps(message).encode("utf-8")
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        self.process.stdin.flush()
        return message.get("id")

    def receive(self) -> dict[str, Any]:
        length = 0
        while line := self.process.stdout.readline().strip():
            name, _, value = line.decode("ascii").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return json.loads(self.process.stdout.read(length))

    def until(self, wanted) -> dict[str, Any]:
        """Read messages, printing those `wanted` accepts, until one is accepted."""
        while True:
            message = self.receive()
            if wanted(message):
                self._show("<--", message)
                return message

    def reply(self, method: str, params: Any) -> dict[str, Any]:
        number = self.send(method, params)
        return self.until(lambda m: m.get("id") == number)

    def _show(self, arrow: str, message: dict[str, Any]) -> None:
        text = json.dumps(_cut(message, self.width), indent=2, ensure_ascii=False)
        print(arrow, FLAT.sub(lambda m: re.sub(r"\s*\n\s*", " ", m.group()), text))


FLAT = re.compile(r"\{[^{}\[\]]*\}")  # an object of plain values: shown on one line


def _cut(value: Any, width: int, key: str = "") -> Any:
    """`value` with the document's text cut to `width`, marked with '...', and the
    server's capabilities left out."""
    if isinstance(value, str) and key == "text" and len(value) > width:
        return value[: width - 3] + "..."
    if isinstance(value, list):
        return [_cut(v, width) for v in value]
    if isinstance(value, dict):
        if "capabilities" in value and "serverInfo" in value:
            return {**value, "capabilities": "{...}"}
        return {k: _cut(v, width, k) for k, v in value.items()}
    return value


def transcript(name: str, width: int) -> None:
    from netspec.zoo import resolve_spec

    path = resolve_spec(name)
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    uri = Path(path).resolve().as_uri()
    pipe = Pipe(width)
    pipe.reply("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
    pipe.send("initialized", {}, request=False)
    document = {"uri": uri, "languageId": "netspec", "version": 1, "text": text}
    pipe.send("textDocument/didOpen", {"textDocument": document}, request=False)
    pipe.until(lambda m: m.get("method") == "textDocument/publishDiagnostics")
    start = next(i for i, line in enumerate(lines) if line.startswith("network "))
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("}"))
    span = {"start": {"line": start, "character": 0}, "end": {"line": end, "character": 0}}
    pipe.reply("textDocument/inlayHint", {"textDocument": {"uri": uri}, "range": span})
    row = next(i for i in range(start, end) if "->" in lines[i])
    op_row = next(i for i in range(start, end) if "conv(" in lines[i])
    places = [
        (row, len(lines[row]) - len(lines[row].lstrip())),
        (op_row, lines[op_row].index("conv(")),
    ]
    for line, column in places:
        where = {"textDocument": {"uri": uri}, "position": {"line": line, "character": column}}
        pipe.reply("textDocument/hover", where)
    broken = re.sub(r"(\d+)\]\s*$", lambda m: f"{int(m.group(1)) + 1}]", lines[row])
    edited = "\n".join([*lines[:row], broken, *lines[row + 1 :]])
    change = {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": edited}]}
    pipe.send("textDocument/didChange", change, request=False)
    pipe.until(
        lambda m: (
            m.get("method") == "textDocument/publishDiagnostics" and m["params"].get("version") == 2
        )
    )
    pipe.reply("shutdown", None)
    pipe.send("exit", None, request=False)
    pipe.process.wait(10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", nargs="?", default="resnet50")
    parser.add_argument("--width", type=int, default=72)
    args = parser.parse_args()
    transcript(args.name, args.width)
    return 0


if __name__ == "__main__":
    sys.exit(main())
