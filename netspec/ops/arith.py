"""Convolution arithmetic (Dumoulin & Visin, arXiv:1603.07285), one axis at a time.

Integer functions shared by convolution, pooling, both backends and the teaching tools.
Assumes int sizes and padding given as (before, after), so asymmetric and TensorFlow
"same" padding use the same formulas as symmetric padding. Guarantees PyTorch's
results (floor and ceil mode alike); the argument checks raise OpError naming the
argument, and :func:`floor_warnings` words the W-floor warning both op families give.
"""

from __future__ import annotations

from netspec.limits import MAX_KERNEL
from netspec.ops.base import OpError, OpWarning, Window, window
from netspec.values import Shape, show_shape

_SPATIAL = ("L",), ("H", "W"), ("D", "H", "W")


def axis_names(rank: int) -> tuple[str, ...]:
    """The names of `rank` spatial axes as the messages and explanations write them."""
    return _SPATIAL[rank - 1] if 1 <= rank <= 3 else tuple(f"dim{i}" for i in range(rank))


def effective_kernel(k: int, d: int) -> int:
    """Extent of a dilated kernel: d(k - 1) + 1."""
    return d * (k - 1) + 1


def conv_out(i: int, k: int, s: int, pad: tuple[int, int], d: int = 1) -> int:
    """o = floor((i + p_before + p_after - d(k - 1) - 1) / s) + 1."""
    return (i + pad[0] + pad[1] - effective_kernel(k, d)) // s + 1


