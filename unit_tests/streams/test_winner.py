"""The winner rule's forms agree: the typer's window order, a SQL store's pairwise condition, the Arrow
reduction and the reduction on disk over several sources, on rows with NULL cursors, ties and NULL keys
(random, seeded)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from airbyte_dest_kit.streams.spec import EXTRACTED_AT, LINE_NUMBER
from airbyte_dest_kit.streams.sql_text import quote
from airbyte_dest_kit.streams.winner import (
    batch_order_sql,
    existing_wins_sql,
    merge_arrow,
    reduce_arrow,
    reduce_on_disk,
)
from unit_tests.stream_helpers import spec_for

PROPS = {"id": {"type": ["null", "integer"]}, "c": {"type": ["null", "integer"]}, "pos": {"type": "integer"}}
T0 = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)


def _rows(seed: int, cursor: bool) -> pa.Table:
    rng = random.Random(seed)
    n = 40
    return pa.table(
        {
            "id": [rng.choice([1, 2, 3, None]) for _ in range(n)],
            "c": [rng.choice([None, 1, 2]) if cursor else None for _ in range(n)],
            "pos": list(range(n)),
            EXTRACTED_AT: [T0 + dt.timedelta(seconds=rng.choice([0, 1])) for _ in range(n)],
        }
    )


def _spec(cursor: bool) -> Any:
    return spec_for("s", PROPS, mode="append_dedup", primary_key=["id"], cursor="c" if cursor else None)


def _winners_by_window(spec: Any, rows: pa.Table) -> dict[Any, int]:
    batch = rows.append_column(LINE_NUMBER, rows.column("pos"))
    with duckdb.connect() as con:
        con.register("batch", batch)
        query = (
            f"SELECT id, pos FROM batch QUALIFY row_number() OVER (PARTITION BY id ORDER BY "
            f"{batch_order_sql(spec, quote)}) = 1"
        )
        return dict(con.execute(query).fetchall())


def _winners_pairwise(spec: Any, rows: pa.Table) -> dict[Any, int]:
    """Rows arrive one at a time; the stored winner ``t`` stays only when the condition says it wins."""
    condition = existing_wins_sql(spec, quote)
    winners: dict[Any, dict[str, Any]] = {}
    with duckdb.connect() as con:
        for row in rows.to_pylist():
            current = winners.get(row["id"])
            if current is not None:
                con.register("t", pa.Table.from_pylist([current], schema=rows.schema))
                con.register("b", pa.Table.from_pylist([row], schema=rows.schema))
                keep = con.execute(f"SELECT {condition} FROM t, b").fetchall()[0][0]
                assert keep is not None, "the condition is never NULL"
                if keep:
                    continue
            winners[row["id"]] = row
    return {key: row["pos"] for key, row in winners.items()}


def _winners_on_disk(spec: Any, rows: pa.Table) -> dict[Any, int]:
    """The rows in three sources, cut into batches of several sizes: arrival order crosses them."""
    sources = [
        rows.slice(0, 7).to_batches(),
        rows.slice(7, 20).to_batches(max_chunksize=6),
        rows.slice(27).to_batches(),
    ]
    with reduce_on_disk(spec, sources) as (live, deleted):
        assert not list(deleted)
        return {r["id"]: r["pos"] for batch in live for r in batch.to_pylist()}


@pytest.mark.parametrize("cursor", [True, False])
@pytest.mark.parametrize("seed", range(6))
def test_the_forms_pick_the_same_winners(seed: int, cursor: bool) -> None:
    spec, rows = _spec(cursor), _rows(seed, cursor)
    by_arrow = {r["id"]: r["pos"] for r in reduce_arrow(spec, rows).to_pylist()}
    by_window = _winners_by_window(spec, rows)
    assert by_arrow == by_window == _winners_pairwise(spec, rows) == _winners_on_disk(spec, rows)


def test_null_cursor_is_oldest_and_later_arrival_breaks_ties() -> None:
    spec = _spec(True)
    rows = pa.table(
        {
            "id": [1, 1, 2, 2, 3, 3],
            "c": [5, None, None, None, 4, 4],
            "pos": [0, 1, 2, 3, 4, 5],
            EXTRACTED_AT: [T0] * 6,
        }
    )
    assert {r["id"]: r["pos"] for r in reduce_arrow(spec, rows).to_pylist()} == {1: 0, 2: 3, 3: 5}


def _merge_on_disk(spec: Any, older: list[pa.Table], newer: pa.Table) -> tuple[pa.Table, pa.Table]:
    with reduce_on_disk(spec, [t.to_batches() for t in (*older, newer)]) as outputs:
        live, deleted = (pa.Table.from_batches(list(o), schema=spec.arrow_schema) for o in outputs)
    return live, deleted


@pytest.mark.parametrize("merge", [merge_arrow, _merge_on_disk])
def test_a_merge_keeps_deletions_as_tombstones_that_beat_older_versions(merge: Any) -> None:
    props = {**PROPS, "_ab_cdc_deleted_at": {"type": ["null", "string"]}}
    spec = spec_for("s", props, mode="append_dedup", primary_key=["id"], cursor="c")

    def table(rows: list[dict[str, Any]]) -> pa.Table:
        defaults = dict.fromkeys(spec.arrow_schema.names) | {EXTRACTED_AT: T0, "pos": 0}
        return pa.Table.from_pylist([defaults | r for r in rows], schema=spec.arrow_schema)

    live, deleted = merge(
        spec,
        [table([{"id": 1, "c": 1}, {"id": 2, "c": 1}])],
        table([{"id": 2, "c": 2, "_ab_cdc_deleted_at": "2024-01-01"}, {"id": 3, "c": 1}]),
    )
    assert sorted(live.column("id").to_pylist()) == [1, 3]
    assert deleted.column("id").to_pylist() == [2]
    live, deleted = merge(spec, [live, deleted], table([{"id": 2, "c": 1}]))  # older than the delete
    assert sorted(live.column("id").to_pylist()) == [1, 3] and deleted.column("id").to_pylist() == [2]
