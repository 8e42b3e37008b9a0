"""The same scenarios against every writer (DuckDB, PostgreSQL, MariaDB, SQLite): modes run twice,
dedup across syncs, truncate refresh, a failing overwrite, schema evolution, awkward names and values.
Each asserts the exact STATE messages echoed and the rows read back."""

from __future__ import annotations

from typing import Any

from sqltargets import Target, catalog, complete, state

from airbyte_dest_kit.testing.builders import echoed, record

PROPS = {"id": {"type": "integer"}, "name": {"type": ["null", "string"]}, "updated": {"type": ["null", "integer"]}}


def _ids(rows: list[dict[str, Any]]) -> list[Any]:
    return sorted(r["id"] for r in rows)


def _sync(target: Target, cat: dict[str, Any], rows: list[dict[str, Any]], stream: str = "items") -> None:
    """One successful sync: records, a state after each two, all states echoed with exact counts."""
    messages: list[dict[str, Any]] = []
    expected = []
    pending = 0
    for index, data in enumerate(rows, start=1):
        messages.append(record(stream, data, emitted_at=1_700_000_000_000 + index))
        pending += 1
        if index % 2 == 0 or index == len(rows):
            messages.append(state(stream, index))
            expected.append(echoed(messages[-1], pending))
            pending = 0
    messages.append(complete(stream))
    result = target.run(messages, cat)
    assert result.returncode == 0, result.stdout
    assert result.of_type("STATE") == expected


def test_append_twice_keeps_both_syncs(target: Target) -> None:
    cat = catalog("items", PROPS, "append")
    for _ in range(2):
        _sync(target, cat, [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}, {"id": 3}])
    rows = target.read_table(target.schema, "items")
    assert _ids(rows) == [1, 1, 2, 2, 3, 3]
    assert {r["_airbyte_generation_id"] for r in rows} == {0}
    assert all(r["_airbyte_meta"] == {"sync_id": 7, "changes": []} for r in rows)


def test_overwrite_twice_keeps_only_the_last_sync(target: Target) -> None:
    cat = catalog("items", PROPS, "overwrite")
    _sync(target, cat, [{"id": 1}, {"id": 2}, {"id": 3}])
    _sync(target, cat, [{"id": 4}, {"id": 5}])
    assert _ids(target.read_table(target.schema, "items")) == [4, 5]


def test_dedup_twice_merges_by_cursor_across_syncs(target: Target) -> None:
    cat = catalog("items", PROPS, "append_dedup", primary_key=["id"], cursor="updated")
    _sync(
        target,
        cat,
        [
            {"id": 1, "name": "one", "updated": 5},
            {"id": 2, "name": "two", "updated": 5},
            {"id": 3, "name": "three", "updated": 5},
            {"id": 4, "name": "four", "updated": None},
            {"id": 5, "name": "five", "updated": None},
            {"id": None, "name": "null key", "updated": 1},
        ],
    )
    _sync(
        target,
        cat,
        [
            {"id": 1, "name": "one v2", "updated": 6},  # greater cursor wins
            {"id": 2, "name": "two old", "updated": 4},  # smaller cursor loses
            {"id": 3, "name": "three tie", "updated": 5},  # tie: later extraction wins
            {"id": 4, "name": "four v2", "updated": 1},  # a cursor beats NULL
            {"id": 5, "name": "five null", "updated": None},  # both NULL: later extraction wins
            {"id": None, "name": "null key v2", "updated": 2},  # NULL keys match NULL-safely
            {"id": 6, "name": "six", "updated": 1},
        ],
    )
    _sync(target, cat, [{"id": 3, "name": "three null", "updated": None}])  # NULL never beats a cursor
    rows = target.read_table(target.schema, "items")
    names = {r["id"]: r["name"] for r in rows}
    assert len(rows) == len(names) == 7
    assert names == {1: "one v2", 2: "two", 3: "three tie", 4: "four v2", 5: "five null", None: "null key v2", 6: "six"}


def test_dedup_applies_cdc_deletes(target: Target) -> None:
    props = {**PROPS, "_ab_cdc_deleted_at": {"type": ["null", "string"]}}
    cat = catalog("items", props, "append_dedup", primary_key=["id"], cursor="updated")
    _sync(target, cat, [{"id": 1, "updated": 1}, {"id": 2, "updated": 1}, {"id": 3, "updated": 1}])
    _sync(
        target,
        cat,
        [
            {"id": 2, "updated": 2, "_ab_cdc_deleted_at": "2024-01-01T00:00:00Z"},
            {"id": 3, "updated": 0, "_ab_cdc_deleted_at": "2024-01-01T00:00:00Z"},  # an older delete loses
            {"id": 4, "updated": 1, "_ab_cdc_deleted_at": "2024-01-01T00:00:00Z"},  # deleting the unknown: no row
        ],
    )
    assert _ids(target.read_table(target.schema, "items")) == [1, 3]
    # A later sync brings an older version of the deleted key 2 (it loses to the remembered delete) and a
    # newer version of the deleted key 4 (it wins): one batch or many, the answer is the same.
    _sync(target, cat, [{"id": 2, "updated": 1, "name": "stale"}, {"id": 4, "updated": 2, "name": "back"}])
    assert {r["id"]: r["name"] for r in target.read_table(target.schema, "items")} == {1: None, 3: None, 4: "back"}


