"""The JSON reports against their contract: the pydantic models of netspec/report/schema.py.

Every zoo spec's `check --format json`, the error documents of specs that are not
accepted and `diff --format json` validate strictly (extra keys forbidden); `netspec
schema` prints the models' JSON Schema, and a small validator written here checks the
documents against that printed schema too, as another tool would.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from netspec.cli.main import main
from netspec.report import json_report, schema
from netspec.report.schema import CheckOutput, DiffOutput, DiffReport, ErrorReport, Report
from tests.conftest import ROOT, SPECS

ZOO = sorted(SPECS.glob("*.netspec"))
ERRORS = sorted((ROOT / "tests" / "errors").glob("*.netspec"))


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def check_json(capsys, *args: str) -> tuple[int, str]:
    code, out, _ = run(capsys, "check", *args, "--format", "json")
    return code, out


@pytest.mark.parametrize("spec", ZOO, ids=lambda p: p.stem)
def test_every_zoo_report_validates_strictly(capsys, spec):
    code, out = check_json(capsys, str(spec))
    assert code == 0
    report = Report.model_validate_json(out, strict=True)
    assert report.schema_version == json_report.SCHEMA_VERSION
    assert report.source == str(spec) and report.networks
    assert isinstance(CheckOutput.model_validate_json(out, strict=True).root, Report)


@pytest.mark.parametrize(
    "options",
    [
        ("--convention", "flops"),
        ("--convention", "torchinfo", "--dtype", "bfloat16", "--batch", "8"),
        ("--convention", "fvcore", "--dtype", "int8"),
    ],
)
def test_reports_under_every_option_validate(capsys, options):
    code, out = check_json(capsys, "resnet18", *options)
    assert code == 0
    Report.model_validate_json(out, strict=True)


def test_warnings_and_fractional_fields_validate(capsys, tmp_path):
    _, out = check_json(capsys, "squeezenet1_1")
    [net] = Report.model_validate_json(out, strict=True).networks
    assert net.warnings and all(w.severity == "warning" for w in net.warnings)
    spec = tmp_path / "up.netspec"
    spec.write_text(
        "network Up {\n    input x: [N, 1, 8, 8]\n    conv_transpose(1, 2, stride=2)\n}\n"
    )
    _, out = check_json(capsys, str(spec))
    [layer] = Report.model_validate_json(out, strict=True).networks[0].layers
    assert layer.receptive_field.stride == [0.5, 0.5]


@pytest.mark.parametrize("spec", ERRORS[::4], ids=lambda p: p.stem)
def test_error_documents_validate(capsys, spec):
    code, out = check_json(capsys, str(spec))
    if code == 0:  # a golden that is a warning only
        Report.model_validate_json(out, strict=True)
        return
    errors = ErrorReport.model_validate_json(out, strict=True).errors
    assert errors and any(e.severity == "error" for e in errors)
    assert isinstance(CheckOutput.model_validate_json(out, strict=True).root, ErrorReport)


def test_partial_reports_of_every_error_spec_validate(capsys):
    """Schema version 2 on: the error document's `partial` holds the report up to the
    first error, each failed network's last statement the one named in `failed`."""
    assert json_report.SCHEMA_VERSION >= 2
    seen = 0
    for spec in ERRORS:
        code, out = check_json(capsys, str(spec))
        if code == 0:
            continue
        partial = ErrorReport.model_validate_json(out, strict=True).partial
        if partial is None:
            continue
        seen += 1
        last = {n.name: n.statements[-1].name for n in partial.networks if n.statements}
        assert all(last[f.network] == f.statement for f in partial.failed), spec.name
    assert seen >= 20  # most error specs fail after their input


def test_an_error_without_a_place_validates(capsys):
    code, out = check_json(capsys, "no/such/file.netspec")
    assert code == 1
    document = ErrorReport.model_validate_json(out, strict=True)
    [error] = document.errors
    assert error.code == "E-file" and not hasattr(error, "line")
    assert document.partial is None


