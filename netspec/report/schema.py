"""The contract of `netspec check --format json` and `netspec diff --format json`.

Assumes pydantic, imported by `netspec schema` and the tests only (never by `netspec
check`, which writes its JSON with :mod:`netspec.report.json_report`). Guarantees models
that name every key the writers emit, with its type: extra keys are forbidden and every
key is required (a value may be null where the model says so), so a key added to a
writer without a change here fails tests/test_schema.py. ``CheckOutput`` is what
`check` prints (a :class:`Report`, or an :class:`ErrorReport` when the spec is not
accepted), ``DiffOutput`` what `diff` prints (a :class:`DiffReport`, or an ErrorReport
per spec not accepted, one a line); :func:`json_schema` is their JSON Schema
as `netspec schema` prints it. ``schema_version`` is :data:`SCHEMA_VERSION`, the one
constant the writer uses too. The models describe exactly what this version of netspec
writes; the printed schema allows extra keys, since REPORT.md lets later versions add
keys without raising ``schema_version``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, RootModel

from netspec.analysis.conventions import CONVENTIONS
from netspec.analysis.memory import DTYPE_BYTES
from netspec.report.json_report import SCHEMA_VERSION

DRAFT = "https://json-schema.org/draft/2020-12/schema"

Dim = int | str  # a size, the name of a symbolic dimension ("N"), or a formula of them
# A figure: a number, or (schema 3) a formula of the input's symbolic sizes, written as
# `2 * floor((H - 1) / 2) + 1`: integers, names, + - *, ^ for powers, floor(x / m).
Count = int | str
Shape = list[Dim]
Convention = Literal[tuple(CONVENTIONS)]  # type: ignore[valid-type]
Dtype = Literal[tuple(DTYPE_BYTES)]  # type: ignore[valid-type]
Version = Literal[SCHEMA_VERSION]  # type: ignore[valid-type]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Diagnostic(_Strict):
    """An error or warning that has no place in a file (a missing file, say)."""

    code: str = Field(description="E-... for an error, W-... for a warning")
    severity: Literal["error", "warning"]
    message: str
    help: list[str]
    notes: list[str] = Field(description="notes, then the chain of block calls")


class PlacedDiagnostic(Diagnostic):
    """An error or warning at a place in a spec: 1-based line and column."""

    file: str
    line: int
    column: int


class ReceptiveField(_Strict):
    """Per spatial axis, in input units (reference/README.md); fractional after upsampling."""

    size: list[int | float]
    stride: list[int | float]
    padding: list[int | float]


class PerOptimizer(_Strict):
    sgd: Count = Field(description="SGD with momentum")
    adam: Count


class Totals(_Strict):
    """The network's figures, per sample unless the input gives a batch size."""

    params: Count = Field(description="elements of every parameter tensor, trainable or fixed")
    trainable_params: Count = Field(description="those a training run updates")
    fixed_params: Count
    buffers: Count = Field(description="saved state that is not a parameter (running stats)")
    connections: Count = Field(description="fan-in per output unit, a bias as one, summed")
    param_bytes_fp32: Count
    macs: Count
    flops: Count
    convention: Convention = Field(description="how `cost` counts")
    convention_definition: str
    cost: Count = Field(description="the total under `convention`, of the counted layers")
    cost_complete: bool = Field(description="false when some layers have no formula")
    uncounted: list[str] = Field(description="paths of the layers without a formula")
    input_shapes: dict[str, Shape]
    receptive_field_input: str | None = Field(description="the input fields are measured in")
    dtype: Dtype = Field(description="element type of the memory figures")
    batch: int = Field(description="samples per batch of the memory figures")
    param_bytes: Count
    buffer_bytes: Count
    input_bytes: Count
    activation_bytes: Count
    peak_activation_bytes: Count
    peak_layer: str | None
    training_bytes_estimate: PerOptimizer
    gradient_bytes: Count
    optimizer_state_bytes: PerOptimizer
    internal_bytes: Count = Field(
        description="kept inside layers for the backward pass (attention's q, k, v and "
        "L x L weights), part of training_bytes_estimate"
    )
    kv_cache_bytes: Count | None = Field(
        description="a decoder's key/value cache (causal attention); null for other networks"
    )
    kv_cache_context: Dim | None = Field(
        description="the positions kv_cache_bytes is for (--context, else the sequence length)"
    )


class Statement(_Strict):
    """A top-level statement: sums over its layers; the shape is its final output's."""

    name: str
    description: str = Field(
        description="what it built, as the table's op column: `conv 3x3 /1, 16 p1 · relu`, "
        "a block call with its arguments by name, '-' where it made no layer"
    )
    output_shape: Shape
    params: Count
    trainable_params: Count
    fixed_params: Count
    buffers: Count
    connections: Count
    macs: Count
    flops: Count
    cost: Count | None = Field(description="null when a layer has no formula")
    activation_bytes: Count


class Layer(_Strict):
    """An elaborated layer, in execution order."""

    path: str = Field(description="hierarchical: block calls, then the layer (C1.conv)")
    op: str
    statement: str
    description: str
    input_shapes: list[Shape]
    output_shape: Shape
    params: Count
    trainable_params: Count
    fixed_params: Count
    buffers: Count
    connections: Count
    macs: Count
    flops: Count
    cost: Count | None = Field(description="null: no formula under the convention")
    receptive_field: ReceptiveField | None
    activation_bytes: Count


