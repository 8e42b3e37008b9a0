"""The typed columns of each stream of a configured catalog, as DuckDB types: what the ceilings of `make bench`
load (bench/native_ndjson.py, bench/postgres_copy.py). The rule is the kit's, reduced to what the data sets use:
date-time strings as TIMESTAMPTZ (TIMESTAMP where the catalog says without zone), integers as BIGINT, numbers
as DOUBLE, objects, arrays and unions as JSON.
"""

from __future__ import annotations

import json
from pathlib import Path

_SCALARS = {"integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN"}
_STRING_FORMATS = {"date": "DATE", "time": "TIME"}


def duckdb_type(schema: dict[str, object]) -> str:
    declared = schema.get("type")
    types = [t for t in (declared if isinstance(declared, list) else [declared]) if t != "null"]
    if len(types) != 1:
        return "JSON"
    (kind,) = types
    if kind == "string":
        if schema.get("format") == "date-time":
            return "TIMESTAMP" if schema.get("airbyte_type") == "timestamp_without_timezone" else "TIMESTAMPTZ"
        return _STRING_FORMATS.get(str(schema.get("format")), "VARCHAR")
    return _SCALARS.get(str(kind), "JSON")


def stream_columns(catalog_path: Path) -> dict[str, dict[str, str]]:
    """Stream name → property → DuckDB type, in catalog order."""
    catalog = json.loads(catalog_path.read_text())
    return {
        entry["stream"]["name"]: {
            name: duckdb_type(schema) for name, schema in entry["stream"]["json_schema"].get("properties", {}).items()
        }
        for entry in catalog["streams"]
    }


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def record_struct(columns: dict[str, dict[str, str]]) -> str:
    """The ``record`` STRUCT type that reads every stream's data in one pass: the union of their properties (a
    property two streams type differently is read as JSON)."""
    union: dict[str, str] = {}
    for properties in columns.values():
        for name, kind in properties.items():
            union[name] = kind if union.get(name, kind) == kind else "JSON"
    data = ", ".join(f"{quoted(name)} {kind}" for name, kind in union.items())
    return f"STRUCT(stream VARCHAR, emitted_at BIGINT, data STRUCT({data}))"


def records_table_sql(columns: dict[str, dict[str, str]]) -> str:
    """The one pass of both ceilings: a temporary table ``records(stream, emitted_at, data)`` of every RECORD line
    of the messages file (the statement's one parameter), ``data`` typed by :func:`record_struct`."""
    return (
        "CREATE TEMP TABLE records AS SELECT record.stream AS stream, record.emitted_at AS emitted_at, "
        "record.data AS data FROM read_ndjson(?, "
        f"columns = {{'type': 'VARCHAR', 'record': '{record_struct(columns)}'}}) WHERE type = 'RECORD'"
    )
