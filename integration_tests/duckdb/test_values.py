"""Typing: values that do not fit their column become NULL with a change entry; meta columns are right."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timezone

from airbyte_dest_kit.testing.builders import catalog, record
from integration_tests.duckdb.harness import configured_stream

PROPS = {
    "id": {"type": "integer"},
    "i": {"type": ["null", "integer"]},
    "n": {"type": "number"},
    "b": {"type": "boolean"},
    "d": {"type": "string", "format": "date"},
    "ts": {"type": "string", "format": "date-time"},
    "tsn": {"type": "string", "format": "date-time", "airbyte_type": "timestamp_without_timezone"},
    "s": {"type": "string"},
    "o": {"type": "object", "properties": {"a": {"type": "array"}}},
    "arr": {"type": "array", "items": {}},
}
SYNC_ID = 42
UPSTREAM = {"field": "bio", "change": "TRUNCATED", "reason": "SOURCE_FIELD_SIZE_LIMITATION"}


def nulled(field: str, reason: str = "DESTINATION_TYPECAST_ERROR") -> dict:
    return {"field": field, "change": "NULLED", "reason": reason}


def load(dest, records: list[dict]) -> dict[int, dict]:
    dest.write(catalog(configured_stream("v", PROPS, sync_id=SYNC_ID)), records).assert_ok()
    return {row["id"]: row for row in dest.rows("v")}


def changes(row: dict) -> list[dict]:
    meta = json.loads(row["_airbyte_meta"])
    assert meta["sync_id"] == SYNC_ID
    return meta["changes"]


def test_integer_values_that_do_not_fit(dest):
    rows = load(
        dest,
        [
            record("v", {"id": 1, "i": "abc"}),
            record("v", {"id": 2, "i": 1.5}),
            record("v", {"id": 3, "i": 2**70}),
            record("v", {"id": 4, "i": -(2**70)}),
            record("v", {"id": 5, "i": "12"}),
            record("v", {"id": 6, "i": 5.0}),
            record("v", {"id": 7, "i": None}),
            record("v", {"id": 8}),
            record("v", {"id": 9, "i": 2**63 - 1}),
            record("v", {"id": 10, "i": True}),
            record("v", {"id": 11, "i": {"x": 1}}),
        ],
    )
    assert {k: r["i"] for k, r in rows.items()} == {
        1: None,
        2: None,
        3: None,
        4: None,
        5: 12,
        6: 5,
        7: None,
        8: None,
        9: 2**63 - 1,
        10: None,
        11: None,
    }
    assert changes(rows[1]) == [nulled("i")]
    assert changes(rows[2]) == [nulled("i")]
    assert changes(rows[3]) == [nulled("i", "DESTINATION_FIELD_SIZE_LIMITATION")]
    assert changes(rows[4]) == [nulled("i", "DESTINATION_FIELD_SIZE_LIMITATION")]
    assert changes(rows[10]) == [nulled("i")]
    assert changes(rows[11]) == [nulled("i")]
    for clean in (5, 6, 7, 8, 9):
        assert changes(rows[clean]) == [], clean  # JSON null / absent / fitting values: no change entry


def test_upstream_changes_are_kept_before_destination_changes(dest):
    rows = load(
        dest,
        [
            record("v", {"id": 1, "i": "abc", "n": "x"}, meta={"changes": [UPSTREAM]}),
            record("v", {"id": 2, "i": 1}, meta={"changes": [UPSTREAM]}),
            record("v", {"id": 3}, meta={"changes": []}),
        ],
    )
    assert changes(rows[1]) == [UPSTREAM, nulled("i"), nulled("n")]
    assert changes(rows[2]) == [UPSTREAM]
    assert changes(rows[3]) == []


def test_other_scalar_types(dest):
    rows = load(
        dest,
        [
            record("v", {"id": 1, "n": 1.25, "b": True, "d": "2024-02-29", "s": "text"}),
            record("v", {"id": 2, "n": "1e3", "b": "false", "s": 5}),
            record("v", {"id": 3, "n": "NaN", "b": "maybe", "d": "2024-02-30", "ts": "yesterday"}),
        ],
    )
    assert (rows[1]["n"], rows[1]["b"], rows[1]["d"], rows[1]["s"]) == (1.25, True, date(2024, 2, 29), "text")
    assert (rows[2]["n"], rows[2]["b"], rows[2]["s"]) == (1000.0, False, "5")
    assert changes(rows[2]) == []  # a number into a string column is its text, not an error
    assert (rows[3]["n"], rows[3]["b"], rows[3]["d"], rows[3]["ts"]) == (None, None, None, None)
    assert changes(rows[3]) == [nulled("n"), nulled("b"), nulled("d"), nulled("ts")]


def test_timestamps_with_zone_are_normalised_to_utc(dest):
    rows = load(
        dest,
        [
            record("v", {"id": 1, "ts": "2024-05-01T12:00:00+02:00", "tsn": "2024-05-01T12:00:00"}),
            record("v", {"id": 2, "ts": "2024-05-01T12:00:00.123456Z"}),
            record("v", {"id": 3, "ts": "2023-12-31T23:30:00-01:00"}),
        ],
    )
    assert rows[1]["ts"] == datetime(2024, 5, 1, 10, 0, tzinfo=timezone.utc)
    assert rows[1]["tsn"] == datetime(2024, 5, 1, 12, 0)
    assert rows[2]["ts"] == datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=timezone.utc)
    assert rows[3]["ts"] == datetime(2024, 1, 1, 0, 30, tzinfo=timezone.utc)
    assert dest.columns("v")["ts"] == "TIMESTAMP WITH TIME ZONE"


def test_nested_values_are_stored_as_json(dest):
    nested = {"a": [1, {"b": None, "c": "ü"}], "extra": {"deep": True}}
    rows = load(dest, [record("v", {"id": 1, "o": nested, "arr": [1, "x", None, [2]]})])
    assert json.loads(rows[1]["o"]) == nested
    assert json.loads(rows[1]["arr"]) == [1, "x", None, [2]]
    assert dest.columns("v")["o"] == "JSON"


def test_undeclared_fields_are_kept_as_additional_properties(dest):
    rows = load(
        dest,
        [
            record("v", {"id": 1, "s": "x", "surprise": {"k": [1]}, "z": 2}),
            record("v", {"id": 2, "s": "y"}),
            record("v", {"id": 3, "surprise": None}),
        ],
    )
    assert json.loads(rows[1]["_airbyte_additional_properties"]) == {"surprise": {"k": [1]}, "z": 2}
    assert rows[2]["_airbyte_additional_properties"] is None
    assert json.loads(rows[3]["_airbyte_additional_properties"]) == {"surprise": None}


def test_meta_columns(dest):
    emitted = 1_717_000_000_123
    rows = load(dest, [record("v", {"id": i}, emitted_at=emitted + i) for i in (1, 2, 3)])
    raw_ids = {r["_airbyte_raw_id"] for r in rows.values()}
    assert len(raw_ids) == 3
    assert all(uuid.UUID(raw).version == 7 for raw in raw_ids)
    for i, row in rows.items():
        expected = datetime.fromtimestamp((emitted + i) / 1000, tz=timezone.utc)
        assert row["_airbyte_extracted_at"] == expected
        assert json.loads(row["_airbyte_meta"]) == {"sync_id": SYNC_ID, "changes": []}
        assert row["_airbyte_generation_id"] == 0
