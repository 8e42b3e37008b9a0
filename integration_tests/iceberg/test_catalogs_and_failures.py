"""destination-iceberg beyond the default local setup, and when things go wrong: a PostgreSQL catalog (a
schema of the test server per test), an S3 warehouse on a local S3-compatible server (moto), two syncs at
once on one catalog, a commit that loses a race and is retried, kill -9 mid-sync and the rerun."""

from __future__ import annotations

import sys
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.fs as pafs
import pytest

from airbyte_dest_kit.connectors.destination_iceberg.connector import DestinationIceberg
from airbyte_dest_kit.testing import CommandRunner
from airbyte_dest_kit.testing.builders import catalog, configured_stream, record, stream_state, stream_status
from integration_tests.files.batches import single_spec, typed_batch
from integration_tests.iceberg.helpers import (
    PROPS,
    RUNNER,
    STREAM,
    assert_no_missing_files,
    open_catalog,
    scanned,
    sync,
    table,
)
from integration_tests.moto_s3 import KEYS, moto_server, new_bucket

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sql"))

from sqltargets import POSTGRES_URL, fresh_postgres_schema

CLI = CommandRunner(
    [sys.executable, str(Path(__file__).resolve().parents[2] / "destinations/destination-iceberg/main.py")]
)
DEDUP = {"mode": "append_dedup", "primary_key": ["id"], "cursor": "updated"}


def _modes_twice(tmp: Path, config: dict[str, Any]) -> None:
    """append, overwrite and dedup streams, two syncs each, read back through the catalog."""
    for number in (1, 2):
        rows = [{"id": 1, "name": f"sync {number}", "updated": number}, {"id": number + 1, "updated": number}]
        for name, options in (("a", {}), ("o", {"mode": "overwrite"}), ("d", DEDUP)):
            stream = configured_stream(name, PROPS, **options)
            sync(tmp, config, [stream], rows).assert_ok()
    assert _pairs(config, "a") == [(1, "sync 1"), (1, "sync 2"), (2, ""), (3, "")]
    assert _pairs(config, "o") == [(1, "sync 2"), (3, "")]
    assert _pairs(config, "d") == [(1, "sync 2"), (2, ""), (3, "")]


def _pairs(config: dict[str, Any], name: str) -> list[tuple[int, str]]:
    return sorted((r["id"], r["name"] or "") for r in scanned(config, name))


def test_a_postgresql_catalog(tmp_path: Path) -> None:
    with fresh_postgres_schema() as (engine, schema):
        with engine.begin() as conn:  # the catalog's own tables go there
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        options = urllib.parse.quote(f"-csearch_path={schema}")
        uri = f"{POSTGRES_URL}?options={options}"
        config = {"warehouse": str(tmp_path / "wh"), "namespace": "lake", "catalog": {"type": "sql", "uri": uri}}
        _modes_twice(tmp_path, config)
        assert not (tmp_path / "wh" / "catalog.sqlite").exists()  # the catalog is in PostgreSQL


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with moto_server() as url:
        yield url


def test_an_s3_warehouse(tmp_path: Path, endpoint: str) -> None:
    s3, bucket = new_bucket(endpoint)
    config = {
        "warehouse": f"s3://{bucket}/lake",
        "catalog": {"uri": f"sqlite:///{tmp_path / 'catalog.sqlite'}"},
        "namespace": "lake",
        "s3_endpoint": endpoint,
        "s3_region": "us-east-1",
        **KEYS,
    }
    _modes_twice(tmp_path, config)
    assert_no_missing_files(table(config, "d"), s3)
    assert s3.get_file_info(pafs.FileSelector(f"{bucket}/lake", recursive=True))  # the files are on the server


def test_an_s3_warehouse_without_a_catalog_uri_is_a_config_error(tmp_path: Path) -> None:
    run = RUNNER.check({"warehouse": "s3://bucket/lake"}, tmp_path)
    assert "catalog.uri" in str(run.of_type("CONNECTION_STATUS"))


