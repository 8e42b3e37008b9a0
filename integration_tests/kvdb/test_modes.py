"""destination-kvdb, every mode run twice, against a real server process: keys, exact values, states."""

from __future__ import annotations

from typing import Any

from airbyte_dest_kit.connectors.destination_kvdb.connector import DestinationKvdb
from airbyte_dest_kit.testing.builders import catalog, echoed, record, stream_state
from airbyte_dest_kit.testing.harness import run_connector
from airbyte_dest_kit.writers.kvdb import writer as kvdb_writer
from integration_tests.duckdb.harness import INT_SCHEMA, STR_SCHEMA, configured_stream
from integration_tests.kvdb.harness import KvdbDestination

EMITTED = 1_700_000_000_000
USERS = {"id": INT_SCHEMA, "name": STR_SCHEMA, "at": {"type": "string", "format": "date-time"}}
AIRBYTE_FIELDS = {"_airbyte_raw_id", "_airbyte_extracted_at", "_airbyte_meta", "_airbyte_generation_id"}


def users(mode: str, **options: Any) -> dict[str, Any]:
    return catalog(configured_stream("users", USERS, mode=mode, **options))


def test_append_twice_keys_by_raw_id_and_keeps_values_as_the_source_wrote_them(kvdb: KvdbDestination) -> None:
    cat = catalog(
        configured_stream("users", USERS),
        configured_stream("orders", {"id": INT_SCHEMA}, namespace="shop/eu%"),
    )
    # Written by hand: the values must come back as these texts say, not as Python would re-encode them.
    raw = (
        '{"type":"RECORD","record":{"stream":"users","emitted_at":' + str(EMITTED) + ',"data":{"id":1,"name":"Ada",'
        '"at":"2024-01-01T00:00:00Z","score":3,"big":123456789012345678901234567890,"tags":["a",{"b":null}],"dec":123456789.123456789,'
        '"trailing":1.50}}}'
    )
    messages = [
        raw,
        record("users", {"id": "two", "name": "Bo", "at": "yesterday"}, emitted_at=EMITTED + 1),  # nothing retyped
        record("orders", {"id": 7}, namespace="shop/eu%"),
        stream_state("users", {"cursor": 2}, id=1, source_count=2),
    ]
    first = kvdb.write(cat, messages).assert_ok()
    assert first.of_type("STATE") == [echoed(messages[-1], 2)]  # type: ignore[arg-type]

    stored = kvdb.entries("users/")
    assert len(stored) == 2
    for key, value in stored.items():
        assert key == "users/" + value["_airbyte_raw_id"]
        assert value["_airbyte_meta"] == {"sync_id": 1, "changes": []}  # "two" was not typed into a column
        assert value["_airbyte_generation_id"] == 0
    assert sorted(kvdb.data("users/"), key=lambda v: v["name"]) == [
        {
            "id": 1,
            "name": "Ada",
            "at": "2024-01-01T00:00:00Z",
            "score": 3,
            "big": 123456789012345678901234567890,
            "tags": ["a", {"b": None}],
            "dec": 123456789.123456789,
            "trailing": 1.5,
        },
        {"id": "two", "name": "Bo", "at": "yesterday"},
    ]
    assert sorted(v["_airbyte_extracted_at"] for v in stored.values()) == [EMITTED, EMITTED + 1]
    raw_text = kvdb.server.request_text("GET", f"/{kvdb.bucket}/?prefix=users/&values=true&format=json")
    for token in ('"big":123456789012345678901234567890', '"dec":123456789.123456789', '"trailing":1.50'):
        assert token in raw_text  # digit for digit, no float on the way
    (order_key,) = kvdb.entries("shop%2Feu%25/orders/")  # names percent-encoded, namespace first
    assert order_key.count("/") == 2

    kvdb.write(cat, messages).assert_ok()
    assert len(kvdb.entries("users/")) == 4
    assert sorted(v["name"] for v in kvdb.data("users/")) == ["Ada", "Ada", "Bo", "Bo"]
    assert len(kvdb.entries("shop%2Feu%25/orders/")) == 2
    assert set(kvdb.entries()) == set(kvdb.entries("users/")) | set(kvdb.entries("shop%2Feu%25/orders/"))


