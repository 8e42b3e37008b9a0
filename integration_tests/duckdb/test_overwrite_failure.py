"""Overwrite and truncate refreshes that fail halfway never leave the visible table empty or half-written."""

from __future__ import annotations

from airbyte_dest_kit.testing.builders import catalog, echoed, record, stream_state
from integration_tests.duckdb.harness import INT_SCHEMA, STR_SCHEMA, configured_stream

PROPS = {"id": INT_SCHEMA, "name": STR_SCHEMA}
BROKEN = '{"type":"RECORD","record":{"stream":"users","data":{"id":'


def users(mode: str = "overwrite", generation: int = 0, minimum: int = 0) -> dict:
    return catalog(
        configured_stream("users", PROPS, mode=mode, generation_id=generation, minimum_generation_id=minimum)
    )


def rows(ids, name: str) -> list[dict]:
    return [record("users", {"id": i, "name": name}) for i in ids]


def ids(dest) -> list[int]:
    return [r["id"] for r in dest.data("users", order_by="id")]


def test_overwrite_failing_halfway_keeps_old_table_then_next_sync_replaces(dest):
    dest.write(users(), rows([1, 2, 3], "sync1")).assert_ok()
    before = dest.rows("users", order_by="id")

    state = stream_state("users", {"at": 11}, id=1)
    failed = dest.write(users(), [*rows([10, 11], "sync2"), state, BROKEN, *rows([12], "sync2")])
    error = failed.assert_failed()
    assert "line 4" in error["message"]
    assert failed.of_type("STATE") == [echoed(state, 2)]
    assert dest.rows("users", order_by="id") == before  # old table intact, row for row
    assert set(dest.tables("main")) <= {("main", "users"), ("main", "users_airbyte_tmp")}

    dest.write(users(), rows([20, 21], "sync3")).assert_ok()
    assert dest.data("users", order_by="id") == [{"id": 20, "name": "sync3"}, {"id": 21, "name": "sync3"}]
    assert dest.tables("main") == [("main", "users")]


def test_overwrite_killed_halfway_keeps_old_table(dest):
    dest.write(users(), rows([1, 2, 3], "sync1")).assert_ok()
    before = dest.rows("users", order_by="id")

    live = dest.start_write(users(), {"buffering": {"max_rows": 1}})
    live.send([*rows([10, 11], "sync2"), stream_state("users", {"at": 11})])
    assert live.next_state(timeout=30) is not None  # the staged rows are committed...
    live.kill()  # ...and the sync dies before the end

    assert dest.rows("users", order_by="id") == before
    dest.write(users(), rows([20], "sync3")).assert_ok()
    assert ids(dest) == [20]


def test_overwrite_generation_zero_retry_starts_afresh(dest):
    # Without refresh support (generation 0/0) a retry is a new attempt: the table is exactly its records.
    dest.write(users(), rows([1], "sync1")).assert_ok()
    dest.write(users(), [*rows([10, 11], "attempt1"), stream_state("users", {}), BROKEN]).assert_failed()
    dest.write(users(), rows([12], "attempt2")).assert_ok()
    assert ids(dest) == [12]


def test_truncate_refresh_retry_of_same_generation_keeps_failed_attempts_rows(dest):
    dest.write(users("append", generation=4, minimum=0), rows([1, 2], "gen4")).assert_ok()

    attempt1 = dest.write(
        users("append", generation=5, minimum=5),
        [*rows([10, 11], "gen5-a1"), stream_state("users", {"at": 11}), BROKEN],
    )
    attempt1.assert_failed()
    assert len(attempt1.of_type("STATE")) == 1
    assert ids(dest) == [1, 2]  # the old generation stays visible while the refresh is unfinished

    dest.write(users("append", generation=5, minimum=5), rows([12, 13], "gen5-a2")).assert_ok()
    result = dest.rows("users", order_by="id")
    assert [(r["id"], r["_airbyte_generation_id"]) for r in result] == [(10, 5), (11, 5), (12, 5), (13, 5)]


def test_truncate_refresh_new_generation_drops_failed_attempts_rows(dest):
    dest.write(users("append", generation=4, minimum=0), rows([1, 2], "gen4")).assert_ok()
    dest.write(
        users("append", generation=5, minimum=5),
        [*rows([10, 11], "gen5-a1"), stream_state("users", {"at": 11}), BROKEN],
    ).assert_failed()

    dest.write(users("append", generation=6, minimum=6), rows([20], "gen6")).assert_ok()
    result = dest.rows("users", order_by="id")
    assert [(r["id"], r["_airbyte_generation_id"]) for r in result] == [(20, 6)]
