"""The model zoo: specs shipped with netspec, reachable by name (`netspec check resnet50`).

The zoo is the top-level `specs/` folder of a source checkout, or `netspec/_data/specs`
inside an installed wheel.
"""

from __future__ import annotations

from pathlib import Path

from netspec.resources import shipped


def zoo_dir() -> Path | None:
    return shipped("specs")


def zoo_names() -> list[str]:
    folder = zoo_dir()
    return sorted(p.stem for p in folder.glob("*.netspec")) if folder else []


def resolve_spec(spec: str) -> Path:
    """A path as given if it exists, else the zoo spec of that name, else the path as given."""
    path = Path(spec)
    if path.exists():
        return path
    folder = zoo_dir()
    if folder is not None and "/" not in spec and "\\" not in spec:
        candidate = folder / (spec if spec.endswith(".netspec") else f"{spec}.netspec")
        if candidate.is_file():
            return candidate
    return path
