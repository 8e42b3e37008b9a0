"""Every write mode, each run as two syncs through the real CLI into one DuckDB file."""

from __future__ import annotations

from airbyte_dest_kit.testing.builders import catalog, echoed, record, stream_state
from integration_tests.duckdb.harness import INT_SCHEMA, STR_SCHEMA, configured_stream

USERS = {"id": INT_SCHEMA, "name": STR_SCHEMA}


def users(mode: str, **kwargs: object) -> dict:
    return catalog(configured_stream("users", USERS, mode=mode, **kwargs))  # type: ignore[arg-type]


def test_append_twice_doubles_rows(dest):
    messages = [record("users", {"id": i, "name": f"u{i}"}) for i in (1, 2, 3)]
    state = stream_state("users", {"cursor": 3}, id=1, source_count=3)
    first = dest.write(users("append"), [*messages, state]).assert_ok()
    assert first.of_type("STATE") == [echoed(state, 3)]
    dest.write(users("append"), [*messages, state]).assert_ok()

    rows = dest.data("users", order_by="id, _airbyte_extracted_at")
    assert rows == [
        {"id": 1, "name": "u1"},
        {"id": 1, "name": "u1"},
        {"id": 2, "name": "u2"},
        {"id": 2, "name": "u2"},
        {"id": 3, "name": "u3"},
        {"id": 3, "name": "u3"},
    ]
    assert len({r["_airbyte_raw_id"] for r in dest.rows("users")}) == 6


def test_overwrite_second_sync_replaces_first_and_leaves_siblings_alone(dest):
    both = catalog(
        configured_stream("users", USERS, mode="overwrite"),
        configured_stream("teams", USERS, mode="append"),
    )
    dest.write(
        both,
        [
            record("users", {"id": 1, "name": "old"}),
            record("users", {"id": 2, "name": "old"}),
            record("teams", {"id": 7, "name": "blue"}),
        ],
    ).assert_ok()
    assert dest.data("users", order_by="id") == [{"id": 1, "name": "old"}, {"id": 2, "name": "old"}]

    state = stream_state("users", {"v": 2}, id=9)
    second = dest.write(users("overwrite"), [record("users", {"id": 3, "name": "new"}), state]).assert_ok()

    assert second.of_type("STATE") == [echoed(state, 1)]
    assert dest.data("users") == [{"id": 3, "name": "new"}]
    # The other stream's table, in the same schema, was not part of sync 2 and keeps its rows.
    assert dest.data("teams") == [{"id": 7, "name": "blue"}]
    assert dest.tables("main") == [("main", "teams"), ("main", "users")]  # no staging table left behind


def test_overwrite_with_no_records_empties_the_table(dest):
    dest.write(users("overwrite"), [record("users", {"id": 1, "name": "a"})]).assert_ok()
    state = stream_state("users", None)
    run = dest.write(users("overwrite"), [state]).assert_ok()
    assert run.of_type("STATE") == [echoed(state, 0)]
    assert dest.data("users") == []


def test_append_dedup_second_sync_updates_and_inserts(dest):
    cat = users("append_dedup", primary_key=["id"], cursor="version")
    cat["streams"][0]["stream"]["json_schema"]["properties"]["version"] = INT_SCHEMA
    dest.write(
        cat,
        [
            record("users", {"id": 1, "name": "a1", "version": 1}),
            record("users", {"id": 2, "name": "b1", "version": 1}),
            record("users", {"id": 3, "name": "c1", "version": 1}),
        ],
    ).assert_ok()
    dest.write(
        cat,
        [
            record("users", {"id": 2, "name": "b2", "version": 2}, emitted_at=2_000),
            record("users", {"id": 3, "name": "c0", "version": 0}, emitted_at=2_000),  # older cursor: loses
            record("users", {"id": 4, "name": "d1", "version": 1}, emitted_at=2_000),
            record("users", {"id": 2, "name": "b3", "version": 3}, emitted_at=2_000),
        ],
    ).assert_ok()
    assert dest.data("users", order_by="id") == [
        {"id": 1, "name": "a1", "version": 1},
        {"id": 2, "name": "b3", "version": 3},
        {"id": 3, "name": "c1", "version": 1},
        {"id": 4, "name": "d1", "version": 1},
    ]


def test_refresh_encoding_append_with_minimum_generation_truncates(dest):
    # Sync 1: a normal sync of generation 1 (minimum 0 ⇒ keep everything).
    dest.write(
        users("append", generation_id=1, minimum_generation_id=0, sync_id=10),
        [record("users", {"id": 1, "name": "gen1"}), record("users", {"id": 2, "name": "gen1"})],
    ).assert_ok()
    # Sync 2: a merge refresh (new generation, minimum 0) keeps the old rows.
    dest.write(
        users("append", generation_id=2, minimum_generation_id=0, sync_id=11),
        [record("users", {"id": 3, "name": "gen2"})],
    ).assert_ok()
    assert sorted(r["_airbyte_generation_id"] for r in dest.rows("users")) == [1, 1, 2]

    # Sync 3: the platform's "overwrite" for a refresh-capable destination: append + minimum == generation.
    state = stream_state("users", {"v": 3}, id=3, source_count=2)
    run = dest.write(
        users("append", generation_id=3, minimum_generation_id=3, sync_id=12),
        [record("users", {"id": 4, "name": "gen3"}), record("users", {"id": 5, "name": "gen3"}), state],
    ).assert_ok()
    assert run.of_type("STATE") == [echoed(state, 2)]
    rows = dest.rows("users", order_by="id")
    assert [(r["id"], r["name"], r["_airbyte_generation_id"]) for r in rows] == [(4, "gen3", 3), (5, "gen3", 3)]
    assert dest.tables("main") == [("main", "users")]


def test_refresh_encoding_with_dedup_truncates_and_dedups(dest):
    props = {"id": INT_SCHEMA, "name": STR_SCHEMA}
    dedup = {"mode": "append_dedup", "primary_key": ["id"]}
    dest.write(
        catalog(configured_stream("users", props, generation_id=1, minimum_generation_id=0, **dedup)),
        [record("users", {"id": 1, "name": "old"}), record("users", {"id": 2, "name": "old"})],
    ).assert_ok()
    dest.write(
        catalog(configured_stream("users", props, generation_id=2, minimum_generation_id=2, **dedup)),
        [
            record("users", {"id": 2, "name": "new-a"}),
            record("users", {"id": 2, "name": "new-b"}),
            record("users", {"id": 3, "name": "new"}),
        ],
    ).assert_ok()
    rows = dest.rows("users", order_by="id")
    assert [(r["id"], r["name"], r["_airbyte_generation_id"]) for r in rows] == [(2, "new-b", 2), (3, "new", 2)]
