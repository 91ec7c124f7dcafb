"""The model zoo: specs shipped with netspec, reachable by name (`netspec check resnet50`).

The zoo is the top-level `specs/` folder of a source checkout, or `netspec/_data/specs`
inside an installed wheel.

Assumes each zoo spec opens with a comment naming the paper or origin it follows (one
may have none). Guarantees the zoo's names, sorted; a name resolved to its file; close
zoo names for a name that is not one, with case, '-' and '_' ignored (`resnet-18` finds
`resnet18`); and a spec's source as one short line.
"""

from __future__ import annotations

import re
from pathlib import Path

from netspec.resources import shipped
from netspec.suggest import close_matches


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
    if folder is not None and _bare(spec):
        candidate = folder / (spec if spec.endswith(".netspec") else f"{spec}.netspec")
        if candidate.is_file():
            return candidate
    return path


def _bare(spec: str) -> bool:
    return "/" not in spec and "\\" not in spec


def _folded(name: str) -> str:
    # resnet-18, ResNet_18 and resnet18 are one name to a person typing it
    return name.lower().removesuffix(".netspec").replace("-", "").replace("_", "")


def similar_zoo_names(spec: str) -> list[str]:
    """Zoo names close to `spec` (a bare name, not a path): an exact match once case,
    '-' and '_' are ignored, else the closest by spelling; [] for a path."""
    if not _bare(spec):
        return []
    names = zoo_names()
    word = _folded(spec)
    same = [n for n in names if _folded(n) == word]
    if same:
        return same
    # a name cut short (`lenet`, `vgg`) means the specs it begins, shortest first
    longer = sorted((n for n in names if _folded(n).startswith(word)), key=len)
    if word and longer:
        return longer[:3]
    folded = {_folded(n): n for n in names}
    return [folded[f] for f in close_matches(word, folded)]


def zoo_suggestion(spec: str) -> str:
    """'did you mean' the zoo names close to `spec`, or '' when none is."""
    close = similar_zoo_names(spec)
    return "did you mean " + " or ".join(f"'{c}'" for c in close) + "?" if close else ""


# `Authors, "Title", Venue Year` or `..., arXiv:NNNN.NNNNN`: the citation of a header;
# a course's own note is cited as `course note NNN`
_CITATION = re.compile(
    r"(?P<authors>[A-Z][\w'. -]*(?:(?:, | & )[\w'. -]+)*),\s+\"[^\"]+\",\s+"
    r"(?P<venue>[A-Za-z.]+ \d{4}|arXiv:\d{4}\.\d{4,5}|[\w.]+\.[a-z]{2,})"
)
_NOTE = re.compile(r"course note \d+")


def zoo_source(path: Path) -> str:
    """The paper or origin a spec's header comment names, as `He et al., CVPR 2016`;
    the header's first clause where it cites no paper; '' with no header comment."""
    header = " ".join(_header(path.read_text(encoding="utf-8")).split())
    if not header:
        return ""
    found, note = _CITATION.search(header), _NOTE.search(header)
    if note is not None and (found is None or note.start() < found.start()):
        return note[0]  # what the spec follows first: the course note, not its references
    if found is None:
        return re.split(r"[:;(]", header, maxsplit=1)[0].strip()
    return f"{_short_authors(found['authors'])}, {found['venue']}"


def _header(text: str) -> str:
    lines = []
    for line in text.splitlines():
        if not line.startswith("#") or not line.strip("# "):
            break  # the header is the first paragraph of comment lines
        lines.append(line.lstrip("#"))
    return " ".join(lines)


def _short_authors(authors: str) -> str:
    names = re.split(r", | & ", authors)
    last = names[-1].split(" of ")[-1].strip()  # "configuration D of Simonyan"
    first = names[0].split(" of ")[-1].split()[-1]
    if len(names) == 1:
        return first
    if len(names) == 2:
        return f"{first} & {last.split()[-1]}"
    return f"{first} et al."
