"""The swap on a local disk (folder renames, :func:`airbyte_dest_kit.store.swap_by_renames`), stopped at
every step of a stream's completion as by a kill -9: a reader globbing the table never sees a mix of old
and new files, and the next sync's open leaves one complete set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from airbyte_dest_kit.destination.plan import build_stream_specs
from airbyte_dest_kit.protocol.models import ConfiguredAirbyteStream
from airbyte_dest_kit.streams.spec import StreamSpec
from airbyte_dest_kit.testing.builders import configured_stream
from airbyte_dest_kit.writers.files import FileFormat, FileWriter
from integration_tests.files.batches import CrashBudget, single_spec, sync_directly, typed_batch

PROPS = {"id": {"type": "integer"}, "name": {"type": "string"}, "updated": {"type": "integer"}}


class CrashingFileWriter(FileWriter):
    """Stops instead of its ``crashes.budget``-th rename, drop or append once armed."""

    def __init__(self, destination: str, file_format: FileFormat) -> None:
        super().__init__(destination, file_format)
        self.crashes = CrashBudget()

    def rename(self, stream: StreamSpec, table: str, new_name: str) -> None:
        self.crashes.change()
        super().rename(stream, table, new_name)

    def drop(self, stream: StreamSpec, table: str) -> None:
        self.crashes.change()
        super().drop(stream, table)

    def append(self, stream: StreamSpec, table: str, rows: Any) -> None:
        self.crashes.change()
        super().append(stream, table, rows)


def _sync(root: Path, configured: dict[str, Any], batches: list[list[dict[str, Any]]], crash_at: int | None) -> bool:
    writer = CrashingFileWriter(str(root), FileFormat("parquet"))
    sync_directly(writer, single_spec(writer, configured), batches, writer.crashes, crash_at, complete=bool(batches))
    return writer.crashes.crashed


def _visible(root: Path) -> set[tuple[int, str]] | None:
    """What a reader globbing the table reads; None when there is no table folder at all."""
    folder = root / "default" / "items"
    if not folder.is_dir():
        return None
    files = [str(p) for p in folder.rglob("part-*.parquet")]
    if not files:
        return set()
    return {(i, n) for i, n in duckdb.sql(f"SELECT id, name FROM read_parquet({files})").fetchall()}


@pytest.mark.parametrize("mode", ["overwrite", "append_dedup"])
def test_a_local_swap_stopped_at_any_step_shows_one_set_and_is_finished_by_the_next_sync(
    tmp_path: Path, mode: str
) -> None:
    options = {"primary_key": ["id"], "cursor": "updated"} if mode == "append_dedup" else {}
    configured = configured_stream("items", PROPS, mode=mode, **options)
    old_rows = {(1, "old"), (2, "old")}
    new_rows = {(2, "new"), (3, "new")} | ({(1, "old")} if options else set())
    crash_at = 0
    while True:
        root = tmp_path / f"crash-{crash_at}"
        _sync(
            root, configured, [[{"id": 1, "name": "old", "updated": 1}, {"id": 2, "name": "old", "updated": 1}]], None
        )
        second = [[{"id": 2, "name": "new", "updated": 2}], [{"id": 3, "name": "new", "updated": 2}]]
        crashed = _sync(root, configured, second, crash_at)
        seen = _visible(root)
        assert seen in (old_rows, new_rows, None), f"crash point {crash_at}: a reader sees {seen}"
        _sync(root, configured, [], None)  # the next sync's open
        assert _visible(root) == (old_rows if seen == old_rows else new_rows), f"crash point {crash_at}"
        assert not [p.name for p in (root / "default").iterdir() if p.name.endswith(("_airbyte_old", "_merged"))]
        if not crashed:
            assert crash_at >= 3
            break
        crash_at += 1


def test_a_dedup_merge_beside_a_stream_named_like_its_merge_result_leaves_that_stream_alone(tmp_path: Path) -> None:
    dedup = configured_stream("items", PROPS, mode="append_dedup", primary_key=["id"], cursor="updated")
    other = configured_stream("items_airbyte_merged", PROPS, mode="append")
    for version in (1, 2):
        writer = FileWriter(str(tmp_path), FileFormat("parquet"))
        specs = build_stream_specs(
            [ConfiguredAirbyteStream.model_validate(s) for s in (dedup, other)], "default", writer.capabilities
        )
        writer.open(specs)
        for spec in specs:
            writer.write(spec, typed_batch(spec, [{"id": 1, "name": spec.name, "updated": version}]))
            writer.finish(spec)
        writer.close()
    tables = {p.name: p for p in (tmp_path / "default").iterdir()}
    assert sorted(tables) == ["items", "items_airbyte_merged"]
    read = "SELECT id, name, updated FROM read_parquet('{}/*.parquet') ORDER BY updated"
    assert duckdb.sql(read.format(tables["items"])).fetchall() == [(1, "items", 2)]
    assert duckdb.sql(read.format(tables["items_airbyte_merged"])).fetchall() == [
        (1, "items_airbyte_merged", 1),
        (1, "items_airbyte_merged", 2),
    ]
