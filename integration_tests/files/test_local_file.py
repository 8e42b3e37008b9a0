"""destination-local-file beyond the contract suite (which runs every mode on every format): a kill -9
mid-sync, Parquet read back with pyarrow, and a stream with no rows. Real processes, real files."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from airbyte_dest_kit.testing import CommandRunner
from airbyte_dest_kit.testing.builders import (
    catalog,
    configured_stream,
    record,
    stdin_lines,
    stream_state,
    stream_status,
)

REPO = Path(__file__).resolve().parents[2]
MAIN = REPO / "destinations" / "destination-local-file" / "main.py"
PROPS = {"id": {"type": "integer"}, "payload": {"type": "string"}, "doc": {"type": "object"}}


CLI = CommandRunner([sys.executable, str(MAIN)], cwd=REPO)


def _run(tmp: Path, config: dict[str, Any], cat: dict[str, Any], messages: list[dict[str, Any]]) -> list[Any]:
    run = CLI.write(config, cat, messages, tmp)
    assert run.returncode == 0, run.stdout
    return run.messages


@pytest.mark.parametrize("file_format", ["parquet", "jsonl", "csv"])
def test_kill_9_mid_sync_leaves_whole_files_covering_every_echoed_state(tmp_path: Path, file_format: str) -> None:
    root = tmp_path / "out"
    config = {"destination_path": str(root), "format": file_format, "buffering": {"max_rows": 1_000}}
    live = CLI.start_write(config, catalog(configured_stream("a", PROPS)), tmp_path)
    stdin = live.process.stdin
    assert stdin is not None

    def feed() -> None:
        try:
            for n in range(1, 400_001):
                messages = [record("a", {"id": n, "payload": "x" * 40, "doc": {"n": n}})]
                if n % 500 == 0:
                    messages.append(stream_state("a", {"last_id": n}))
                stdin.write(stdin_lines(messages))  # into the pipe's buffer: the input comes as fast as it can
        except (BrokenPipeError, OSError, ValueError):
            pass  # killed

    threading.Thread(target=feed, daemon=True).start()
    assert live.wait_for("STATE", 20, timeout=120), live.printed[-3:]
    echoed = [m["state"]["stream"]["stream_state"]["last_id"] for m in live.kill().of_type("STATE")]
    last = max(echoed)
    files = sorted((root / "default" / "a").glob(f"part-*.{file_format}"))
    assert files, "committed batches are visible files"
    reader = {"parquet": "read_parquet", "jsonl": "read_json", "csv": "read_csv"}[file_format]
    ids = set()
    for path in files:  # every file under a final name reads whole
        ids |= {row[0] for row in duckdb.sql(f"SELECT id FROM {reader}('{path}')").fetchall()}
    assert set(range(1, last + 1)) <= ids
    # nothing under a final name elsewhere: unfinished files live only in hidden scratch folders
    visible = [p for p in root.rglob("*") if p.is_file() and not any(part.startswith(".") for part in p.parts)]
    assert sorted(visible) == files


def test_parquet_reads_back_with_pyarrow_with_catalog_types_and_json_marked(tmp_path: Path) -> None:
    root = tmp_path / "out"
    doc = {"a": [1, {"b": "ü\"'\\\n"}], "c": None}
    messages = [
        record("a", {"id": 1, "payload": 'line\nbreak, "quoted"', "doc": doc}),
        record("a", {"id": 2, "payload": "ユニコード 🎉", "doc": None}),
        stream_state("a", {"last_id": 2}),
        stream_status("a", "COMPLETE"),
    ]
    _run(tmp_path, {"destination_path": str(root)}, catalog(configured_stream("a", PROPS)), messages)
    table = ds.dataset(str(root / "default" / "a"), format="parquet").to_table().sort_by("id")
    assert str(table.schema.field("id").type) == "int64"
    assert str(table.schema.field("_airbyte_extracted_at").type) == "timestamp[us, tz=UTC]"
    (path,) = (root / "default" / "a").glob("part-*.parquet")
    parquet_schema = pq.ParquetFile(path).schema
    json_columns = [c.name for c in parquet_schema if c.logical_type.type == "JSON"]
    assert json_columns == ["doc", "_airbyte_meta", "_airbyte_additional_properties"]  # JSON text, marked JSON
    rows = table.to_pylist()
    assert [r["payload"] for r in rows] == ['line\nbreak, "quoted"', "ユニコード 🎉"]
    assert json.loads(rows[0]["doc"]) == doc and rows[1]["doc"] is None


def test_a_stream_with_no_rows_gets_an_empty_folder_and_its_state(tmp_path: Path) -> None:
    root = tmp_path / "out"
    cat = catalog(configured_stream("empty", PROPS, mode="overwrite"))
    out = _run(
        tmp_path,
        {"destination_path": str(root), "format": "csv"},
        cat,
        [stream_state("empty", {"n": 0}), stream_status("empty", "COMPLETE")],
    )
    assert [m["type"] for m in out].count("STATE") == 1
    folder = root / "default" / "empty"
    assert folder.is_dir() and list(folder.iterdir()) == []
    assert sorted(p.name for p in (root / "default").iterdir()) == ["empty"]  # no staging left behind


def test_an_overwrite_swap_interrupted_between_its_renames_is_finished_by_the_next_sync(tmp_path: Path) -> None:
    root = tmp_path / "out"
    config = {"destination_path": str(root), "format": "jsonl"}
    overwrite = catalog(configured_stream("a", PROPS, mode="overwrite"))
    _run(tmp_path, config, overwrite, [record("a", {"id": 1}), stream_status("a", "COMPLETE")])
    _run(tmp_path, config, overwrite, [record("a", {"id": 2}), stream_status("a", "COMPLETE")])
    schema = root / "default"
    # The state a crash between "final → previous" and "staging → final" leaves behind:
    (schema / "a").rename(schema / "a_airbyte_tmp")
    (schema / "a_airbyte_old").mkdir()
    (schema / "a_airbyte_old" / "part-00000000000000000001-g0-00000000.jsonl").write_text('{"id": 1}\n')
    append = catalog(configured_stream("a", PROPS, mode="append"))
    _run(tmp_path, config, append, [record("a", {"id": 3}), stream_status("a", "COMPLETE")])
    ids = duckdb.sql(f"SELECT id FROM read_json('{schema}/a/*.jsonl') ORDER BY id").fetchall()
    assert ids == [(2,), (3,)]
    assert sorted(p.name for p in schema.iterdir()) == ["a"]


@pytest.mark.parametrize("file_format", ["csv", "jsonl", "parquet"])
def test_dedup_merges_files_written_before_a_new_column(tmp_path: Path, file_format: str) -> None:
    root = tmp_path / "out"
    config = {"destination_path": str(root), "format": file_format}
    narrow = {"id": {"type": "integer"}, "v": {"type": "integer"}}
    wide = {**narrow, "color": {"type": "string"}}

    def dedup(props: dict[str, Any]) -> dict[str, Any]:
        return catalog(configured_stream("a", props, mode="append_dedup", primary_key=["id"], cursor="v"))

    first = [record("a", {"id": 1, "v": 1}), record("a", {"id": 2, "v": 1}), stream_status("a", "COMPLETE")]
    _run(tmp_path, config, dedup(narrow), first)
    second = [record("a", {"id": 2, "v": 2, "color": "red"}), stream_status("a", "COMPLETE")]
    _run(tmp_path, config, dedup(wide), second)
    reader = {"parquet": "read_parquet", "jsonl": "read_json", "csv": "read_csv"}[file_format]
    rows = duckdb.sql(f"SELECT id, v, color FROM {reader}('{root}/default/a/*', union_by_name = true) ORDER BY id")
    assert rows.fetchall() == [(1, 1, None), (2, 2, "red")]