def pool_out(i: int, k: int, s: int, pad: tuple[int, int], d: int, ceil_mode: bool) -> int:
    """Pooling output size; ceil mode as PyTorch: no window may start in the end padding."""
    span = i + pad[0] + pad[1] - effective_kernel(k, d)
    if not ceil_mode:
        return span // s + 1
    o = -(-span // s) + 1
    if (o - 1) * s >= i + pad[0]:
        o -= 1
    return o


def conv_transpose_out(i: int, k: int, s: int, p: int, a: int, d: int = 1) -> int:
    """o' = s(i' - 1) + a + d(k - 1) + 1 - 2p."""
    return s * (i - 1) + a + effective_kernel(k, d) - 2 * p


def same_padding(i: int, k: int, s: int, d: int = 1) -> tuple[int, int]:
    """TensorFlow "same": o = ceil(i / s); odd total padding puts the extra at the end."""
    o = -(-i // s)
    total = max((o - 1) * s + effective_kernel(k, d) - i, 0)
    return total // 2, total - total // 2


def dropped_rows(i: int, k: int, s: int, pad: tuple[int, int], d: int, o: int) -> int:
    """Real input rows at the end that no window reaches (floor division drops them)."""
    covered = (o - 1) * s + effective_kernel(k, d)
    unused = i + pad[0] + pad[1] - covered
    return max(0, unused - pad[1])


def overhang(a: dict, x: Shape, out: Shape) -> tuple[tuple[int, int], ...]:
    """The padding after which the floor rule gives `out`: the declared padding, plus any
    ceil-mode window that hangs past it. Both backends lower ceil mode this way (floor
    mode on this padding), so that their ceil rules need not agree with PyTorch's."""
    pairs = []
    for i, o, k, s, d, (before, after) in zip(
        x[2:], out[2:], a["kernel"], a["stride"], a["dilation"], a["padding"], strict=True
    ):
        reach = (o - 1) * s + effective_kernel(k, d)  # rows the windows read, padding included
        pairs.append((before, max(after, reach - i - before)))
    return tuple(pairs)


_UNITS = {"L": "position", "W": "column"}  # D and H count rows (netspec.ops.explain too)


def _unit(axis: str, plural: bool = False) -> str:
    unit = _UNITS.get(axis, "row")
    return unit + "s" if plural else unit


def _unread_at_end(i: int, k: int, s: int, pad, d: int, o: int) -> int:
    """The input rows at the end that no window reads, when they are more than the
    stride's regular gap: windows narrower than their stride skip rows between them
    anyway (a strided 1x1 shortcut), and a last gap no wider than those is no loss."""
    lost = dropped_rows(i, k, s, pad, d, o)
    gap = max(0, s - effective_kernel(k, d))
    return lost if lost > gap else 0


def floor_warnings(op, x, out, kernel, stride, padding, dilation) -> list[OpWarning]:
    """W-floor: a stride that does not tile the input silently drops its last rows.
    One warning per layer, its axes named together where their numbers agree."""
    clauses: dict[tuple, list[str]] = {}  # the same arithmetic on several axes: one clause
    tiled: dict[tuple, list[str]] = {}
    names = axis_names(len(x) - 2)
    for axis, i, o, k, s, pad, d in zip(
        names, x[2:], out[2:], kernel, stride, padding, dilation, strict=False
    ):
        lost = _unread_at_end(i, k, s, pad, d, o)
        if lost:
            ek, padded = effective_kernel(k, d), i + pad[0] + pad[1]
            clauses.setdefault((i, pad[0] + pad[1], ek, s, o, lost), []).append(axis)
            tiled.setdefault((padded, (o - 1) * s + ek, i + (s - (padded - ek) % s)), []).append(
                axis
            )
    if not clauses:
        return []
    message = f"{op}: " + "; ".join(_clause(axes, *key) for key, axes in clauses.items())
    hint = "; ".join(_cover(axes, *key) for key, axes in tiled.items())
    return [OpWarning("W-floor", message, hint, "stride")]


def _axes(axes: list[str]) -> str:
    return " and ".join(axes) if len(axes) < 3 else f"{', '.join(axes[:-1])} and {axes[-1]}"


def _units(axes: list[str], plural: bool) -> str:
    return " and ".join(dict.fromkeys(_unit(a, plural) for a in axes))


def _clause(axes: list[str], i: int, p: int, ek: int, s: int, o: int, lost: int) -> str:
    first = i - lost
    which = f"index {first}" if lost == 1 else f"indices {first} to {i - 1}"
    return (
        f"along {_axes(axes)}, floor(({i} + {p} - {ek}) / {s}) + 1 = {o} leaves the last "
        f"{lost} input {_units(axes, lost > 1)} ({which}) unused"
    )


def _cover(axes: list[str], padded: int, covered: int, size: int) -> str:
    units = _units(axes, True)
    return (
        f"the windows cover (o - 1) s + d(k - 1) + 1 = {covered} of the {padded} padded "
        f"{units}; an input of {size} along {_axes(axes)}, or more padding, reads them all"
    )


def window_pairs(n_iter: int, n_dst: int, k: int, s: int, d: int, offset: int) -> int:
    """Count pairs (x < n_iter, tap t < k) with y = x*s + t*d - offset inside [0, n_dst).

    For a convolution x runs over output positions and y is the input row a tap reads
    (offset = padding before): the links that land on real input, not on padding. For a
    transposed convolution x runs over input positions and y is the output row written.
    Counted in closed form, O(log) in the sizes, so a 65,536-tap kernel costs no more
    than a 3-tap one (a loop over the taps took 24 ms a layer).
    """
    high = _pairs_up_to(n_dst - 1 + offset, n_iter, k, s, d)
    return high - _pairs_up_to(offset - 1, n_iter, k, s, d)


def _pairs_up_to(c: int, n: int, k: int, s: int, d: int) -> int:
    """#{(x < n, t < k) : x*s + t*d <= c}, for s, d >= 1.

    Tap t admits min(n, floor((c - t*d) / s) + 1) positions when c - t*d >= 0: all n
    while t <= (c - (n - 1) s) / d, then a floor of a linear function of t down to
    t = c / d, summed by :func:`floor_sum`.
    """
    if c < 0 or n <= 0 or k <= 0:
        return 0
    full = max(0, min(k - 1, (c - (n - 1) * s) // d) + 1)  # taps that see all n positions
    last = min(k - 1, c // d)  # the last tap that sees any
    if last < full:
        return full * n
    count = last - full + 1
    # sum over t = full..last of floor((c - t d) / s) + 1, read with u = last - t
    return full * n + count + floor_sum(count, s, d, c - last * d)


def floor_sum(n: int, m: int, a: int, b: int) -> int:
    """sum(floor((a*i + b) / m) for i in range(n)) for n >= 0, m >= 1, a, b >= 0.

    Euclid's reduction: take the whole multiples of m out of a and b, then count the
    lattice points under the line the other way round (x and y swapped), which has
    slope m / a with a < m, until the line stays under the first row.
    """
    total = 0
    while n > 0:
        if a >= m:
            total += a // m * (n * (n - 1) // 2)
            a %= m
        if b >= m:
            total += b // m * n
            b %= m
        top = a * n + b
        if top < m:
            break
        n, b, m, a = top // m, top % m, a, m
    return total


def links(a: dict, x: tuple[int, ...], out: tuple[int, ...], transposed: bool = False) -> int:
    """Kernel-tap links of one input/output channel pair, over all spatial axes.

    `x` and `out` are the spatial sizes; `a` holds per-dim kernel, stride, padding
    (before, after) and dilation. A convolution or pooling window walks the output and
    reads the input; a transposed convolution walks the input and writes the output.
    """
    total = 1
    for i, o, k, s, pad, d in zip(
        x, out, a["kernel"], a["stride"], a["padding"], a["dilation"], strict=False
    ):
        total *= (
            window_pairs(i, o, k, s, d, pad[0])
            if transposed
            else window_pairs(o, i, k, s, d, pad[0])
        )
    return total


def sliding_windows(a: dict) -> tuple[Window, ...]:
    """The receptive-field window of a convolution or pooling per axis: extent
    d(k - 1) + 1, stride s, padding before."""
    return tuple(
        window(effective_kernel(k, d), s, pad[0])
        for k, s, pad, d in zip(a["kernel"], a["stride"], a["padding"], a["dilation"], strict=True)
    )


def window_text(a: dict) -> str:
    """`5x5 /1`, `3x3 /2 p1`, `3x3 /1 p0,1,1,1 d2`: a window as the report shows it."""

    def dims(values: tuple[int, ...]) -> str:
        return str(values[0]) if len(set(values)) == 1 else "x".join(map(str, values))

    text = "x".join(map(str, a["kernel"])) + " /" + dims(a["stride"])
    flat = [p for pair in a["padding"] for p in pair]
    if any(flat):
        text += f" p{flat[0]}" if len(set(flat)) == 1 else " p" + ",".join(map(str, flat))
    if set(a["dilation"]) != {1}:
        text += " d" + dims(a["dilation"])
    return text


def per_dim(name: str, value: object, rank: int) -> tuple[int, ...]:
    """Broadcast an int to every spatial dim, or check a list has one entry per dim."""
    if isinstance(value, tuple):
        if len(value) != rank:
            raise OpError(
                "E-value",
                f"{name} has {len(value)} values for a {rank}-d input (one per spatial dimension)",
                f"give {rank} values or one int",
                name,
            )
        return value
    return (value,) * rank


def kernel_per_dim(value: object, rank: int) -> tuple[int, ...]:
    """per_dim for kernels, within the kernel-size limit."""
    kernel = per_dim("kernel", value, rank)
    if max(kernel) > MAX_KERNEL:
        raise OpError(
            "E-limit",
            f"kernel {max(kernel)} exceeds the limit of {MAX_KERNEL} per axis",
            "netspec refuses kernels this large",
            "kernel",
        )
    return kernel


def concrete_spatial(op: str, shape: Shape) -> tuple[int, ...]:
    """The spatial sizes of [N, C, *spatial]; they must be known numbers."""
    dims = shape[2:]
    if not all(isinstance(x, int) for x in dims):
        raise OpError(
            "E-shape",
            f"{op} needs concrete spatial sizes, got {show_shape(shape)}",
            "give the input's spatial dimensions as numbers",
        )
    return dims  # type: ignore[return-value]


def padding_pairs(
    value: object,
    rank: int,
    inputs: tuple[int, ...],
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
) -> tuple[tuple[int, int], ...]:
    """Every padding form -> one (before, after) pair per spatial dim."""
    if value == "valid":
        return ((0, 0),) * rank
    if value == "same":
        return tuple(
            same_padding(*args) for args in zip(inputs, kernel, stride, dilation, strict=False)
        )
    items = per_dim("padding", value, rank)
    return tuple(p if isinstance(p, tuple) else (p, p) for p in items)
