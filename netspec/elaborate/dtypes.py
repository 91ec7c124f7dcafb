"""Element types: an input's dtype, and which ops read token ids and masks.

Assumes the elaboration state's map of tensor id -> dtype (int64 token ids, bool
masks; float32 is every other tensor's). Guarantees `input ids: [N, L] int64` read as
its dtype or E-type at the word, and E-type at an op given a dtype it does not read
(`embedding` reads token ids; nothing computes with them).
"""

from __future__ import annotations

from collections.abc import Mapping

from netspec.errors import error
from netspec.ops import Op
from netspec.source import Span
from netspec.suggest import did_you_mean
from netspec.syntax import ast
from netspec.values import Tensor

INPUT_DTYPES = ("float32", "int64", "bool")  # float32 is the default


def input_dtype(stmt: ast.InputStmt) -> str:
    """`input ids: [N, L] int64`: token ids (int64), a mask (bool), else float32."""
    if stmt.dtype is None or stmt.dtype in INPUT_DTYPES:
        return stmt.dtype or "float32"
    raise error(
        "E-type",
        f"input {stmt.name}: unknown dtype '{stmt.dtype}'",
        stmt.dtype_span,
        did_you_mean(stmt.dtype, INPUT_DTYPES)
        or "an input is float32 (the default), int64 (token ids) or bool (a mask)",
    )


def check_dtypes(
    op: Op,
    stage: ast.Stage,
    inputs: tuple[Tensor, ...],
    dtypes: Mapping[int, str],
    typed: frozenset[int] = frozenset(),
) -> None:
    """Token ids and masks go only into the ops that read them (`embedding`); `typed`,
    the tensors check_arg_dtypes has checked already, pass."""
    for t in inputs:
        dtype = None if t.id in typed else dtypes.get(t.id)
        if dtype is not None and dtype not in op.reads_dtypes:
            what = "token ids" if dtype == "int64" else "a mask"
            raise error(
                "E-type",
                f"{op.name} computes with float32 tensors, and its input is {dtype} ({what})",
                stage.name_span,
                "`embedding(vocab, width)` turns token ids into vectors"
                if dtype == "int64"
                else "a bool mask is read by the ops that take one, not computed with",
            )


def check_arg_dtypes(
    op: Op, attrs: Mapping[str, object], spans: Mapping[str, Span], dtypes: Mapping[int, str]
) -> frozenset[int]:
    """The tensor arguments whose dtype the op declares (attention's padding: bool) have
    it, E-type at the argument; returns their ids, which check_dtypes lets through."""
    typed = set()
    for name, want in op.arg_dtypes.items():
        t = attrs.get(name)
        if not isinstance(t, Tensor):
            continue
        have = dtypes.get(t.id, "float32")
        if have != want:
            raise error(
                "E-type",
                f"{op.name}: {name} must be a {want} tensor, got {have}",
                spans.get(name),
                f"declare an input of that dtype, `input m: [N, S] {want}`"
                f"{_MEANS.get(want, '')}, and pass {name}=m",
            )
        typed.add(t.id)
    return frozenset(typed)


_MEANS = {"bool": " (true where a position is padding)"}
