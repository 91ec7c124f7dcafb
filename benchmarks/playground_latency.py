"""The playground's re-check latency: keystroke to updated table, in Chromium.

Usage: python benchmarks/playground_latency.py [--edits 50] [--specs resnet50,densenet121]

Serves the playground (netspec/serve/) on a free loopback port, opens it in Debian's
Chromium through Playwright, and for each spec types `--edits` edits one after another
(a space added at the end, then taken away), waiting for each answer to be shown. The
page measures each edit from the keystroke to the table's update, the 60 ms debounce
included (window.netspecLatencies, netspec/serve/static/playground.js). Prints the
median, min and max per spec. Target (issue 17): median <= 150 ms on the project's
2-core machine. Needs the serve extra, playwright and `apt-get install chromium`.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
from pathlib import Path

from playwright.sync_api import sync_playwright

from netspec.serve.background import serving

ROOT = Path(__file__).resolve().parents[1]
TARGET_MS = 150


def measure(page, text: str, edits: int) -> list[float]:
    page.locator("#editor").fill(text)
    page.wait_for_function("window.netspecLatencies.length > 0")
    page.evaluate("window.netspecLatencies = []")
    editor = page.locator("#editor")
    for i in range(edits):
        editor.press("End" if i % 2 else "Control+End")
        editor.press("Space" if i % 2 == 0 else "Backspace")
        page.wait_for_function(f"window.netspecLatencies.length >= {i + 1}")
    return page.evaluate("window.netspecLatencies")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=50)
    parser.add_argument("--specs", default="resnet50,densenet121")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    with serving() as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(url)
        for name in args.specs.split(","):
            text = (ROOT / "specs" / f"{name}.netspec").read_text()
            times = measure(page, text, args.edits)
            median = statistics.median(times)
            verdict = "holds" if median <= TARGET_MS else "MISSED"
            print(
                f"{name:<12} median {median:6.1f} ms  (min {min(times):.1f}, max {max(times):.1f},"
                f" {len(times)} edits); target <= {TARGET_MS} ms: {verdict}"
            )
        browser.close()


if __name__ == "__main__":
    main()
