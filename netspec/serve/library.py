"""What the playground opens: the zoo's specs and the tutorial's exercises.

An exercise is a spec of examples/exercises/ with a deliberate mistake: its task is the
comment it opens with, its hint the section of the same name in HINTS.md there, and its
solution the spec of the same name in solutions/. All three ship in the wheel
(netspec/_data/examples/exercises; netspec.resources finds either copy).

Assumes the zoo and the exercises are as shipped (names are file stems). Guarantees that
a name the request gives is looked up among those stems, never used as a path.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from netspec.resources import shipped
from netspec.serve.fields import BadRequest
from netspec.zoo import zoo_dir, zoo_names, zoo_source


def zoo_task(request: dict[str, Any]) -> dict[str, Any]:
    """The bundled specs by name, with their sources; `name` gives one spec's text."""
    folder = zoo_dir()
    names = zoo_names()
    name = request.get("name")
    if name is None:
        return {
            "specs": [{"name": n, "source": zoo_source(folder / f"{n}.netspec")} for n in names]
        }
    if name not in names:
        raise BadRequest(f"no zoo spec {name!r}")
    return {"name": name, "text": (folder / f"{name}.netspec").read_text(encoding="utf-8")}


def exercises_task(request: dict[str, Any]) -> dict[str, Any]:
    """The exercises by name and title; `name` gives one's text, task, hint and solution."""
    folder = shipped("examples/exercises")
    names = sorted(p.stem for p in folder.glob("*.netspec")) if folder else []
    name = request.get("name")
    if name is None:
        return {"exercises": [{"name": n, "title": _title(folder / f"{n}.netspec")} for n in names]}
    if name not in names:
        raise BadRequest(f"no exercise {name!r}")
    text = (folder / f"{name}.netspec").read_text(encoding="utf-8")
    return {
        "name": name,
        "title": _title(folder / f"{name}.netspec"),
        "text": text,
        "task": _task(text),
        "hint": hints(folder).get(name, ""),
        "solution": (folder / "solutions" / f"{name}.netspec").read_text(encoding="utf-8"),
    }


def _title(path: Path) -> str:
    """`Exercise 1: LeNet-5 on MNIST's 28x28 digits, without padding.`"""
    first = path.read_text(encoding="utf-8").split("\n", 1)[0]
    return first.lstrip("# ").strip()


def _task(text: str) -> str:
    """The opening comment after its title line, without its `#`s: what the learner is
    asked."""
    lines = []
    for line in text.splitlines()[1:]:
        if not line.startswith("#"):
            break
        lines.append(line[1:].strip())
    return "\n".join(lines)


def hints(folder: Path) -> dict[str, str]:
    """HINTS.md's sections: exercise name -> its hint, one paragraph."""
    path = folder / "HINTS.md"
    if not path.is_file():
        return {}
    sections = re.split(r"^## (\S+)\s*$", path.read_text(encoding="utf-8"), flags=re.M)
    return {
        name: " ".join(body.split())
        for name, body in zip(sections[1::2], sections[2::2], strict=True)
    }