def test_truncate_refresh_replaces_old_generations_at_the_end(target: Target) -> None:
    _sync(target, catalog("items", PROPS, "append", generation=1), [{"id": 1}, {"id": 2}])
    refresh = catalog("items", PROPS, "append", generation=2, minimum_generation=2)
    # A first attempt fails before completing: old rows stay visible, the staged rows are kept.
    failed = target.run([record("items", {"id": 3}), state("items", 1), "not json"], refresh)
    assert failed.returncode == 1
    assert failed.of_type("STATE") == [echoed(state("items", 1), 1)]
    assert _ids(target.read_table(target.schema, "items")) == [1, 2]
    # The retry of the same generation continues the staged rows.
    _sync(target, refresh, [{"id": 4}])
    rows = target.read_table(target.schema, "items")
    assert _ids(rows) == [3, 4]
    assert {r["_airbyte_generation_id"] for r in rows} == {2}


def test_a_normal_sync_after_a_cancelled_truncate_keeps_every_row(target: Target) -> None:
    # Protocol §4.6: a refresh that fails and is then cancelled loses nothing; the next normal sync (a new
    # generation, nothing to remove) shows the rows of all three syncs, the staged ones included.
    _sync(target, catalog("items", PROPS, "append", generation=1), [{"id": 1}, {"id": 2}])
    refresh = catalog("items", PROPS, "append", generation=2, minimum_generation=2)
    failed = target.run([record("items", {"id": 3}), state("items", 1), "not json"], refresh)
    assert failed.returncode == 1 and _ids(target.read_table(target.schema, "items")) == [1, 2]
    _sync(target, catalog("items", PROPS, "append", generation=3), [{"id": 4}])
    rows = target.read_table(target.schema, "items")
    assert sorted((r["id"], r["_airbyte_generation_id"]) for r in rows) == [(1, 1), (2, 1), (3, 2), (4, 3)]
    # Adopted once: a further sync does not bring the staged rows again.
    _sync(target, catalog("items", PROPS, "append", generation=3), [{"id": 5}])
    assert _ids(target.read_table(target.schema, "items")) == [1, 2, 3, 4, 5]


def test_staged_rows_of_a_cancelled_dedup_refresh_merge_by_the_dedup_rules(target: Target) -> None:
    def dedup(**generations: int) -> dict[str, Any]:
        return catalog("items", PROPS, "append_dedup", primary_key=["id"], cursor="updated", **generations)

    _sync(target, dedup(generation=1), [{"id": 1, "name": "old", "updated": 1}, {"id": 2, "name": "two", "updated": 5}])
    refresh = dedup(generation=2, minimum_generation=2)
    staged = [
        record("items", {"id": 1, "name": "staged newer", "updated": 2}),
        record("items", {"id": 2, "name": "staged older", "updated": 4}),
        state("items", 1),
        "not json",
    ]
    assert target.run(staged, refresh).returncode == 1
    _sync(target, dedup(generation=3), [{"id": 3, "name": "three", "updated": 1}])
    names = {r["id"]: r["name"] for r in target.read_table(target.schema, "items")}
    assert names == {1: "staged newer", 2: "two", 3: "three"}


def test_overwrite_failing_halfway_leaves_old_data(target: Target) -> None:
    cat = catalog("items", PROPS, "overwrite")
    _sync(target, cat, [{"id": 1}, {"id": 2}])
    failed = target.run(
        [
            record("items", {"id": 10}),
            record("items", {"id": 11}),
            state("items", 1),
            record("items", {"id": 12}),
            '{"type": "RECORD", "record": {"stream": "items", "data": ',
            record("items", {"id": 13}),
            state("items", 2),
        ],
        cat,
    )
    assert failed.returncode == 1
    assert failed.of_type("STATE") == [echoed(state("items", 1), 2)]
    assert "line 5" in failed.errors()[0]["message"]
    assert _ids(target.read_table(target.schema, "items")) == [1, 2]
    _sync(target, cat, [{"id": 20}])
    assert _ids(target.read_table(target.schema, "items")) == [20]


def test_schema_evolution_adds_and_widens_columns(target: Target) -> None:
    _sync(target, catalog("items", {"id": {"type": "integer"}, "size": {"type": "integer"}}), [{"id": 1, "size": 3}])
    wider = {"id": {"type": "integer"}, "size": {"type": "number"}, "color": {"type": "string"}}
    _sync(target, catalog("items", wider), [{"id": 2, "size": 2.5, "color": "red"}])
    rows = sorted(target.read_table(target.schema, "items"), key=lambda r: r["id"])
    assert [(r["id"], float(r["size"]), r["color"]) for r in rows] == [(1, 3.0, None), (2, 2.5, "red")]


