"""`netspec explain conv --input 5 --kernel 3 ...`: one convolution's arithmetic.

For each axis (once when both agree) the calculator gives the output size by PyTorch's
general formula with the numbers (the step netspec's conv and pooling explanations use,
so the notes on unread rows are the same), names the relationship of Dumoulin & Visin
(netspec/teach/explain/paper.py) the question is an instance of and shows it in the
paper's form, the dilated kernel's effective size, and for a transposed convolution the
direct convolution on the stretched input that computes it and the convolution it is
the transpose of. Every size is also computed by netspec.ops.arith (the analysis's
rule); a disagreement is printed, and tests hold all three equal.
"""

from __future__ import annotations

from netspec.ops import arith
from netspec.ops.explain.steps import Section, Step, n
from netspec.teach.explain.paper import (
    RELATIONSHIPS,
    SOURCE,
    Axis,
    Relationship,
    dilated,
    relationship_for,
)
from netspec.teach.explain.render import Block
from netspec.teach.question import ConvQuestion

_GENERAL = "o = floor((i + 2p - d(k-1) - 1)/s) + 1"
_GENERAL_CEIL = (
    "o = ceil((i + 2p - d(k-1) - 1)/s) + 1, less one if the last window would start in the "
    "end padding"
)
_GENERAL_T = "o' = s(i' - 1) + a + d(k-1) + 1 - 2p"


def explain_question(q: ConvQuestion) -> list[Block]:
    """A block per distinct axis: both axes at once when the question is square."""
    axes = [0] if q.square else [0, 1]
    return [_block(q, axis, None if q.square else "HW"[axis]) for axis in axes]


def question_axis(q: ConvQuestion, axis: int) -> Axis:
    return Axis(
        q.input[axis], q.kernel[axis], q.stride[axis], q.padding[axis], q.dilation[axis],
        q.output_padding[axis],
    )  # fmt: skip


def _kind(q: ConvQuestion) -> str:
    if q.pool:
        return f"{'max' if q.pool == 'max' else 'average'} pooling"
    return "transposed convolution" if q.transposed else "convolution"


def _block(q: ConvQuestion, axis: int, name: str | None) -> Block:
    x = question_axis(q, axis)
    label = "o'" if q.transposed else "o"
    given = f"i' = {x.i}" if q.transposed else f"i = {x.i}"
    given += f", k = {x.k}, s = {x.s}, p = {x.p}"
    given += f", d = {x.d}" if x.d > 1 else ""
    given += f", a = {x.a}" if q.transposed else ""
    given += ", ceil mode" if q.ceil_mode else ""
    where = f"{name} axis" if name else "both axes"
    sections = [("output size", _general(q, x, label, q.axis_output(axis)))]
    sections.append(_paper(q, x, label, q.axis_output(axis)))
    if x.d > 1:
        sections.append(("dilated kernel", _dilation(x)))
    if q.transposed:
        sections += _transposed(x, q.axis_output(axis))
    return Block(f"{_kind(q)}, {where}: {given}", (), tuple(sections))


def _general(q: ConvQuestion, x: Axis, label: str, torch: int) -> Section:
    from netspec.ops.explain.window import axis_step, transposed_step

    if q.transposed:
        step, rule = transposed_step(label, x.i, x.k, x.s, x.p, x.a, x.d), _GENERAL_T
    else:
        step = axis_step(label, x.i, x.k, x.s, (x.p, x.p), x.d, q.ceil_mode)
        rule = _GENERAL_CEIL if q.ceil_mode else _GENERAL
        if not step.note and not q.ceil_mode:
            covered = (torch - 1) * x.s + arith.effective_kernel(x.k, x.d)
            step = Step(step.label, step.formula, step.result, _coverage(x, covered))
    steps = [step]
    if int(step.result.replace(",", "")) != torch:
        steps.append(Step("PyTorch", "", n(torch), "netspec's rule disagrees: please report"))
    return Section(f"{rule} (PyTorch's rule)", tuple(steps), torch)


def _coverage(x: Axis, covered: int) -> str:
    padded = x.i + 2 * x.p
    if covered == padded:
        return f"the windows cover all {padded} padded positions"
    return f"the windows cover {covered} of the {padded} padded positions; the rest is padding"