def test_two_syncs_on_different_tables_of_one_catalog_both_succeed(tmp_path: Path) -> None:
    config = {"warehouse": str(tmp_path / "wh"), "namespace": "lake"}
    open_catalog(config).create_namespace("lake")  # both syncs find it: neither races to create it
    runs: dict[str, Any] = {}

    def run(name: str) -> None:
        rows = [{"id": i, "name": name} for i in range(200)]
        messages = [record(name, r) for r in rows] + [stream_state(name, {"n": 200}), stream_status(name, "COMPLETE")]
        options = {**config, "buffering": {"max_rows": 20}}  # ten commits each, interleaved
        runs[name] = CLI.write(options, catalog(configured_stream(name, PROPS)), messages, tmp_path / name)

    for name in ("left", "right"):
        (tmp_path / name).mkdir()
    threads = [threading.Thread(target=run, args=(name,)) for name in ("left", "right")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for name in ("left", "right"):
        runs[name].assert_ok()
        assert len(scanned(config, name)) == 200


def test_a_commit_that_loses_a_race_is_retried(tmp_path: Path) -> None:
    config = {"warehouse": str(tmp_path / "wh"), "namespace": "lake"}
    writer = DestinationIceberg().create_writer({**config, "schema": "lake"})
    spec = single_spec(writer, configured_stream(STREAM, PROPS), "lake")
    writer.open([spec])
    rival = open_catalog(config)
    load = writer._require
    raced = []

    def load_then_lose_the_race(stream: Any, name: str) -> Any:
        loaded = load(stream, name)
        if not raced:  # another writer commits after this one read the table: its commit must fail, then retry
            raced.append(True)
            other = rival.load_table(("lake", name))
            other.append(typed_batch(spec, [{"id": 99, "name": "rival"}], first=99).select(other.schema().column_names))
        return loaded

    writer._require = load_then_lose_the_race  # type: ignore[method-assign]
    writer.write(spec, typed_batch(spec, [{"id": 1, "name": "ours"}]))
    writer.commit(spec)
    writer.close()
    assert raced and sorted(r["name"] for r in scanned(config)) == ["ours", "rival"]


def test_kill_9_mid_sync_keeps_what_states_covered_and_a_rerun_completes(tmp_path: Path) -> None:
    # batches of 100 rows, committed once a state waited 0.2 s: kill -9 finds commits, staged rows and states
    buffering = {"max_rows": 100, "max_state_wait_seconds": 0.2}
    config = {"warehouse": str(tmp_path / "wh"), "namespace": "lake", "buffering": buffering}
    configured = catalog(configured_stream(STREAM, PROPS))
    pieces = [
        [record(STREAM, {"id": i}) for i in range(n * 100, n * 100 + 100)] + [stream_state(STREAM, {"n": n})]
        for n in range(40)
    ]
    live = RUNNER.start_write(config, configured, tmp_path)
    live.send(pieces[0] + pieces[1])
    assert live.wait_for("STATE", 1, timeout=60)
    feeder = threading.Thread(target=lambda: [live.send(p) for p in pieces[2:]], daemon=True)
    feeder.start()
    live.wait_for("STATE", 3, timeout=60)
    echoed = live.kill().of_type("STATE")
    assert echoed
    covered = (echoed[-1]["state"]["stream"]["stream_state"]["n"] + 1) * 100
    held = {r["id"] for r in scanned(config)}
    assert set(range(covered)) <= held  # at least every echoed state's records, maybe more
    assert_no_missing_files(table(config))
    rest = [m for p in pieces[covered // 100 :] for m in p] + [stream_status(STREAM, "COMPLETE")]
    RUNNER.write(config, configured, rest, tmp_path).assert_ok()
    assert {r["id"] for r in scanned(config)} == set(range(4000))