def test_append_dedup_twice_one_key_per_primary_key_by_the_winner_rule(kvdb: KvdbDestination) -> None:
    props = {"id": INT_SCHEMA, "v": INT_SCHEMA, "_ab_cdc_deleted_at": STR_SCHEMA, "note": STR_SCHEMA}
    cat = catalog(configured_stream("users", props, mode="append_dedup", primary_key=["id"], cursor="v"))
    first_batch = [
        record("users", {"id": 1, "v": 1, "note": "old"}),
        record("users", {"id": 1, "v": 2, "note": "newest of batch 1"}),
        record("users", {"id": 2, "v": 5, "note": "five"}),
        record("users", {"id": 3, "v": 1, "note": "to be deleted"}),
        stream_state("users", {"n": 1}),
    ]
    second_batch = [  # arrives as a later batch of the same sync
        record("users", {"id": 2, "v": 3, "note": "stale"}, emitted_at=EMITTED + 5),
        record("users", {"id": 3, "v": 2, "_ab_cdc_deleted_at": "2024-01-02T00:00:00Z"}, emitted_at=EMITTED + 5),
        stream_state("users", {"n": 2}),
    ]
    run = kvdb.write_in_pieces(cat, [first_batch, second_batch])
    assert len(run.of_type("STATE")) == 2
    assert {k: (v["v"], v["note"]) for k, v in kvdb.entries("users/").items()} == {
        "users/1": (2, "newest of batch 1"),
        "users/2": (5, "five"),
    }
    assert list(kvdb.entries("users_airbyte_deletes/")) == ["users_airbyte_deletes/3"]

    later = EMITTED + 10
    kvdb.write(
        cat,
        [
            record("users", {"id": 3, "v": 1, "note": "stale update of a deleted key"}, emitted_at=later),
            record("users", {"id": 1, "v": 9, "note": "newer"}, emitted_at=later),
            record("users", {"id": 2, "v": None, "note": "null cursor is oldest"}, emitted_at=later),
            record("users", {"id": 4, "v": 1, "note": "new key"}, emitted_at=later),
        ],
    ).assert_ok()
    assert {k: (v["v"], v["note"]) for k, v in kvdb.entries("users/").items()} == {
        "users/1": (9, "newer"),
        "users/2": (5, "five"),
        "users/4": (1, "new key"),
    }
    assert list(kvdb.entries("users_airbyte_deletes/")) == ["users_airbyte_deletes/3"]
    # A newer version brings a deleted key back, and its tombstone goes.
    kvdb.write(cat, [record("users", {"id": 3, "v": 7, "note": "back"}, emitted_at=later + 1)]).assert_ok()
    assert kvdb.entries("users/")["users/3"]["note"] == "back"
    assert kvdb.entries("users_airbyte_deletes/") == {}


def test_append_dedup_composite_and_awkward_keys(kvdb: KvdbDestination) -> None:
    props = {"a": STR_SCHEMA, "b": INT_SCHEMA, "n": INT_SCHEMA}
    cat = catalog(configured_stream("t/x", props, mode="append_dedup", primary_key=["a", "b"]))
    rows = [{"a": "p/q,r%", "b": 1, "n": 1}, {"a": None, "b": 2, "n": 2}, {"a": "p/q,r%", "b": 1, "n": 3}]
    for _ in range(2):
        kvdb.write(cat, [record("t/x", r) for r in rows]).assert_ok()
    assert {k: v["n"] for k, v in kvdb.entries("t%2Fx/").items()} == {"t%2Fx/%00,2": 2, "t%2Fx/p%2Fq%2Cr%25,1": 3}


def test_overwrite_twice_replaces_the_previous_generation_at_the_end(kvdb: KvdbDestination) -> None:
    both = catalog(configured_stream("users", USERS, mode="overwrite"), configured_stream("teams", USERS))
    kvdb.write(both, [record("users", {"id": i, "name": "old"}) for i in (1, 2)] + [record("teams", {"id": 7})])
    assert sorted(v["id"] for v in kvdb.data("users/")) == [1, 2]
    state = stream_state("users", {"v": 2}, id=9)
    second = kvdb.write(users("overwrite"), [record("users", {"id": 3, "name": "new"}), state]).assert_ok()
    assert second.of_type("STATE") == [echoed(state, 1)]
    assert kvdb.data("users/") == [{"id": 3, "name": "new"}]
    assert kvdb.data("teams/") == [{"id": 7}]
    assert set(kvdb.entries()) == set(kvdb.entries("users/")) | set(kvdb.entries("teams/"))  # nothing staged left


def test_an_interrupted_overwrite_leaves_the_previous_generation_readable(kvdb: KvdbDestination) -> None:
    def refresh(generation: int) -> dict[str, Any]:
        return users("append", generation_id=generation, minimum_generation_id=generation)

    kvdb.write(refresh(5), [record("users", {"id": i, "name": "gen 5"}) for i in (1, 2)]).assert_ok()
    # Generation 6 fails halfway: its first records are committed (to staging), then a bad line stops it.
    failed = kvdb.write(refresh(6), [record("users", {"id": 3, "name": "gen 6, attempt 1"}), "not json"])
    failed.assert_failed()
    assert sorted((v["id"], v["name"]) for v in kvdb.data("users/")) == [(1, "gen 5"), (2, "gen 5")]
    assert [v["name"] for v in kvdb.data("users_airbyte_tmp/")] == ["gen 6, attempt 1"]
    # The retry of generation 6 continues the staged rows; the swap then drops generation 5.
    kvdb.write(refresh(6), [record("users", {"id": 4, "name": "gen 6, attempt 2"})]).assert_ok()
    stored = kvdb.entries("users/")
    assert sorted(v["name"] for v in stored.values()) == ["gen 6, attempt 1", "gen 6, attempt 2"]
    assert {v["_airbyte_generation_id"] for v in stored.values()} == {6}
    assert kvdb.entries("users_airbyte_tmp/") == {}