def _paper(q: ConvQuestion, x: Axis, label: str, torch: int) -> tuple[str, Section]:
    number = relationship_for(x, q.transposed, bool(q.pool))
    r = RELATIONSHIPS[number]
    shown, form = _form(q, x, r)
    value = form.value(shown)
    rhs = form.formula.partition(" = ")[2]
    steps = [Step("when", "", r.condition)]
    if form is not r or shown is not x:
        steps.append(Step("", "", "", _adapted(q, form, shown)))
    steps.append(Step(label, f"{rhs} = {form.filled(shown)}", n(value)))
    if value != torch:
        why = "ceil mode rounds up, which the paper does not" if q.ceil_mode else "please report"
        steps.append(Step("PyTorch", "", n(torch), why))
    steps += [
        Step(f"also {m}", RELATIONSHIPS[m].formula, "", RELATIONSHIPS[m].name) for m in r.also
    ]
    return f"relationship {number}", Section(f"{r.name} ({SOURCE})", tuple(steps), value)


def _adapted(q: ConvQuestion, form: Relationship, shown: Axis) -> str:
    if q.transposed:
        return f"the paper's 8-14 are undilated: k is the dilated kernel's size k̂ = {shown.k}"
    return (
        "the paper states pooling without padding or dilation; with them the size follows "
        f"relationship {form.number}'s form"
    )


def _form(q: ConvQuestion, x: Axis, r: Relationship) -> tuple[Axis, Relationship]:
    """The relationship whose formula computes the size, and the numbers to put in."""
    if q.pool and x.d > 1:
        return x, RELATIONSHIPS[15]
    if q.pool and x.p:
        return x, RELATIONSHIPS[6]
    if q.transposed and x.d > 1:
        return dilated(x), r
    return x, r


def _dilation(x: Axis) -> Section:
    k_hat = x.k + (x.k - 1) * (x.d - 1)
    steps = (
        Step("k̂", f"{x.k} + ({x.k} - 1)·({x.d} - 1)", n(k_hat), "the paper's k + (k - 1)(d - 1)"),
        Step("k_eff", f"{x.d}·({x.k} - 1) + 1", n(x.d * (x.k - 1) + 1), "PyTorch's d(k - 1) + 1"),
    )
    rule = f"d - 1 = {x.d - 1} gaps between the {x.k} taps: a wider window, no more weights"
    return Section(rule, steps, k_hat)


def _transposed(x: Axis, torch: int) -> list[tuple[str, Section]]:
    k_eff = arith.effective_kernel(x.k, x.d)
    stretched = x.i + (x.s - 1) * (x.i - 1)
    p2 = k_eff - x.p - 1
    o = stretched + 2 * p2 + x.a - k_eff + 1
    crop = f" (negative: it crops {-p2})" if p2 < 0 else ""
    steps = (
        Step("ĩ'", f"{x.i} + ({x.s} - 1)·({x.i} - 1)", n(stretched),
             f"{x.s - 1} zero{'s' if x.s != 2 else ''} between input cells"),
        Step("k', s'", "", f"k' = {x.k}, s' = 1" + (f", d' = {x.d}" if x.d > 1 else "")),
        Step("p'", f"{k_eff} - {x.p} - 1", n(p2), f"on each side{crop}"),
        Step("a", "", n(x.a), "extra zeros at the bottom and right" if x.a else "no extra zeros"),
        Step("o'", f"{stretched} + 2·{p2} + {x.a} - {k_eff} + 1", n(o)),
    )  # fmt: skip
    if o != torch:
        steps += (Step("PyTorch", "", n(torch), "please report"),)
    rule = "a stride-1 convolution over the input with s - 1 zeros inserted between cells"
    direct = arith.conv_out(torch, x.k, x.s, (x.p, x.p), x.d)
    a = (torch + 2 * x.p - k_eff) % x.s
    back = (
        Step("i", "", n(torch), "the convolution's input is the transposed one's output"),
        Step("o", f"floor(({torch} + 2·{x.p} - {k_eff})/{x.s}) + 1", n(direct),
             "= i'" if direct == x.i else f"not i' = {x.i}: output padding >= stride"),
        Step("a", f"({torch} + 2·{x.p} - {k_eff}) mod {x.s}", n(a),
             "the rows of i the convolution leaves unread, given back as output padding"),
    )  # fmt: skip
    source = f"the convolution with i = {torch}, k = {x.k}, s = {x.s}, p = {x.p} maps {torch} to"
    return [
        ("equivalent convolution", Section(rule, steps, o)),
        (
            "the convolution it transposes",
            Section(f"{source} {direct}; its transpose maps back", back, direct),
        ),
    ]
