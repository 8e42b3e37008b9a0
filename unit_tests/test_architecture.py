"""Architecture rules: the public API, and which layers may import heavy dependencies.

The protocol layer (shared with sources) imports no DuckDB, Arrow, SQLAlchemy or httpx. The pipeline uses
DuckDB and Arrow on purpose (they are its typing engine), but never a writer's driver.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

import airbyte_dest_kit


def modules_loaded_by(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return {name.split(".")[0] for name in out.split()}


@pytest.mark.parametrize(
    ("statement", "forbidden"),
    [
        ("import airbyte_dest_kit.protocol", {"duckdb", "pyarrow", "sqlalchemy", "httpx", "psycopg", "pymysql"}),
        ("import airbyte_dest_kit.sources", {"duckdb", "pyarrow", "sqlalchemy", "httpx"}),
        ("import airbyte_dest_kit.destination.pipeline.runner", {"sqlalchemy", "httpx", "psycopg", "pymysql"}),
        ("import airbyte_dest_kit", {"duckdb", "pyarrow", "sqlalchemy", "httpx"}),
    ],
)
def test_layers_do_not_import_heavy_dependencies(statement: str, forbidden: set[str]) -> None:
    assert modules_loaded_by(statement) & forbidden == set()


def test_public_api_is_exactly_what_we_promise() -> None:
    assert airbyte_dest_kit.__all__ == [
        "Capabilities",
        "Column",
        "ColumnType",
        "ConfigError",
        "ConnectorError",
        "Destination",
        "FlushPolicy",
        "InputError",
        "Pipeline",
        "StoreWriter",
        "StreamSpec",
        "SystemFailure",
        "TransientError",
        "Writer",
        "WriterDestination",
        "WriterError",
        "execute",
        "launch",
    ]
    for name in airbyte_dest_kit.__all__:
        assert getattr(airbyte_dest_kit, name) is not None
