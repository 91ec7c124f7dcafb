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


def floor_warnings(op, x, out, kernel, stride, padding, dilation) -> list[OpWarning]:
    """W-floor: a stride that does not tile the input silently drops its last rows."""
    warnings = []
    names = axis_names(len(x) - 2)
    for axis, i, o, k, s, pad, d in zip(
        names, x[2:], out[2:], kernel, stride, padding, dilation, strict=False
    ):
        if effective_kernel(k, d) < s:
            continue  # windows skip rows between them anyway (a strided 1x1 shortcut)
        lost = dropped_rows(i, k, s, pad, d, o)
        if lost:
            ek = effective_kernel(k, d)
            first = i - lost
            unit = "column" if axis == "W" else "row"
            which = f"index {first}" if lost == 1 else f"indices {first} to {i - 1}"
            message = (
                f"{op}: along {axis}, floor(({i} + {pad[0] + pad[1]} - {ek}) / {s}) + 1 = {o} "
                f"leaves the last {lost} input {unit}{'s' if lost > 1 else ''} ({which}) unused"
            )
            hint = (
                f"the windows cover (o - 1) s + d(k - 1) + 1 = {(o - 1) * s + ek} of the "
                f"{i + pad[0] + pad[1]} padded {unit}s; pad or resize if those {unit}s matter"
            )
            warnings.append(OpWarning("W-floor", message, hint, "stride"))
    return warnings


def window_pairs(n_iter: int, n_dst: int, k: int, s: int, d: int, offset: int) -> int:
    """Count pairs (x < n_iter, tap t < k) with y = x*s + t*d - offset inside [0, n_dst).

    For a convolution x runs over output positions and y is the input row a tap reads
    (offset = padding before): the links that land on real input, not on padding. For a
    transposed convolution x runs over input positions and y is the output row written.
    """
    total = 0
    for t in range(k):
        base = t * d - offset
        lo = max(0, -(base // s))  # ceil(-base / s)
        hi = min(n_iter - 1, (n_dst - 1 - base) // s)
        if hi >= lo:
            total += hi - lo + 1
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
