"""How destination-duckdb lays rows out in the file: batch commits of a full row group bypass the WAL."""

from __future__ import annotations

from airbyte_dest_kit.testing.builders import catalog, record, stream_state
from airbyte_dest_kit.writers.duckdb import ROW_GROUP_SIZE
from integration_tests.duckdb.harness import INT_SCHEMA, STR_SCHEMA, configured_stream


def test_a_batch_commit_lands_in_row_groups_of_the_writers_size_with_every_row(dest):
    # One batch (the whole input fits the default buffer) of 2.3 row groups: DuckDB writes the full groups
    # straight to the file only when the database is attached with our row group size; with its own
    # 122,880-row groups the batch would go through the WAL into a single group.
    count = 2 * ROW_GROUP_SIZE + ROW_GROUP_SIZE // 3
    messages = [record("events", {"id": i, "name": f"e{i}"}) for i in range(count)]
    state = stream_state("events", {"cursor": count}, id=1, source_count=count)
    events = catalog(configured_stream("events", {"id": INT_SCHEMA, "name": STR_SCHEMA}, mode="append"))
    dest.write(events, [*messages, state]).assert_ok()

    groups = dest.query("SELECT row_group_id, max(count) AS rows FROM pragma_storage_info('main.events') GROUP BY 1")
    assert sorted(g["rows"] for g in groups) == [ROW_GROUP_SIZE // 3, ROW_GROUP_SIZE, ROW_GROUP_SIZE]
    summary = dest.query(
        "SELECT count(*) AS n, count(DISTINCT id) AS ids, min(id) AS lo, max(id) AS hi FROM main.events"
    )
    assert summary == [{"n": count, "ids": count, "lo": 0, "hi": count - 1}]
