"""Refresh the playground's screenshots in docs/pictures/playground/ (docs/playground.md).

Usage: python tools/playground_screenshots.py

The pictures are made by the browser tests themselves (tests/test_serve_browser*.py call
`screenshot(page, name)` at the moments worth showing), so a picture in the docs is a
state a test has checked. This runs those tests with `--screenshots`, which the normal
test run leaves off. Needs what the tests need: the serve extra, playwright and Debian's
chromium (`apt-get install chromium`).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "docs" / "pictures" / "playground"


def main() -> int:
    tests = sorted(
        str(p.relative_to(ROOT)) for p in (ROOT / "tests").glob("test_serve_browser*.py")
    )
    command = [sys.executable, "-m", "pytest", "-q", *tests, f"--screenshots={FOLDER}"]
    done = subprocess.run(command, cwd=ROOT, check=False)
    for picture in sorted(FOLDER.glob("*.png")):
        print(picture.relative_to(ROOT))
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
