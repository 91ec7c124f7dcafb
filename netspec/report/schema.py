"""The JSON report's contract (REPORT.md) as pydantic models.

Tools that read `netspec check --format json` can validate and load a report with
``Report.model_validate_json(text)``. Keys may be added in later versions; none is
removed or renamed without raising ``schema_version``. Extra keys are allowed so that
a reader written for version 1 keeps working.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

Dim = int | str


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class ReceptiveField(_Open):
    size: list[float]
    stride: list[float]
    padding: list[float]


class Totals(_Open):
    params: int
    trainable_params: int
    buffers: int
    connections: int
    macs: int
    flops: int
    convention: str  # what `cost` counts: macs, flops, torchinfo or fvcore
    cost: int
    cost_complete: bool
    input_shapes: dict[str, list[Dim]]
    dtype: str
    param_bytes: int
    activation_bytes: int
    peak_activation_bytes: int
    training_bytes_estimate: dict[str, int]


class StatementEntry(_Open):
    name: str
    output_shape: list[Dim]
    params: int
    trainable_params: int
    connections: int


class LayerEntry(_Open):
    path: str
    op: str
    statement: str
    input_shapes: list[list[Dim]]
    output_shape: list[Dim]
    params: int
    trainable_params: int
    buffers: int
    connections: int
    macs: int
    flops: int
    cost: int | None  # None: no formula under the convention
    receptive_field: ReceptiveField | None
    activation_bytes: int


class DiagnosticEntry(_Open):
    code: str
    severity: str
    message: str


class NetworkReport(_Open):
    name: str
    parameters: dict[str, object]
    inputs: dict[str, list[Dim]]
    outputs: dict[str, list[Dim]]
    totals: Totals
    statements: list[StatementEntry]
    layers: list[LayerEntry]
    warnings: list[DiagnosticEntry]


class Report(_Open):
    schema_version: int
    netspec_version: str
    source: str
    networks: list[NetworkReport]
