"""Explanations as terminal text or Markdown: one step per line.

A document is a list of blocks; each block has a heading, a few lines under it and
titled sections (netspec.ops.explain.steps.Section). Text aligns the step labels within a
section and puts a step's note on the line under its formula; Markdown gives a heading
per block and a bullet per step with the formula as code. A section an op cannot
explain says so. Pure functions of the data: nothing is printed here.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from netspec.ops.explain.steps import Section, Step
from netspec.values import show_shape

INDENT = "  "
WIDTH = 100  # rules wrap here; formulas never do


@dataclass(frozen=True)
class Block:
    heading: str
    lines: tuple[str, ...]
    sections: tuple[tuple[str, Section], ...]


def layer_block(e) -> Block:
    """A netspec.teach.explain.network.LayerExplanation as a block."""
    heading = f"{e.network} · {e.path}: {e.description}"
    given = " + ".join(show_shape(s) for s in e.inputs) or "no input"  # a learned tensor
    shapes = given + " -> " + show_shape(e.output)
    where = f"statement {e.statement}" if e.statement != e.path else ""
    return Block(heading, (shapes + (f"   ({where})" if where else ""),), e.sections)


def _equation(step: Step) -> str:
    if step.formula and step.result and step.formula != step.result:
        return f"{step.formula} = {step.result}"
    return step.formula or step.result


# --- text ----------------------------------------------------------------------------


def to_text(blocks: list[Block]) -> str:
    return "\n".join(_text_block(b) for b in blocks)


def _text_block(block: Block) -> str:
    out = [block.heading, *(INDENT + line for line in block.lines), ""]
    for title, section in block.sections:
        out += _text_section(title, section)
    return "\n".join(out) + "\n"


def _text_section(title: str, section: Section) -> list[str]:
    if section.missing:
        return [f"{INDENT}{title}: not explained ({section.rule})"]
    out = textwrap.wrap(
        f"{title}: {section.rule}", WIDTH, initial_indent=INDENT, subsequent_indent=INDENT * 3
    )
    width = max((len(s.label) for s in section.steps), default=0) + 2
    pad = INDENT * 2
    for step in section.steps:
        if step.label or _equation(step):
            out.append(f"{pad}{step.label.ljust(width)}{_equation(step)}".rstrip())
        if step.note:
            out.append(f"{pad}{' ' * width}({step.note})")
    return out


# --- Markdown -----------------------------------------------------------------------


def to_markdown(blocks: list[Block], level: int = 3) -> str:
    return "\n".join(_markdown_block(b, level) for b in blocks)


def _markdown_block(block: Block, level: int) -> str:
    out = [f"{'#' * level} {block.heading}", ""]
    if block.lines:
        out += [*(f"{_md(line)}  " for line in block.lines), ""]
    for title, section in block.sections:
        out += _markdown_section(title, section)
    return "\n".join(out)


def _markdown_section(title: str, section: Section) -> list[str]:
    if section.missing:
        return [f"**{title}**: not explained ({_md(section.rule)})", ""]
    out = [f"**{title}**: {_md(section.rule)}", ""]
    for step in section.steps:
        line = f"- {_md(step.label)}: " if step.label else "- "
        if step.formula and step.formula != step.result:
            line += f"`{step.formula}`" + (f" = **{step.result}**" if step.result else "")
        elif step.result:
            line += f"**{step.result}**"
        if step.note:
            line += f" — *{_md(step.note)}*" if _equation(step) else f"*{_md(step.note)}*"
        out.append(line)
    out.append("")
    return out


def _md(text: str) -> str:
    """Escape what Markdown would read as emphasis or a table outside code spans."""
    for char in ("\\", "*", "_", "|", "<"):
        text = text.replace(char, "\\" + char)
    return text
