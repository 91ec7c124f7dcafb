"""`netspec schema [check|diff]`: the JSON Schema of a command's `--format json` output.

Assumes pydantic is installed (a dependency of netspec; imported here and by the tests
only). Guarantees the schema generated from the models of :mod:`netspec.report.schema`,
the contract the JSON writers are tested against, as one indented JSON document with
its `schema_version` (exit status 0); exit status 1 with one line if pydantic is
missing.
"""

from __future__ import annotations

import argparse
import json

from netspec.cli.common import fail

DESCRIPTION = (
    "Print the JSON Schema (draft 2020-12) of `netspec check --format json` (the report, "
    "or the error document of a spec that is not accepted), or of `netspec diff --format "
    "json`, generated from the models the reports are tested against (REPORT.md)."
)
DOCUMENTS = ("check", "diff")  # netspec.report.schema.DOCUMENTS


def add_arguments(schema: argparse.ArgumentParser) -> None:
    schema.add_argument(
        "document",
        nargs="?",
        choices=DOCUMENTS,
        default="check",
        help="whose output: check (default) or diff",
    )


def run_command(args: argparse.Namespace, overrides: dict[str, object]) -> int:
    try:
        from netspec.report.schema import json_schema
    except ImportError as exc:
        return fail(f"schema needs {exc.name} (pip install pydantic)")
    print(json.dumps(json_schema(args.document), indent=2))
    return 0
