"""append_dedup: which record wins per primary key, inside a batch, across batches and across syncs."""

from __future__ import annotations

from airbyte_dest_kit.testing.builders import catalog, record, stream_state
from integration_tests.duckdb.harness import INT_SCHEMA, STR_SCHEMA, configured_stream

PROPS = {"id": INT_SCHEMA, "v": STR_SCHEMA, "cursor": INT_SCHEMA}


def dedup_catalog(primary_key=("id",), cursor="cursor", props=None) -> dict:
    return catalog(
        configured_stream("items", props or PROPS, mode="append_dedup", primary_key=list(primary_key), cursor=cursor)
    )


def item(data: dict, emitted_at: int = 1_000) -> dict:
    return record("items", data, emitted_at=emitted_at)


def winners(dest, columns=("id", "v")) -> dict:
    rows = dest.rows("items")
    keys = [r["id"] for r in rows]
    assert len(keys) == len(set(keys)), f"more than one row per key: {rows}"
    return {r["id"]: tuple(r[c] for c in columns[1:]) if len(columns) > 2 else r[columns[1]] for r in rows}


def test_greatest_cursor_wins_inside_one_batch(dest):
    dest.write(
        dedup_catalog(),
        [
            item({"id": 1, "v": "c5", "cursor": 5}),
            item({"id": 1, "v": "c9", "cursor": 9}),
            item({"id": 1, "v": "c2", "cursor": 2}),
            item({"id": 2, "v": "only", "cursor": 1}),
        ],
    ).assert_ok()
    assert winners(dest) == {1: "c9", 2: "only"}


def test_null_cursor_loses_to_non_null(dest):
    dest.write(
        dedup_catalog(),
        [
            item({"id": 1, "v": "has-cursor", "cursor": 1}),
            item({"id": 1, "v": "null-cursor", "cursor": None}, emitted_at=9_000),  # later, but cursor NULL
            item({"id": 2, "v": "null-first", "cursor": None}),
            item({"id": 2, "v": "missing-cursor"}),  # absent cursor is NULL too: ties, later arrival wins
        ],
    ).assert_ok()
    assert winners(dest) == {1: "has-cursor", 2: "missing-cursor"}


def test_null_cursor_loses_to_non_null_across_syncs(dest):
    dest.write(dedup_catalog(), [item({"id": 1, "v": "has-cursor", "cursor": 1})]).assert_ok()
    dest.write(dedup_catalog(), [item({"id": 1, "v": "null-cursor", "cursor": None}, emitted_at=9_000)]).assert_ok()
    dest.write(dedup_catalog(), [item({"id": 2, "v": "null", "cursor": None})]).assert_ok()
    dest.write(dedup_catalog(), [item({"id": 2, "v": "non-null", "cursor": 0}, emitted_at=1)]).assert_ok()
    assert winners(dest) == {1: "has-cursor", 2: "non-null"}


def test_both_cursors_null_later_record_wins_across_syncs(dest):
    dest.write(dedup_catalog(), [item({"id": 1, "v": "first", "cursor": None}, emitted_at=1_000)]).assert_ok()
    dest.write(dedup_catalog(), [item({"id": 1, "v": "newer", "cursor": None}, emitted_at=2_000)]).assert_ok()
    assert winners(dest) == {1: "newer"}
    dest.write(dedup_catalog(), [item({"id": 1, "v": "same-time", "cursor": None}, emitted_at=2_000)]).assert_ok()
    assert winners(dest) == {1: "same-time"}


def test_cursor_ties_broken_by_emitted_at_then_arrival(dest):
    dest.write(
        dedup_catalog(),
        [
            item({"id": 1, "v": "late", "cursor": 5}, emitted_at=3_000),
            item({"id": 1, "v": "early", "cursor": 5}, emitted_at=1_000),  # arrives later, extracted earlier
            item({"id": 2, "v": "first", "cursor": 5}, emitted_at=1_000),
            item({"id": 2, "v": "second", "cursor": 5}, emitted_at=1_000),
            item({"id": 2, "v": "third", "cursor": 5}, emitted_at=1_000),
        ],
    ).assert_ok()
    assert winners(dest) == {1: "late", 2: "third"}


