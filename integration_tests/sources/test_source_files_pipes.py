"""source-files as the platform runs it: its command line on S3 (a local S3-compatible server the module
starts on 127.0.0.1), and piped into destination-duckdb for two syncs, the second resumed from the states
the destination echoed."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest
from source_runner import ROOT, pipe, runner

from airbyte_dest_kit.connectors.source_files.connector import SourceFiles
from airbyte_dest_kit.testing import run_connector
from integration_tests.moto_s3 import KEYS, moto_server, new_bucket

SOURCE = ROOT / "sources" / "source-files" / "main.py"
DESTINATION = ROOT / "destinations" / "destination-duckdb" / "main.py"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with moto_server() as url:
        yield url


def upload(s3: pafs.S3FileSystem, path: str, content: bytes) -> None:
    with s3.open_output_stream(path) as handle:
        handle.write(content)


def catalog_of(discovered: dict[str, Any], sync_mode: str = "incremental") -> dict[str, Any]:
    streams = discovered["catalog"]["streams"]
    return {"streams": [{"stream": s, "sync_mode": sync_mode, "destination_sync_mode": "append"} for s in streams]}


def test_an_s3_bucket_through_the_command_line(endpoint: str, tmp_path: Path) -> None:
    s3, bucket = new_bucket(endpoint)
    upload(s3, f"{bucket}/exports/2024/05/a.jsonl", b'{"id": 1, "tag": "x"}\n{"id": 2, "tag": "y"}\n')
    parquet = io.BytesIO()
    pq.write_table(pa.table({"id": [3], "tag": ["z"]}), parquet)
    upload(s3, f"{bucket}/exports/b.parquet", parquet.getvalue())
    upload(s3, f"{bucket}/elsewhere/c.jsonl", b'{"id": 99}\n')
    config = {
        "bucket": bucket,
        "endpoint": endpoint,
        "region_name": "us-east-1",
        **KEYS,
        "streams": [
            {"name": "lines", "globs": ["exports/**/*.jsonl"], "format": {"filetype": "jsonl"}},
            {"name": "tables", "globs": ["exports/*.parquet"], "format": {"filetype": "parquet"}},
        ],
    }
    run = runner("source-files", tmp_path)
    discovered = run("discover", config).assert_ok().of_type("CATALOG")[0]
    first = run("read", config, catalog_of(discovered)).assert_ok()
    assert sorted(r["id"] for r in first.records("lines")) == [1, 2]
    assert [r["_ab_source_file_url"] for r in first.records("tables")] == ["exports/b.parquet"]
    state = [first.states("lines")[-1], first.states("tables")[-1]]
    assert list(state[0]["stream"]["stream_state"]["history"]) == ["exports/2024/05/a.jsonl"]

    # the rest in-process: a process start costs more than all of it
    upload(s3, f"{bucket}/exports/2024/06/d.jsonl", b'{"id": 4, "tag": "new"}\n')
    second = run_connector(SourceFiles(), "read", config=config, catalog=catalog_of(discovered), state=state)
    assert [r["id"] for r in second.assert_ok().records("lines")] == [4] and second.records("tables") == []
    assert run_connector(SourceFiles(), "check", config=config).status()["status"] == "SUCCEEDED"
    failed = run_connector(SourceFiles(), "check", config={**config, "bucket": "no-such-bucket"}).status()
    assert failed == {
        "status": "FAILED",
        "message": "config key 'bucket': s3://no-such-bucket does not exist; check it",
    }


def sync(tmp_path: Path, config: dict[str, Any], state: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    source_config, destination_config = tmp_path / "source.json", tmp_path / "destination.json"
    source_config.write_text(json.dumps(config))
    destination_config.write_text(json.dumps({"destination_path": str(tmp_path / "files.duckdb")}))
    catalog = tmp_path / "catalog.json"
    if not catalog.exists():
        discovered = run_connector(SourceFiles(), "discover", config=config).assert_ok().of_type("CATALOG")[0]
        catalog.write_text(json.dumps(catalog_of(discovered)))
    read = [sys.executable, str(SOURCE), "read", "--config", str(source_config), "--catalog", str(catalog)]
    if state is not None:
        (tmp_path / "state.json").write_text(json.dumps(state))
        read += ["--state", str(tmp_path / "state.json")]
    write = [sys.executable, str(DESTINATION), "write", "--config", str(destination_config), "--catalog", str(catalog)]
    return pipe(read, write)


def test_source_files_into_destination_duckdb_then_an_incremental_sync(tmp_path: Path) -> None:
    folder = tmp_path / "files"
    folder.mkdir()
    for day in range(1, 6):
        rows = "".join(f"{day * 100 + i},{day},{i * 1.5}\n" for i in range(40))
        (folder / f"orders-{day:02}.csv").write_text("id,day,amount\n" + rows)
    config = {
        "folder_path": str(folder),
        "num_workers": 3,
        "streams": [
            {
                "name": "orders",
                "globs": ["orders-*.csv"],
                "format": {"filetype": "csv", "inference_type": "Primitive Types Only"},
            }
        ],
    }
    first = sync(tmp_path, config, None)
    assert all(s["destinationStats"]["recordCount"] == s["sourceStats"]["recordCount"] for s in first)
    with duckdb.connect(str(tmp_path / "files.duckdb"), read_only=True) as connection:
        [(count, distinct, total)] = connection.sql(
            "select count(*), count(distinct id), sum(amount) from orders"
        ).fetchall()
        types = dict(connection.sql("select column_name, data_type from information_schema.columns").fetchall())
    assert (count, distinct) == (200, 200) and total == pytest.approx(5 * sum(i * 1.5 for i in range(40)))
    assert types["id"] == "BIGINT" and types["amount"] == "DOUBLE"

    later = dt.datetime.now().timestamp() + 60
    (folder / "orders-06.csv").write_text("id,day,amount\n601,6,1.0\n")
    os.utime(folder / "orders-06.csv", (later, later))
    second = sync(tmp_path, config, [first[-1]])
    assert sum(s["sourceStats"]["recordCount"] for s in second) == 1
    with duckdb.connect(str(tmp_path / "files.duckdb"), read_only=True) as connection:
        assert connection.sql("select count(*) from orders").fetchall() == [(201,)]