def test_a_stream_without_completion_status_is_not_swapped(kvdb: KvdbDestination) -> None:
    kvdb.write(users("overwrite"), [record("users", {"id": 1, "name": "old"})]).assert_ok()
    started = {
        "type": "TRACE",
        "trace": {
            "type": "STREAM_STATUS",
            "emitted_at": 1.0,
            "stream_status": {"stream_descriptor": {"name": "users"}, "status": "INCOMPLETE"},
        },
    }
    kvdb.write(users("overwrite"), [record("users", {"id": 2, "name": "new"}), started]).assert_ok()
    assert kvdb.data("users/") == [{"id": 1, "name": "old"}]


def test_many_records_in_many_requests(kvdb: KvdbDestination) -> None:
    messages = [record("users", {"id": i, "name": f"u{i}"}) for i in range(5000)]
    before = kvdb.server.stats().get("transactions", 0)
    kvdb.write(users("append"), messages, {"request_max_entries": 400, "concurrent_requests": 3}).assert_ok()
    assert sorted(v["id"] for v in kvdb.data("users/")) == list(range(5000))
    assert kvdb.server.stats()["transactions"] - before >= 5000 // 400


def test_dedup_truncate_refresh_replaces_the_generation_and_a_cancelled_one_is_adopted(kvdb: KvdbDestination) -> None:
    def dedup(generation: int, minimum: int) -> dict[str, Any]:
        options = {"primary_key": ["id"], "generation_id": generation, "minimum_generation_id": minimum}
        return users("append_dedup", **options)

    kvdb.write(dedup(1, 0), [record("users", {"id": i, "name": "gen 1"}) for i in (1, 2)]).assert_ok()
    # A dedup refresh that truncates: merged in staging, swapped in at the end, one key per id.
    refreshed = [record("users", {"id": 2, "name": "gen 2 a"}), record("users", {"id": 2, "name": "gen 2 b"})]
    kvdb.write(dedup(2, 2), [*refreshed, record("users", {"id": 3, "name": "gen 2"})]).assert_ok()
    assert {k: v["name"] for k, v in kvdb.entries("users/").items()} == {"users/2": "gen 2 b", "users/3": "gen 2"}
    # A refresh that fails is then given up: the next normal sync adopts its staged keys (protocol 4.6).
    kvdb.write(dedup(3, 3), [record("users", {"id": 4, "name": "gen 3, cancelled"}), "not json"]).assert_failed()
    assert set(kvdb.entries("users/")) == {"users/2", "users/3"}
    kvdb.write(dedup(4, 0), [record("users", {"id": 3, "name": "gen 4"})]).assert_ok()
    assert {k: v["name"] for k, v in kvdb.entries("users/").items()} == {
        "users/2": "gen 2 b",
        "users/3": "gen 4",
        "users/4": "gen 3, cancelled",
    }
    assert kvdb.entries("users_airbyte_tmp/") == {}


def test_append_dedup_reads_the_stored_versions_in_groups(kvdb: KvdbDestination, monkeypatch: Any) -> None:
    """The index of stored versions is typed a few entries at a time (in-process, groups of 3 for 9 live keys
    and 4 tombstones): the winner rule still sees every stored version."""
    monkeypatch.setattr(kvdb_writer, "INDEX_GROUP", 3)
    props = {"id": INT_SCHEMA, "v": INT_SCHEMA, "_ab_cdc_deleted_at": STR_SCHEMA}
    cat = catalog(configured_stream("users", props, mode="append_dedup", primary_key=["id"], cursor="v"))
    deleted = "2024-01-02T00:00:00Z"

    def write(rows: list[dict[str, Any]]) -> None:
        messages = [record("users", row) for row in rows]
        run = run_connector(DestinationKvdb(), "write", config=kvdb.config(), catalog=cat, messages=messages)
        assert run.returncode == 0, run.stdout

    write(
        [{"id": i, "v": 5} for i in range(9)] + [{"id": i, "v": 5, "_ab_cdc_deleted_at": deleted} for i in range(9, 13)]
    )
    assert len(kvdb.entries("users/")) == 9 and len(kvdb.entries("users_airbyte_deletes/")) == 4
    write(
        [{"id": i, "v": 4 if i % 2 else 6} for i in range(9)]  # odd ids stale, even ids newer
        + [{"id": 9, "v": 4}, {"id": 10, "v": 6}]  # a stale update of a deleted key; a newer one brings it back
        + [{"id": 0, "v": 7, "_ab_cdc_deleted_at": deleted}]  # deleted after its update in the same batch
    )
    assert {k: v["v"] for k, v in kvdb.entries("users/").items()} == {
        **{f"users/{i}": 5 for i in range(1, 9, 2)},
        **{f"users/{i}": 6 for i in range(2, 9, 2)},
        "users/10": 6,
    }
    assert sorted(kvdb.entries("users_airbyte_deletes/")) == [f"users_airbyte_deletes/{i}" for i in (0, 11, 12, 9)]