def test_cursor_ties_across_syncs(dest):
    dest.write(
        dedup_catalog(),
        [
            item({"id": 1, "v": "s1", "cursor": 5}, emitted_at=5_000),
            item({"id": 2, "v": "s1", "cursor": 5}, emitted_at=5_000),
        ],
    ).assert_ok()
    dest.write(
        dedup_catalog(),
        [
            item({"id": 1, "v": "s2-older", "cursor": 5}, emitted_at=4_000),
            item({"id": 2, "v": "s2-same", "cursor": 5}, emitted_at=5_000),
        ],
    ).assert_ok()
    # Equal cursor: the later extraction wins; fully tied, the later arrival (sync 2) wins.
    assert winners(dest) == {1: "s1", 2: "s2-same"}


def test_without_cursor_last_arrival_wins(dest):
    cat = dedup_catalog(cursor=None)
    dest.write(
        cat,
        [
            item({"id": 1, "v": "a"}),
            item({"id": 1, "v": "b"}),
            item({"id": 2, "v": "x"}, emitted_at=2_000),
            item({"id": 2, "v": "y"}, emitted_at=1_000),  # extracted earlier: loses despite arriving later
        ],
    ).assert_ok()
    assert winners(dest) == {1: "b", 2: "x"}
    dest.write(cat, [item({"id": 1, "v": "c"})]).assert_ok()
    assert winners(dest) == {1: "c", 2: "x"}


def test_composite_key(dest):
    props = {"tenant": STR_SCHEMA, "id": INT_SCHEMA, "v": STR_SCHEMA, "cursor": INT_SCHEMA}
    cat = dedup_catalog(primary_key=("tenant", "id"), props=props)
    dest.write(
        cat,
        [
            record("items", {"tenant": "a", "id": 1, "v": "a1-old", "cursor": 1}),
            record("items", {"tenant": "b", "id": 1, "v": "b1", "cursor": 1}),
            record("items", {"tenant": "a", "id": 1, "v": "a1-new", "cursor": 2}),
            record("items", {"tenant": "a", "id": 2, "v": "a2", "cursor": 1}),
        ],
    ).assert_ok()
    dest.write(cat, [record("items", {"tenant": "b", "id": 1, "v": "b1-new", "cursor": 3})]).assert_ok()
    rows = dest.rows("items", order_by="tenant, id")
    assert [(r["tenant"], r["id"], r["v"]) for r in rows] == [
        ("a", 1, "a1-new"),
        ("a", 2, "a2"),
        ("b", 1, "b1-new"),
    ]


def test_null_key_part_is_a_key(dest):
    props = {"tenant": STR_SCHEMA, "id": INT_SCHEMA, "v": STR_SCHEMA, "cursor": INT_SCHEMA}
    cat = dedup_catalog(primary_key=("tenant", "id"), props=props)
    dest.write(
        cat,
        [
            record("items", {"tenant": None, "id": 1, "v": "null-tenant-1", "cursor": 1}),
            record("items", {"id": 1, "v": "null-tenant-2", "cursor": 2}),  # absent ⇒ NULL: same key
            record("items", {"tenant": "t", "id": 1, "v": "t", "cursor": 1}),
            record("items", {"tenant": None, "id": None, "v": "all-null", "cursor": 1}),
        ],
    ).assert_ok()
    dest.write(
        cat,
        [
            record("items", {"tenant": None, "id": 1, "v": "null-tenant-3", "cursor": 3}),
            record("items", {"tenant": None, "id": None, "v": "all-null-2", "cursor": 2}),
        ],
    ).assert_ok()
    rows = dest.rows("items", order_by="tenant NULLS FIRST, id NULLS FIRST")
    assert [(r["tenant"], r["id"], r["v"]) for r in rows] == [
        (None, None, "all-null-2"),
        (None, 1, "null-tenant-3"),
        ("t", 1, "t"),
    ]


CDC_PROPS = {**PROPS, "_ab_cdc_deleted_at": {"type": ["null", "string"], "format": "date-time"}}
DELETED = "2024-01-01T00:00:00Z"


