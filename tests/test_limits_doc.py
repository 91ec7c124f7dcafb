"""The limits table of docs/language.md §17 is netspec/limits.py, rendered.

The table's rows are the constants under the "Hard limits" comment of limits.py, in
their order: the name, the value (sizes in bytes as MiB, powers of two as 2^k) and the
line's comment as what it bounds. The size of a spec file in §2 is the same constant.
`pytest tests/test_limits_doc.py --update-goldens` rewrites both from the code.
"""

from __future__ import annotations

import re

from netspec import limits
from netspec.units import size
from tests.conftest import ROOT

LIMITS = ROOT / "netspec" / "limits.py"
DOC = ROOT / "docs" / "language.md"
BEGIN = (
    "<!-- generated from netspec/limits.py by tests/test_limits_doc.py "
    "(pytest --update-goldens rewrites it) -->\n"
)
END = "<!-- end of the generated limits table -->\n"
CONSTANT = re.compile(r"(MAX_[A-Z_]+) = (.+?)  # (.+)")
# §2's sentence: the one other place that states a limit's value.
SOURCE_SIZE = re.compile(r"(A spec file is UTF-8 text of at most )([^(]+?)( \(\[§17\])")


def constants() -> list[tuple[str, str, str]]:
    """(name, expression, comment) of each line of the "Hard limits" group, in order."""
    lines = LIMITS.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("# Hard limits"))
    while lines[start].startswith("#"):
        start += 1
    found = []
    for line in lines[start:]:
        match = CONSTANT.fullmatch(line)
        if match is None:  # the group ends at its first line that is not a limit
            break
        found.append((match[1], match[2], match[3]))
    return found


def value_text(name: str, expression: str) -> str:
    value = getattr(limits, name)
    if name.endswith("_BYTES"):
        return f"{size(value)} ({value:,} bytes)"
    power = re.fullmatch(r"2\*\*(\d+)", expression)
    return f"2^{power[1]} = {value:,}" if power else f"{value:,}"


def table() -> str:
    rows = ["| constant | value | what it bounds |", "|---|---|---|"]
    for name, expression, comment in constants():
        meaning = comment.replace("|", "\\|")
        rows.append(f"| `{name}` | {value_text(name, expression)} | {meaning} |")
    return "\n".join(rows) + "\n"


def rendered(doc: str) -> str:
    """`doc` with the generated table and §2's size as the code says."""
    head, sep, rest = doc.partition(BEGIN)
    _, sep2, tail = rest.partition(END)
    assert sep and sep2, f"{DOC.name} has lost the markers around the limits table"
    doc = head + BEGIN + "\n" + table() + "\n" + END + tail
    return SOURCE_SIZE.sub(lambda m: m[1] + size(limits.MAX_SOURCE_BYTES) + m[3], doc)


def test_the_limits_group_is_read_whole():
    names = [name for name, _, _ in constants()]
    assert {"MAX_SOURCE_BYTES", "MAX_TOKENS", "MAX_NESTING", "MAX_STEPS"} <= set(names)
    assert "MAX_CHAIN_NOTES" not in names  # a cap on diagnostics, not on the input
    assert all(isinstance(getattr(limits, n), int) for n in names)


def test_value_texts():
    assert value_text("MAX_SOURCE_BYTES", "2 * 2**20") == (
        f"{size(limits.MAX_SOURCE_BYTES)} ({limits.MAX_SOURCE_BYTES:,} bytes)"
    )
    assert value_text("MAX_KERNEL", "2**16") == "2^16 = 65,536"
    assert value_text("MAX_NESTING", "100") == "100"


def test_docs_state_the_limits_of_the_code(update_goldens):
    doc = DOC.read_text(encoding="utf-8")
    assert SOURCE_SIZE.search(doc), "§2 no longer states the size of a spec file"
    expected = rendered(doc)
    if update_goldens:
        DOC.write_text(expected, encoding="utf-8")
    assert doc == expected or update_goldens, (
        "docs/language.md's limits differ from netspec/limits.py: "
        "run pytest tests/test_limits_doc.py --update-goldens"
    )
