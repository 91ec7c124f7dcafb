"""Multiply-adds and receptive fields against PyTorch itself (hypothesis).

- `torch.utils.flop_counter.FlopCounterMode` counts 2 FLOPs per multiply-add of
  convolutions, transposed convolutions and matrix products, bias excluded: for any
  valid layer, netspec's `macs` x 2 must equal it.
- A receptive field is what autograd says: with positive weights and inputs nothing
  cancels, so the input positions with a non-zero gradient of one output position are
  exactly the inputs it depends on. Their extent must be netspec's
  [y S - P, y S - P + r - 1] (Araujo et al.'s definition), also across branches;
  after a transposed convolution (stride 1/s) they must lie inside that interval.
Skipped without torch; CI installs it.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from netspec.api import check_text
from tests.test_torch_oracle import (
    SETTINGS,
    conv_transposes,
    given,
    nn,
    note,
    settings,
    spec_text,
    st,
    torch,
    valid_convs,
)

hypothesis = pytest.importorskip("hypothesis")
flop_counter = pytest.importorskip("torch.utils.flop_counter")
# Branches must end equal in size to be added; many random pairs do not: filtering them
# out is the point, not a sign of a weak strategy.
FILTERING = [hypothesis.HealthCheck.filter_too_much, hypothesis.HealthCheck.too_slow]


def torch_flops(factories, shape) -> int:
    x = torch.zeros(1, *shape)
    with torch.no_grad(), flop_counter.FlopCounterMode(display=False) as counter:
        for make in factories:
            x = make()(x)
    return counter.get_total_flops()


def netspec_macs(shape, stages) -> int:
    text = spec_text(shape, stages)
    note(text)
    (a,) = check_text(text)
    return a.totals.macs


@given(valid_convs())
@settings(max_examples=80, **SETTINGS)
def test_conv_macs_equal_flop_counter(case):
    shape, layers = case
    stages, factories = zip(*layers, strict=True)
    assert 2 * netspec_macs(shape, list(stages)) == torch_flops(factories, shape)


@given(conv_transposes(valid=True))
@settings(max_examples=60, **SETTINGS)
def test_conv_transpose_macs_equal_flop_counter(case):
    shape, layers = case
    stages, factories = zip(*layers, strict=True)
    assert 2 * netspec_macs(shape, list(stages)) == torch_flops(factories, shape)


@given(
    st.lists(st.integers(1, 6), min_size=1, max_size=3),
    st.integers(1, 9),
    st.integers(1, 9),
    st.booleans(),
)
@settings(max_examples=40, **SETTINGS)
def test_linear_macs_equal_flop_counter(lead, features, out, bias):
    shape = (*lead, features)  # linear acts on the last dim, at every other position
    stage = f"linear({out}, bias={'true' if bias else 'false'})"
    flops = torch_flops([lambda: nn.Linear(features, out, bias)], shape)
    assert 2 * netspec_macs(shape, [stage]) == flops


# --- receptive fields by autograd ---------------------------------------------------


@st.composite
def windows(draw):
    """A 1-d conv or average pool: (netspec stage, torch module factory)."""
    k, s = draw(st.integers(1, 5)), draw(st.integers(1, 2))
    p = draw(st.integers(0, k // 2))
    if draw(st.booleans()):
        d = draw(st.integers(1, 3))
        stage = f"conv(1, {k}, stride={s}, padding={p}, dilation={d}, bias=false)"
        return stage, lambda: _ones(nn.Conv1d(1, 1, k, s, p, d, bias=False))
    stage = f"avgpool({k}, stride={s}, padding={p})"
    return stage, lambda: nn.AvgPool1d(k, s, p)


def _ones(m: nn.Module) -> nn.Module:
    with torch.no_grad():
        for param in m.parameters():
            param.fill_(1.0)
    return m


def dependent_inputs(factories, n: int) -> tuple[list[int], int]:
    """Input positions the middle output position depends on, and that position."""
    x = torch.ones(1, 1, n, requires_grad=True)
    y = x
    for make in factories:
        y = make()(y)
    position = y.shape[-1] // 2
    y[0, 0, position].backward()
    return torch.nonzero(x.grad[0, 0]).flatten().tolist(), position


def interval(field, position: int) -> tuple[Fraction, Fraction]:
    (axis,) = field.axes
    lo = position * axis.stride - axis.padding
    return lo, lo + axis.size - 1


@given(st.lists(windows(), min_size=1, max_size=4), st.integers(100, 200))
@settings(max_examples=120, suppress_health_check=FILTERING, **SETTINGS)
def test_receptive_field_of_a_chain_is_what_autograd_sees(chain, n):
    stages, factories = zip(*chain, strict=True)
    text = spec_text((1, n), list(stages))
    note(text)
    try:
        (a,) = check_text(text)
    except Exception:  # noqa: BLE001 -- a chain too deep for this input; not a field case
        hypothesis.assume(False)
    seen, position = dependent_inputs(factories, n)
    lo, hi = interval(a.layers[-1].receptive_field, position)
    hypothesis.assume(lo >= 0 and hi <= n - 1)  # the field inside the input: exact ends
    assert (min(seen), max(seen)) == (lo, hi)


@given(st.lists(windows(), min_size=1, max_size=3), st.lists(windows(), min_size=1, max_size=3))
@settings(max_examples=120, suppress_health_check=FILTERING, **SETTINGS)
def test_receptive_field_across_branches_is_the_union(left, right):
    n = 97
    text = spec_text(
        (1, n),
        [
            "a = add { "
            + " ".join(s for s, _ in left)
            + " | "
            + " ".join(s for s, _ in right)
            + " }"
        ],
    )
    note(text)
    try:
        (a,) = check_text(text)
    except Exception:  # noqa: BLE001 -- branches of different sizes cannot be added
        hypothesis.assume(False)
    field = a.layers[-1].receptive_field
    hypothesis.assume(field is not None)  # equal strides (the other case warns; tested)

    class Branches(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Sequential(*(make() for _, make in left))
            self.b = nn.Sequential(*(make() for _, make in right))

        def forward(self, x):
            return self.a(x) + self.b(x)

    seen, position = dependent_inputs([Branches], n)
    lo, hi = interval(field, position)
    hypothesis.assume(lo >= 0 and hi <= n - 1)
    assert (min(seen), max(seen)) == (lo, hi)


@given(
    st.integers(1, 5), st.integers(1, 3), st.integers(0, 2), st.integers(1, 2), st.integers(1, 3)
)
@settings(max_examples=80, **SETTINGS)
def test_transposed_convolution_field_contains_every_contributing_input(k, s, p, d, pre_stride):
    hypothesis.assume(p <= d * (k - 1))
    n = 60
    stages = [
        f"conv(1, 3, stride={pre_stride}, padding=1, bias=false)",
        f"conv_transpose(1, {k}, stride={s}, padding={p}, dilation={d}, bias=false)",
    ]
    (a,) = check_text(spec_text((1, n), stages))
    factories = [
        lambda: _ones(nn.Conv1d(1, 1, 3, pre_stride, 1, bias=False)),
        lambda: _ones(nn.ConvTranspose1d(1, 1, k, s, p, 0, 1, False, d)),
    ]
    seen, position = dependent_inputs(factories, n)
    hypothesis.assume(seen)  # with s > d(k - 1) + 1 some outputs receive no input at all
    lo, hi = interval(a.layers[-1].receptive_field, position)
    assert lo <= min(seen) and max(seen) <= hi
    # The continuous interval is tight: rounding at the conv's positions loses less than
    # one of them (pre_stride input positions) at each end.
    assert hi - lo + 1 <= max(seen) - min(seen) + 1 + 2 * pre_stride


pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")