def test_cdc_delete_removes_key_and_older_delete_loses_to_newer_upsert(dest):
    cat = dedup_catalog(props=CDC_PROPS)
    dest.write(
        cat,
        [item({"id": i, "v": "v1", "cursor": 1}) for i in (1, 2, 3, 4)],
    ).assert_ok()
    dest.write(
        cat,
        [
            item({"id": 1, "v": "gone", "cursor": 2, "_ab_cdc_deleted_at": DELETED}),  # delete wins ⇒ key deleted
            item({"id": 2, "v": "deleted", "cursor": 2, "_ab_cdc_deleted_at": DELETED}),
            item({"id": 2, "v": "re-inserted", "cursor": 3}),  # newer upsert beats the older delete
            item({"id": 3, "v": "stale-delete", "cursor": 0, "_ab_cdc_deleted_at": DELETED}),  # older than table row
            item({"id": 5, "v": "born-deleted", "cursor": 1, "_ab_cdc_deleted_at": DELETED}),  # never inserted
            item({"id": 4, "v": "not-deleted", "cursor": 2, "_ab_cdc_deleted_at": None}),  # null ⇒ an upsert
        ],
    ).assert_ok()
    assert winners(dest) == {2: "re-inserted", 3: "v1", 4: "not-deleted"}


def test_cdc_newer_upsert_in_a_later_sync_restores_a_deleted_key(dest):
    cat = dedup_catalog(props=CDC_PROPS)
    dest.write(cat, [item({"id": 1, "v": "v1", "cursor": 1})]).assert_ok()
    dest.write(cat, [item({"id": 1, "v": "del", "cursor": 2, "_ab_cdc_deleted_at": DELETED})]).assert_ok()
    assert winners(dest) == {}
    dest.write(cat, [item({"id": 1, "v": "v3", "cursor": 3})]).assert_ok()
    assert winners(dest) == {1: "v3"}


def test_cdc_delete_wins_over_an_older_upsert_in_a_later_batch(dest):
    # The winning record for key 1 is the delete (cursor 10): the key must be gone at the end, even though
    # a stale upsert (cursor 5) arrives in a later batch of the same sync. In one batch this works; the
    # outcome must not depend on where the batches happen to be cut.
    cat = dedup_catalog(props=CDC_PROPS)
    messages = [
        item({"id": 1, "v": "deleted", "cursor": 10, "_ab_cdc_deleted_at": DELETED}),
        item({"id": 1, "v": "stale", "cursor": 5}),
    ]
    dest.write(cat, messages).assert_ok()
    assert winners(dest) == {}

    split = type(dest)(dest.tmp_path / "split")
    split.tmp_path.mkdir()
    live = split.start_write(cat, {"buffering": {"max_rows": 1}})
    live.send([messages[0], stream_state("items", {"cursor": 10})])
    assert live.next_state(timeout=30) is not None  # echoed: the delete is committed in a batch of its own
    live.send([messages[1]])
    assert live.finish().returncode == 0
    assert winners(split) == {}


def _many_versions() -> list[dict]:
    """20 keys, each seen 6 times with cursors out of order, interleaved, plus ties and NULL cursors."""
    messages = []
    for round_ in range(6):
        for key in range(20):
            cursor = (round_ * 7 + key * 3) % 6  # every key gets cursors 0..5 in a key-dependent order
            messages.append(item({"id": key, "v": f"k{key}-c{cursor}", "cursor": cursor}, emitted_at=1_000))
        messages.append(item({"id": 100, "v": f"tie-{round_}", "cursor": 1}, emitted_at=1_000))
        messages.append(item({"id": 101, "v": f"null-{round_}", "cursor": None if round_ != 2 else 0}))
    return messages


EXPECTED = {key: f"k{key}-c5" for key in range(20)} | {100: "tie-5", 101: "null-2"}


def test_dedup_in_one_batch_and_in_many_batches_agree(dest, tmp_path):
    one = dest.write(dedup_catalog(), _many_versions())
    assert one.assert_ok().batches("items") == 1
    assert winners(dest) == EXPECTED

    many_dest = type(dest)(tmp_path / "many")
    many_dest.tmp_path.mkdir()
    many = many_dest.write_in_pieces(dedup_catalog(), _many_versions(), piece=3, config={"buffering": {"max_rows": 3}})
    assert many.assert_ok().batches("items") > 10  # merges really happened batch after batch
    assert winners(many_dest) == EXPECTED


def test_dedup_across_two_syncs_with_small_batches(dest):
    messages = _many_versions()
    half = len(messages) // 2
    small = {"buffering": {"max_rows": 3}}
    dest.write_in_pieces(dedup_catalog(), messages[:half], piece=3, config=small).assert_ok()
    dest.write_in_pieces(dedup_catalog(), messages[half:], piece=3, config=small).assert_ok()
    assert winners(dest) == EXPECTED