def test_awkward_names_and_values_round_trip(target: Target) -> None:
    long_name = "a_column_name_" + "x" * 86  # 100 characters
    props = {
        "id": {"type": "integer"},
        "order": {"type": "string"},
        "select": {"type": "integer"},
        "group": {"type": "boolean"},
        long_name: {"type": "string"},
        "名前 é": {"type": "string"},
        "nested": {"type": "object"},
        "when": {"type": "string", "format": "date-time"},
        "day": {"type": "string", "format": "date"},
        "big": {"type": "integer"},
    }
    nested = {"a": [1, {"b": "ü\"'\\"}], "c": None, "d": {"e": 1.5}}
    data = {
        "id": 1,
        "order": "x,\"y\"\n'z'",
        "select": 2,
        "group": True,
        long_name: "long",
        "名前 é": "ユニコード 🎉",
        "nested": nested,
        "when": "2024-05-01T12:00:00+02:00",
        "day": "2024-05-01",
        "big": 2**70,
    }
    _sync(target, catalog("select", props), [data, {"id": 2, "order": ""}], stream="select")
    rows = sorted(target.read_table(target.schema, "select"), key=lambda r: r["id"])
    first = rows[0]
    long_column = next(k for k in first if k.startswith("a_column_name_"))
    assert len(long_column.encode()) <= 100
    assert (first["order"], first["select"], bool(first["group"]), first[long_column]) == (
        "x,\"y\"\n'z'",
        2,
        True,
        "long",
    )
    assert first["名前 é"] == "ユニコード 🎉"
    assert first["nested"] == nested
    assert first["when"].startswith("2024-05-01 10:00:00")  # normalised to UTC
    assert first["day"] == "2024-05-01"
    assert first["big"] is None
    assert first["_airbyte_meta"]["changes"] == [
        {"field": "big", "change": "NULLED", "reason": "DESTINATION_FIELD_SIZE_LIMITATION"}
    ]
    assert rows[1]["order"] == ""  # empty string stays distinct from NULL
    assert rows[1]["select"] is None


def _two_streams(*streams: dict[str, Any]) -> dict[str, Any]:
    return {"streams": [s for c in streams for s in c["streams"]]}


def _sync_both(target: Target, cat: dict[str, Any], rows: dict[str, list[dict[str, Any]]]) -> None:
    messages: list[Any] = []
    for index, (stream, data) in enumerate(rows.items()):
        messages += [record(stream, d, emitted_at=1_700_000_000_000 + index) for d in data]
        messages += [state(stream, index), complete(stream)]
    result = target.run(messages, cat)
    assert result.returncode == 0, result.stdout
    assert len(result.of_type("STATE")) == len(rows)


def test_overwrite_beside_a_stream_named_like_its_staging_table(target: Target) -> None:
    # Before the names were reserved together, the second sync swapped users_airbyte_tmp's rows into users
    # and lost that stream.
    cat = _two_streams(catalog("users", PROPS, "overwrite"), catalog("users_airbyte_tmp", PROPS, "append"))
    _sync_both(target, cat, {"users": [{"id": 1}, {"id": 2}], "users_airbyte_tmp": [{"id": 10}] * 7})
    _sync_both(target, cat, {"users": [{"id": 3}], "users_airbyte_tmp": [{"id": 11}] * 3})
    assert _ids(target.read_table(target.schema, "users")) == [3]
    assert _ids(target.read_table(target.schema, "users_airbyte_tmp")) == [10] * 7 + [11] * 3


def test_dedup_with_deletes_beside_a_stream_named_like_its_tombstones(target: Target) -> None:
    # Before, the other stream's rows acted as tombstones and deleted live users.
    props = {**PROPS, "_ab_cdc_deleted_at": {"type": ["null", "string"]}}
    cat = _two_streams(
        catalog("users", props, "append_dedup", primary_key=["id"], cursor="updated"),
        catalog("users_airbyte_deletes", props, "append"),
    )
    live = [{"id": i, "updated": 1} for i in (1, 2, 3, 4)]
    others = [{"id": i, "updated": 9, "_ab_cdc_deleted_at": "2024-01-01T00:00:00Z"} for i in (1, 2, 3)]
    _sync_both(target, cat, {"users": live, "users_airbyte_deletes": others})
    newer = [{"id": i, "updated": 2} for i in (1, 2, 3, 5)]  # newer versions of live users, and a new one
    _sync_both(target, cat, {"users": newer, "users_airbyte_deletes": others})
    users = target.read_table(target.schema, "users")
    assert sorted((r["id"], r["updated"]) for r in users) == [(1, 2), (2, 2), (3, 2), (4, 1), (5, 2)]
    assert _ids(target.read_table(target.schema, "users_airbyte_deletes")) == [1, 1, 2, 2, 3, 3]
    # and its own deletes still work, kept apart from the other stream
    gone = {"id": 2, "updated": 2, "_ab_cdc_deleted_at": "2024-01-02T00:00:00Z"}
    _sync_both(target, cat, {"users": [gone], "users_airbyte_deletes": []})
    assert _ids(target.read_table(target.schema, "users")) == [1, 3, 4, 5]
    assert _ids(target.read_table(target.schema, "users_airbyte_deletes")) == [1, 1, 2, 2, 3, 3]
