"""destination-iceberg on a local warehouse with its SQLite catalog: every mode twice, read back with pyiceberg
and with DuckDB over the current snapshot's Parquet files; schema evolution; copy-on-write touching only the
files that hold affected keys; compaction of what an append sync wrote; snapshot summaries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from airbyte_dest_kit.connectors.destination_iceberg.connector import DestinationIceberg
from airbyte_dest_kit.testing.builders import catalog, configured_stream, record, stream_state, stream_status
from integration_tests.files.batches import single_spec, typed_batch
from integration_tests.iceberg.helpers import (
    PROPS,
    RUNNER,
    STREAM,
    assert_no_missing_files,
    data_files,
    duckdb_rows,
    scanned,
    summaries,
    sync,
    table,
)

DEDUP = {"primary_key": ["id"], "cursor": "updated"}


def _config(tmp: Path, **extra: Any) -> dict[str, Any]:
    return {"warehouse": str(tmp / "warehouse"), "namespace": "lake", **extra}


@pytest.mark.parametrize(
    ("mode", "options", "second", "expected"),
    [
        ("append", {}, [{"id": 3, "name": "c"}], [(1, "a"), (2, "b"), (3, "c")]),
        ("overwrite", {}, [{"id": 3, "name": "c"}], [(3, "c")]),
        (
            "append_dedup",
            DEDUP,
            [
                {"id": 1, "name": "newer", "updated": 2},
                {"id": 1, "name": "same batch, older", "updated": 1},
                {"id": 2, "updated": 3, "_ab_cdc_deleted_at": "2024-01-01T00:00:00Z"},
                {"id": 3, "name": "c", "updated": 1},
            ],
            [(1, "newer"), (3, "c")],
        ),
    ],
)
def test_every_mode_twice_reads_back_alike_in_pyiceberg_and_duckdb(
    tmp_path: Path, mode: str, options: dict[str, Any], second: list[dict[str, Any]], expected: list[tuple[Any, ...]]
) -> None:
    config = _config(tmp_path, partitioning="day(_airbyte_extracted_at)")
    first = [{"id": 1, "name": "a", "updated": 1, "tags": ["x", 1]}, {"id": 2, "name": "b", "updated": 1}]
    for number, rows in ((1, first), (2, second)):
        stream = configured_stream(STREAM, PROPS, mode=mode, generation_id=number, sync_id=number * 10, **options)
        if mode == "overwrite":
            stream["minimum_generation_id"] = number
        sync(tmp_path, config, [stream], rows).assert_ok()
    rows = scanned(config)
    assert [(r["id"], r["name"]) for r in rows] == expected
    tbl = table(config)
    assert [(r["id"], r["name"]) for r in duckdb_rows(tbl)] == expected
    assert {"_airbyte_raw_id", "_airbyte_extracted_at", "_airbyte_meta", "_airbyte_generation_id"} <= set(rows[0])
    assert str(tbl.schema().find_field("_airbyte_extracted_at").field_type) == "timestamptz"
    if mode == "append":  # objects and arrays as JSON text
        assert json.loads(rows[0]["tags"]) == ["x", 1]
    assert {"airbyte.sync-id": "20", "airbyte.generation-id": "2"}.items() <= summaries(tbl)[-1].items()
    if mode == "append_dedup":
        assert [tbl.schema().find_field(i).name for i in tbl.schema().identifier_field_ids] == ["id"]
        deleted = table(config, f"{STREAM}_airbyte_deletes").scan().to_arrow().to_pylist()
        assert [r["id"] for r in deleted] == [2]  # the tombstone makes a late, older version of 2 lose
    assert not any("delete" in f for f in data_files(tbl))  # no delete files: copy-on-write only
    assert_no_missing_files(tbl)


def test_a_stale_version_arriving_after_a_delete_loses(tmp_path: Path) -> None:
    config = _config(tmp_path)
    stream = configured_stream(STREAM, PROPS, mode="append_dedup", **DEDUP)
    sync(tmp_path, config, [stream], [{"id": 1, "name": "a", "updated": 5}]).assert_ok()
    sync(tmp_path, config, [stream], [{"id": 1, "updated": 6, "_ab_cdc_deleted_at": "2024-01-01"}]).assert_ok()
    sync(tmp_path, config, [stream], [{"id": 1, "name": "stale", "updated": 4}, {"id": 2, "name": "b"}]).assert_ok()
    assert [(r["id"], r["name"]) for r in scanned(config)] == [(2, "b")]


def test_dedup_by_a_composite_key_with_a_null_part(tmp_path: Path) -> None:
    config = _config(tmp_path)
    stream = configured_stream(STREAM, PROPS, mode="append_dedup", primary_key=["id", "name"], cursor="updated")
    first = [{"id": 1, "name": "a", "updated": 1}, {"id": 1, "name": "b", "updated": 1}, {"id": 2, "updated": 1}]
    sync(tmp_path, config, [stream], first).assert_ok()
    second = [{"id": 1, "name": "b", "updated": 2, "tags": ["new"]}, {"id": 2, "updated": 2, "tags": ["null part"]}]
    sync(tmp_path, config, [stream], second).assert_ok()
    rows = sorted((r["id"], r["name"] or "", r["updated"]) for r in scanned(config))
    assert rows == [(1, "a", 1), (1, "b", 2), (2, "", 2)]  # one row per (id, name), NULL name a key too


def test_dedup_rewrites_only_the_files_holding_affected_keys(tmp_path: Path) -> None:
    config = _config(tmp_path)
    stream = configured_stream(STREAM, PROPS, mode="append_dedup", **DEDUP)
    for low in (0, 100):  # two commits: two files of disjoint key ranges
        sync(tmp_path, config, [stream], [{"id": i, "name": "v1", "updated": 1} for i in range(low, low + 100)])
    before = data_files(table(config))
    assert len(before) == 2
    sync(tmp_path, config, [stream], [{"id": 5, "name": "v2", "updated": 2}]).assert_ok()
    after = data_files(table(config))
    untouched = [f for f in before if f in after]
    # the 100..199 file stays; 0..99 is rewritten without key 5, whose winner is in a new file (compacted
    # with it at the stream's end only past a few files)
    assert len(untouched) == 1 and len(after) == 3
    rows = scanned(config)
    assert len(rows) == 200 and rows[5]["name"] == "v2"


def test_schema_evolution_adds_a_column_and_widens_an_integer(tmp_path: Path) -> None:
    config = _config(tmp_path)
    props = {"id": {"type": "integer"}, "score": {"type": "integer"}}
    sync(tmp_path, config, [configured_stream(STREAM, props)], [{"id": 1, "score": 7}]).assert_ok()
    wider = {**props, "score": {"type": "number"}, "note": {"type": "string"}}
    sync(tmp_path, config, [configured_stream(STREAM, wider)], [{"id": 2, "score": 2.5, "note": "new"}]).assert_ok()
    tbl = table(config)
    assert str(tbl.schema().find_field("score").field_type) == "double"
    assert str(tbl.schema().find_field("note").field_type) == "string"
    assert [(r["id"], r["score"], r["note"]) for r in scanned(config)] == [(1, 7.0, None), (2, 2.5, "new")]
    assert [(r["id"], r["score"], r["note"]) for r in duckdb_rows(tbl)] == [(1, 7.0, None), (2, 2.5, "new")]


def test_a_dedup_merge_rewrites_a_file_older_than_a_column(tmp_path: Path) -> None:
    config = _config(tmp_path)
    props = {"id": {"type": "integer"}, "name": {"type": "string"}, "updated": {"type": "integer"}}
    first = [{"id": 1, "name": "a", "updated": 1}, {"id": 2, "name": "b", "updated": 1}]
    sync(tmp_path, config, [configured_stream(STREAM, props, mode="append_dedup", **DEDUP)], first).assert_ok()
    wider = {**props, "note": {"type": "string"}}
    second = [{"id": 1, "name": "new", "updated": 2, "note": "n"}]
    sync(tmp_path, config, [configured_stream(STREAM, wider, mode="append_dedup", **DEDUP)], second).assert_ok()
    expected = [(1, "new", "n"), (2, "b", None)]  # id 2 came through the rewrite of a file without "note"
    assert [(r["id"], r["name"], r["note"]) for r in scanned(config)] == expected
    assert [(r["id"], r["name"], r["note"]) for r in duckdb_rows(table(config))] == expected


@pytest.mark.parametrize(
    ("mode", "partitioning", "files"),
    [("append", "none", 1), ("append", "identity(name)", 2), ("append_dedup", "identity(name)", 2)],
)
def test_a_sync_of_many_small_batches_ends_with_few_files(
    tmp_path: Path, mode: str, partitioning: str, files: int
) -> None:
    config = _config(tmp_path, partitioning=partitioning)
    writer = DestinationIceberg().create_writer({**config, "schema": "lake"})
    options = DEDUP if mode == "append_dedup" else {}
    spec = single_spec(writer, configured_stream(STREAM, PROPS, mode=mode, sync_id=7, **options), "lake")
    writer.open([spec])
    for first in range(0, 100, 10):  # ten commits of ten rows over two partitions (states that waited long)
        rows = [{"id": i, "name": "even" if i % 2 == 0 else "odd", "updated": 1} for i in range(first, first + 10)]
        writer.write(spec, typed_batch(spec, rows, first=first))
        writer.commit(spec)
    tbl = table(config)
    assert sum(1 for s in summaries(tbl) if s.get("airbyte.sync-id") == "7") >= 10
    assert len(data_files(tbl)) >= 10
    writer.finish(spec)
    writer.close()
    tbl = table(config)
    assert len(data_files(tbl)) == files  # one per partition
    assert len(scanned(config)) == 100
    assert_no_missing_files(tbl)


def test_batches_cut_for_memory_are_one_commit_and_one_file_while_no_state_waits_long(tmp_path: Path) -> None:
    config = _config(tmp_path, buffering={"max_rows": 100})  # twenty batches, a state after each
    messages = []
    for n in range(20):
        messages += [record(STREAM, {"id": i}) for i in range(n * 100, n * 100 + 100)] + [
            stream_state(STREAM, {"n": n})
        ]
    stream = configured_stream(STREAM, PROPS, sync_id=5)
    run = RUNNER.write(config, catalog(stream), [*messages, stream_status(STREAM, "COMPLETE")], tmp_path)
    run.assert_ok()
    assert len(run.of_type("STATE")) == 20
    tbl = table(config)
    assert sum(1 for s in summaries(tbl) if s.get("airbyte.sync-id") == "5") == 1
    assert len(data_files(tbl)) == 1
    assert {r["id"] for r in scanned(config)} == set(range(2000))


def test_an_overwrite_failing_halfway_keeps_the_old_snapshot_current(tmp_path: Path) -> None:
    config = _config(tmp_path)
    stream = configured_stream(STREAM, PROPS, mode="overwrite")
    sync(tmp_path, config, [stream], [{"id": 1, "name": "old"}]).assert_ok()
    current = table(config).current_snapshot()
    failing = {**stream, "stream": {**stream["stream"], "json_schema": {"type": "object", "properties": PROPS}}}
    messages = [record(STREAM, {"id": 2, "name": "new"}), stream_state(STREAM, {"n": 1}), "{not json"]
    run = RUNNER.write(config, catalog(failing), messages, tmp_path)
    assert run.returncode != 0
    tbl = table(config)
    assert tbl.current_snapshot() == current
    assert [r["name"] for r in scanned(config)] == ["old"]
    sync(tmp_path, config, [stream], [{"id": 3, "name": "rerun"}]).assert_ok()
    assert [r["name"] for r in scanned(config)] == ["rerun"]