def test_diff_documents_validate(capsys):
    code, out, _ = run(
        capsys, "diff", "alexnet", "alexnet", "--set-b", "gpus=1", "--format", "json"
    )
    assert code == 0
    [pair] = DiffReport.model_validate_json(out, strict=True).diff
    assert pair.totals.delta.params is not None
    code, out, _ = run(capsys, "diff", "lenet5", "resnet18", "--format", "json")
    assert code == 0
    report = DiffOutput.model_validate_json(out, strict=True).root
    assert any(s.a is None or s.b is None for s in report.diff[0].statements)
    code, out, _ = run(capsys, "diff", "lenet5", "no/such.netspec", "--format", "json")
    assert code == 1
    assert isinstance(DiffOutput.model_validate_json(out, strict=True).root, ErrorReport)


def test_a_key_the_schema_lacks_fails():
    doc = json.loads(_lenet5_json())
    Report.model_validate(doc, strict=True)
    net = doc["networks"][0]
    for where in (doc, net, net["totals"], net["layers"][3], net["statements"][0]):
        where["new_key"] = 1
        with pytest.raises(ValidationError, match="new_key"):
            Report.model_validate(doc, strict=True)
        del where["new_key"]


def test_every_key_the_writer_emits_is_a_field_of_its_model():
    # Names the key and the model, where validation would only say "extra".
    def walk(value: object, models: list[type[BaseModel]], path: str) -> None:
        assert isinstance(value, dict), path
        model = next((m for m in models if set(value) <= set(m.model_fields)), None)
        if model is None:
            unknown = set(value) - {f for m in models for f in m.model_fields}
            names = [m.__name__ for m in models]
            raise AssertionError(f"{path}: keys {sorted(unknown)} are in none of {names}")
        for key, item in value.items():
            inner = _models(model.model_fields[key].annotation)
            for element in item if isinstance(item, list) else [item]:
                if inner and element is not None:
                    walk(element, inner, f"{path}.{key}")

    for spec in ZOO:
        walk(json.loads(_check_text(spec)), [Report], spec.stem)


def _models(annotation: object) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in getattr(annotation, "__args__", ()) for m in _models(arg)]


def test_one_schema_version_for_the_writer_and_the_schema(capsys):
    assert schema.SCHEMA_VERSION is json_report.SCHEMA_VERSION
    printed = _printed_schema(capsys)
    version = printed["$defs"]["Report"]["properties"]["schema_version"]
    assert version["const"] == json_report.SCHEMA_VERSION
    assert f"schema version {json_report.SCHEMA_VERSION}" in printed["title"]
    assert json.loads(_lenet5_json())["schema_version"] == json_report.SCHEMA_VERSION


@pytest.mark.parametrize("document", ["check", "diff"])
def test_netspec_schema_prints_the_models_schema(capsys, document):
    printed = _printed_schema(capsys, document)
    strict = schema.DOCUMENTS[document].model_json_schema()
    assert '"additionalProperties": false' not in json.dumps(printed)
    assert printed == _without_closed_objects(strict)
    assert printed["$schema"] == schema.DRAFT
    assert isinstance(printed["$defs"], dict) and printed["anyOf"]
    for ref in _refs(printed):
        assert ref.startswith("#/$defs/") and ref.removeprefix("#/$defs/") in printed["$defs"]


def test_the_printed_schema_accepts_the_reports_and_a_later_version_s_new_key(capsys):
    printed = _printed_schema(capsys)
    for spec in ZOO[:6] + ERRORS[:3]:
        _validate(json.loads(_check_text(spec)), printed, printed)
    doc = json.loads(_lenet5_json())
    doc["networks"][0]["layers"][0]["new_key"] = 1  # REPORT.md: keys may be added
    _validate(doc, printed, printed)
    with pytest.raises(ValidationError):  # while the models hold this writer to its keys
        schema.CheckOutput.model_validate(doc, strict=True)