class SymbolicSizes(_Strict):
    """The input's sizes named past the batch axis ([N, 3, H, W]): every size and figure
    of the network is then a formula of them (schema 3)."""

    names: list[str]
    traced_at: int = Field(description="every name's value where the formulas were traced")
    accepted: str | None = Field(
        description="the sizes s accepted with every name = s, as `netspec sizes` writes "
        "them (`32-262144 step 32`); null where not found exactly"
    )
    formulas_hold: str | None = Field(
        description="the sizes s (every name = s) on which every formula holds: where the "
        "network and its analysis decide as at traced_at; null where not found exactly"
    )
    pinned: bool = Field(description="some size was fixed at traced_at (a formula was lost)")
    joint_conditions: list[str] = Field(
        description="equalities that couple several names (a reshape of H * W elements), "
        "each `formula = 0` or `formula != 0`"
    )


class Network(_Strict):
    name: str
    parameters: dict[str, JsonValue] = Field(description="the network's parameter values")
    inputs: dict[str, Shape]
    outputs: dict[str, Shape]
    totals: Totals
    statements: list[Statement]
    layers: list[Layer]
    warnings: list[PlacedDiagnostic | Diagnostic]
    sizes: SymbolicSizes | None = Field(description="null: every size is a number")
    input_dtypes: dict[str, Literal["float32", "int64", "bool"]] = Field(
        description="each input's element type: float32, int64 (token ids) or bool (a mask)"
    )


class Report(_Strict):
    """`netspec check --format json` of a spec that checked."""

    schema_version: Version
    netspec_version: str
    source: str = Field(description="the spec as given: a path or a zoo name")
    networks: list[Network]


class FailedStatement(_Strict):
    """The top-level statement of a network's first error: the last row of its partial."""

    network: str
    statement: str


class PartialReport(_Strict):
    """A failing spec's report up to its first error (schema version 2): each network as
    far as it elaborated, its failing statement the last row, with the layers it made."""

    networks: list[Network]
    failed: list[FailedStatement] = Field(description="networks that stopped, and where")


class ErrorReport(_Strict):
    """`netspec check --format json` of a spec that is not accepted (exit status 1)."""

    schema_version: Version
    netspec_version: str
    source: str
    errors: list[PlacedDiagnostic | Diagnostic] = Field(min_length=1)
    partial: PartialReport | None = Field(
        description="the report up to the first error (check only); null where nothing "
        "elaborated (a syntax error, a missing file) and in diff's error documents"
    )


class CheckOutput(RootModel[Report | ErrorReport]):
    model_config = ConfigDict(
        title=f"netspec check --format json, schema version {SCHEMA_VERSION}",
        json_schema_extra={"$schema": DRAFT},
    )


class DiffFigures(_Strict):
    """One side of a statement or of the totals."""

    params: Count
    trainable_params: Count
    buffers: Count
    connections: Count
    cost: Count | None = Field(description="null when a layer has no formula")
    activations: int = Field(description="activation elements")


class Delta(_Strict):
    """B - A; null where a side lacks the figure."""

    params: Count | None
    trainable_params: Count | None
    buffers: Count | None
    connections: Count | None
    cost: Count | None
    activations: int | None


class DiffStatement(_Strict):
    name: str
    a: DiffFigures | None = Field(description="null: the statement is only in B")
    b: DiffFigures | None = Field(description="null: the statement is only in A")
    delta: Delta


class DiffTotals(_Strict):
    a: DiffFigures
    b: DiffFigures
    delta: Delta


class DiffPair(_Strict):
    """Two networks paired by name, or by position when the names differ."""

    a: str
    b: str
    convention: Convention
    statements: list[DiffStatement] = Field(description="A's order, then those only in B")
    totals: DiffTotals


class DiffReport(_Strict):
    """`netspec diff --format json` of two specs that checked (else an ErrorReport a line
    for each spec that did not)."""

    diff: list[DiffPair]


class DiffOutput(RootModel[DiffReport | ErrorReport]):
    model_config = ConfigDict(
        title=f"netspec diff --format json, schema version {SCHEMA_VERSION}",
        json_schema_extra={"$schema": DRAFT},
    )


DOCUMENTS: dict[str, type[RootModel]] = {"check": CheckOutput, "diff": DiffOutput}


def json_schema(document: str = "check") -> dict:
    """The JSON Schema of a command's `--format json` output, as `netspec schema` prints it.

    The models forbid extra keys, so that the tests hold the writers to them exactly; the
    published schema allows them, because REPORT.md lets a later netspec add keys without
    raising ``schema_version``, and a tool validating with this schema must accept those
    reports."""
    return allow_extra_keys(DOCUMENTS[document].model_json_schema())


def allow_extra_keys(node: object) -> object:
    """The schema with ``additionalProperties: false`` taken out, at every level."""
    if isinstance(node, dict):
        return {
            k: allow_extra_keys(v)
            for k, v in node.items()
            if (k, v) != ("additionalProperties", False)
        }
    if isinstance(node, list):
        return [allow_extra_keys(v) for v in node]
    return node
