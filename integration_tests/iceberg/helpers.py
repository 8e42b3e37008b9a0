"""For destination-iceberg's tests: syncs run in-process, tables read back with pyiceberg and with DuckDB over
the Parquet files of their current snapshot, and checks that every file a snapshot references exists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pyarrow.fs as pafs
from pyiceberg.catalog import Catalog
from pyiceberg.table import Table

from airbyte_dest_kit.connectors.destination_iceberg.connector import DestinationIceberg
from airbyte_dest_kit.testing import DestinationRunner, Run
from airbyte_dest_kit.testing.builders import catalog, record, stream_state, stream_status
from airbyte_dest_kit.writers.iceberg import CatalogConfig

RUNNER = DestinationRunner(DestinationIceberg)
STREAM = "items"
PROPS = {
    "id": {"type": "integer"},
    "name": {"type": ["null", "string"]},
    "updated": {"type": ["null", "integer"]},
    "tags": {"type": ["null", "array"]},
    "_ab_cdc_deleted_at": {"type": ["null", "string"]},
}


def sync(tmp: Path, config: dict[str, Any], streams: list[dict[str, Any]], rows: list[dict[str, Any]]) -> Run:
    """One sync of ``rows`` to the first stream, a state after them, every stream COMPLETE."""
    name = streams[0]["stream"]["name"]
    messages = [record(name, r, emitted_at=1_700_000_000_000 + i * 1000) for i, r in enumerate(rows)]
    messages += [stream_state(name, {"n": len(rows)})]
    messages += [stream_status(s["stream"]["name"], "COMPLETE") for s in streams]
    return RUNNER.write(config, catalog(*streams), messages, tmp)


def open_catalog(config: dict[str, Any]) -> Catalog:
    return CatalogConfig.from_config(config).load()


def table(config: dict[str, Any], name: str = STREAM) -> Table:
    return open_catalog(config).load_table((config.get("namespace", "default"), name))


def scanned(config: dict[str, Any], name: str = STREAM) -> list[dict[str, Any]]:
    return sorted(table(config, name).scan().to_arrow().to_pylist(), key=lambda r: (r["id"], r["_airbyte_raw_id"]))


def data_files(tbl: Table) -> list[str]:
    return sorted(task.file.file_path for task in tbl.scan().plan_files())


def duckdb_rows(tbl: Table) -> list[dict[str, Any]]:
    """The current snapshot's Parquet files as DuckDB reads them (local warehouses)."""
    paths = [p.removeprefix("file://") for p in data_files(tbl)]
    if not paths:
        return []
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        cursor = con.execute(
            "SELECT * FROM read_parquet(?, union_by_name = true) ORDER BY id, _airbyte_raw_id", [paths]
        )
        names = [d[0] for d in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def assert_no_missing_files(tbl: Table, fs: pafs.FileSystem | None = None) -> None:
    """Every data file and manifest the current snapshot references exists."""
    fs = fs or pafs.LocalFileSystem()
    snapshot = tbl.current_snapshot()
    if snapshot is None:
        return
    referenced = [m.manifest_path for m in snapshot.manifests(tbl.io)] + data_files(tbl)
    for path in referenced:
        local = path.removeprefix("file://").removeprefix("s3://")
        assert fs.get_file_info(local).type == pafs.FileType.File, f"{path} is referenced but missing"


def summaries(tbl: Table) -> list[dict[str, str]]:
    return [dict(s.summary.additional_properties) for s in tbl.snapshots() if s.summary is not None]