def _without_closed_objects(node):
    if isinstance(node, dict):
        return {
            k: _without_closed_objects(v)
            for k, v in node.items()
            if not (k == "additionalProperties" and v is False)
        }
    if isinstance(node, list):
        return [_without_closed_objects(v) for v in node]
    return node


def test_schema_is_the_default_document_and_takes_no_spec(capsys):
    assert run(capsys, "schema")[1] == run(capsys, "schema", "check")[1]
    with pytest.raises(SystemExit) as exit:
        main(["schema", "lenet5"])
    assert exit.value.code == 2


def _printed_schema(capsys, *args: str) -> dict:
    code, out, err = run(capsys, "schema", *args)
    assert code == 0 and err == ""
    return json.loads(out)


def _check_text(spec: Path) -> str:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        main(["check", str(spec), "--format", "json"])
    return out.getvalue()


def _lenet5_json() -> str:
    return _check_text(SPECS / "lenet5.netspec")


def _refs(node: object):
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


# A validator for the subset of JSON Schema that pydantic writes: a keyword it does not
# know fails the test rather than being ignored.
_ANNOTATIONS = {"title", "description", "default", "$schema", "$defs"}
_TYPES = {
    "object": dict, "array": list, "string": str, "boolean": bool, "null": type(None),
    "integer": int, "number": (int, float),
}  # fmt: skip


def _validate(value: object, node: dict, root: dict, path: str = "$") -> None:
    unknown = set(node) - _ANNOTATIONS - set(_KEYWORDS)
    assert not unknown, f"{path}: the test's validator does not know {sorted(unknown)}"
    # "type" first: an object's keywords (properties) read the value as a dict, and an
    # anyOf of an object and null (a layer without a receptive field) meets a null here
    for keyword, argument in sorted(node.items(), key=lambda item: item[0] != "type"):
        if keyword in _KEYWORDS:
            _KEYWORDS[keyword](value, argument, node, root, path)


def _type(value, argument, node, root, path):
    wanted = _TYPES[argument]
    ok = isinstance(value, wanted) and not (isinstance(value, bool) and argument != "boolean")
    assert ok, f"{path}: {value!r} is not {argument}"


def _properties(value, argument, node, root, path):
    for key, item in value.items():
        if key in argument:
            _validate(item, argument[key], root, f"{path}.{key}")
        elif node.get("additionalProperties") is False:
            raise AssertionError(f"{path}: key {key} is not allowed")


def _additional(value, argument, node, root, path):
    if isinstance(argument, dict):
        for key, item in value.items():
            if key not in node.get("properties", {}):
                _validate(item, argument, root, f"{path}.{key}")


def _any_of(value, argument, node, root, path):
    problems = []
    for option in argument:
        try:
            _validate(value, option, root, path)
            return
        except AssertionError as exc:
            problems.append(str(exc))
    raise AssertionError(" / ".join(problems))


_KEYWORDS = {
    "type": _type,
    "properties": _properties,
    "additionalProperties": _additional,
    "required": lambda v, a, n, r, p: [_require(k in v, f"{p}: {k} missing") for k in a],
    "items": lambda v, a, n, r, p: [_validate(x, a, r, f"{p}[{i}]") for i, x in enumerate(v)],
    "minItems": lambda v, a, n, r, p: _require(len(v) >= a, f"{p}: fewer than {a} items"),
    "const": lambda v, a, n, r, p: _require(v == a, f"{p}: {v!r} is not {a!r}"),
    "enum": lambda v, a, n, r, p: _require(v in a, f"{p}: {v!r} is not one of {a}"),
    "anyOf": _any_of,
    "$ref": lambda v, a, n, r, p: _validate(v, r["$defs"][a.removeprefix("#/$defs/")], r, p),
}


def _require(condition: bool, message: str) -> None:
    assert condition, message
