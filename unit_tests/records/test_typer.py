"""Casting raw record lines to columns: values that do not fit, change entries, dedup, bad input."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import orjson
import pytest

from airbyte_dest_kit.destination.plan import build_stream_specs
from airbyte_dest_kit.destination.writer import Capabilities
from airbyte_dest_kit.errors import InputError
from airbyte_dest_kit.protocol.models import ConfiguredAirbyteStream
from airbyte_dest_kit.records.typer import RecordTyper
from airbyte_dest_kit.testing.builders import configured_stream, record
from unit_tests.stream_helpers import lines_of, spec_for

PROPS = {
    "id": {"type": "integer"},
    "amount": {"type": "number"},
    "ok": {"type": "boolean"},
    "day": {"type": "string", "format": "date"},
    "at": {"type": "string", "format": "date-time"},
    "local": {"type": "string", "format": "date-time", "airbyte_type": "timestamp_without_timezone"},
    "clock": {"type": "string", "format": "time", "airbyte_type": "time_without_timezone"},
    "name": {"type": "string"},
    "obj": {"type": "object"},
    "list": {"type": "array"},
    "either": {"type": ["string", "integer"]},
}


@pytest.fixture
def typer() -> RecordTyper:
    return RecordTyper(threads=1)


def typed(typer: RecordTyper, datas: list[dict[str, Any]], spec: Any = None, **rec: Any) -> list[dict[str, Any]]:
    spec = spec or spec_for("s", PROPS, sync_id=42, generation_id=3)
    lines, numbers = lines_of([record("s", d, **rec) for d in datas])
    return typer.type_batch(spec, lines, numbers).to_pylist()


def changes(row: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c["field"], c["reason"]) for c in orjson.loads(row["_airbyte_meta"])["changes"]]


def test_values_that_fit_are_typed(typer: RecordTyper) -> None:
    (row,) = typed(
        typer,
        [
            {
                "id": 7,
                "amount": 1.5,
                "ok": True,
                "day": "2024-02-29",
                "at": "2024-01-01T10:00:00+02:00",
                "local": "2024-01-01T10:00:00",
                "clock": "10:11:12",
                "name": "Ada",
                "obj": {"a": [1, {"b": None}]},
                "list": [1, "x"],
                "either": 5,
            }
        ],
    )
    assert row["id"] == 7 and row["amount"] == 1.5 and row["ok"] is True
    assert row["day"] == dt.date(2024, 2, 29)
    assert row["at"] == dt.datetime(2024, 1, 1, 8, 0, tzinfo=dt.timezone.utc)  # normalised to UTC
    assert row["local"] == dt.datetime(2024, 1, 1, 10, 0)
    assert row["clock"] == dt.time(10, 11, 12)
    assert orjson.loads(row["obj"]) == {"a": [1, {"b": None}]}
    assert orjson.loads(row["list"]) == [1, "x"]
    assert row["either"] == "5"  # unions are JSON text
    assert orjson.loads(row["_airbyte_meta"]) == {"sync_id": 42, "changes": []}
    assert row["_airbyte_generation_id"] == 3
    assert uuid.UUID(row["_airbyte_raw_id"]).version == 7
    assert row["_airbyte_extracted_at"] == dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.timezone.utc)
    assert row["_airbyte_additional_properties"] is None


def test_values_that_do_not_fit_become_null_with_a_change_entry(typer: RecordTyper) -> None:
    rows = typed(
        typer,
        [
            {"id": "abc", "amount": "x", "ok": "yes", "day": "2020-02-30", "at": "garbage", "clock": 5},
            {"id": 1.5},
            {"id": 2**70},
            {"id": 18446744073709551615},
            {"id": -(2**63) - 1},
        ],
    )
    (huge,) = typer.type_batch(
        spec_for("s", PROPS),
        *lines_of(['{"type":"RECORD","record":{"stream":"s","emitted_at":1,"data":{"amount":1e400}}}']),
    ).to_pylist()
    rows.append(huge)
    assert all(value is None for key, value in rows[0].items() if key in ("id", "amount", "ok", "day", "at", "clock"))
    assert changes(rows[0]) == [
        ("id", "DESTINATION_TYPECAST_ERROR"),
        ("amount", "DESTINATION_TYPECAST_ERROR"),
        ("ok", "DESTINATION_TYPECAST_ERROR"),
        ("day", "DESTINATION_TYPECAST_ERROR"),
        ("at", "DESTINATION_TYPECAST_ERROR"),
        ("clock", "DESTINATION_TYPECAST_ERROR"),
    ]
    assert changes(rows[1]) == [("id", "DESTINATION_TYPECAST_ERROR")]  # never rounded to 2
    for row in rows[2:5]:
        assert row["id"] is None
        assert changes(row) == [("id", "DESTINATION_FIELD_SIZE_LIMITATION")]
    assert rows[5]["amount"] is None and changes(rows[5]) == [("amount", "DESTINATION_TYPECAST_ERROR")]


def test_lenient_but_lossless_inputs_are_accepted(typer: RecordTyper) -> None:
    (row,) = typed(typer, [{"id": "12", "amount": "2.5", "ok": "FALSE", "name": 12.0, "either": {"x": 1}}])
    assert (row["id"], row["amount"], row["ok"]) == (12, 2.5, False)
    assert row["name"] == "12.0"  # a non-string in a string column keeps its JSON text
    assert changes(row) == []
    (row,) = typed(typer, [{"id": 5.0, "amount": 3}])
    assert (row["id"], row["amount"]) == (5, 3.0)


def test_null_and_missing_values_are_null_without_a_change(typer: RecordTyper) -> None:
    (row,) = typed(typer, [{"id": None, "obj": None}])
    assert row["id"] is None and row["obj"] is None and changes(row) == []


def test_upstream_changes_are_kept_before_ours(typer: RecordTyper) -> None:
    upstream = {"changes": [{"field": "name", "change": "TRUNCATED", "reason": "SOURCE_FIELD_SIZE_LIMITATION"}]}
    (row,) = typed(typer, [{"id": "x"}], meta=upstream)
    assert orjson.loads(row["_airbyte_meta"])["changes"] == [
        {"field": "name", "change": "TRUNCATED", "reason": "SOURCE_FIELD_SIZE_LIMITATION"},
        {"field": "id", "change": "NULLED", "reason": "DESTINATION_TYPECAST_ERROR"},
    ]


def test_undeclared_fields_are_kept_as_one_json_object(typer: RecordTyper) -> None:
    rows = typed(typer, [{"id": 1, "surprise": {"deep": [1]}, "also": None}, {"id": 2, "name": None}])
    assert orjson.loads(rows[0]["_airbyte_additional_properties"]) == {"surprise": {"deep": [1]}, "also": None}
    assert rows[1]["_airbyte_additional_properties"] is None  # a declared null is not undeclared


def test_a_stream_without_declared_properties_keeps_everything(typer: RecordTyper) -> None:
    spec = spec_for("s", {})
    lines, numbers = lines_of([record("s", {"a": 1})])
    (row,) = typer.type_batch(spec, lines, numbers).to_pylist()
    assert orjson.loads(row["_airbyte_additional_properties"]) == {"a": 1}


def test_property_names_that_clash_with_internal_names_are_fine(typer: RecordTyper) -> None:
    spec = spec_for("s", {"line": {"type": "string"}, "k": {"type": "integer"}, "own": {"type": "integer"}})
    lines, numbers = lines_of([record("s", {"line": "l", "k": 1, "own": 2})])
    (row,) = typer.type_batch(spec, lines, numbers).to_pylist()
    assert (row["line"], row["k"], row["own"]) == ("l", 1, 2)


def test_properties_differing_only_in_case_keep_their_own_values(typer: RecordTyper) -> None:
    spec = spec_for("s", {"Foo": {"type": "integer"}, "foo": {"type": "string"}, "a/b~c": {"type": "integer"}})
    assert [c.name for c in spec.columns] == ["Foo", "foo_1", "a/b~c"]
    lines, numbers = lines_of([record("s", {"foo": "lower", "Foo": 1, "a/b~c": 3}), record("s", {"Foo": None})])
    first, second = typer.type_batch(spec, lines, numbers).to_pylist()
    assert (first["Foo"], first["foo_1"], first["a/b~c"]) == (1, "lower", 3)
    assert (second["Foo"], second["foo_1"]) == (None, None) and changes(second) == []


def test_nul_bytes_are_stripped_with_a_change_when_the_writer_asks() -> None:
    typer = RecordTyper(threads=1, strip_nul=True)
    # In JSON text a NUL inside an object is the escape \u0000; an escaped backslash before "u0000" is not one.
    rows = typed(
        typer, [{"name": "a\u0000b", "obj": {"k": "x\u0000\u0000y"}}, {"obj": {"k": "\\u0000"}, "name": "\\u0000"}]
    )
    assert rows[0]["name"] == "ab" and orjson.loads(rows[0]["obj"]) == {"k": "xy"}
    assert changes(rows[0]) == [("name", "DESTINATION_SERIALIZATION_ERROR"), ("obj", "DESTINATION_SERIALIZATION_ERROR")]
    assert orjson.loads(rows[1]["obj"]) == {"k": "\\u0000"} and rows[1]["name"] == "\\u0000"
    assert changes(rows[1]) == []


DEDUP = {"id": {"type": "integer"}, "part": {"type": "string"}, "cursor": {"type": "integer"}, "v": {"type": "string"}}


def dedup(typer: RecordTyper, recs: list[tuple[dict[str, Any], int]], cursor: str | None = "cursor") -> list[Any]:
    spec = spec_for("s", DEDUP, mode="append_dedup", primary_key=["id", "part"], cursor=cursor)
    lines, numbers = lines_of([record("s", d, emitted_at=e) for d, e in recs])
    return sorted((r["id"] or 0, r["part"] or "", r["v"]) for r in typer.type_batch(spec, lines, numbers).to_pylist())


def test_dedup_inside_one_batch_follows_cursor_then_emitted_at_then_arrival(typer: RecordTyper) -> None:
    rows = dedup(
        typer,
        [
            ({"id": 1, "part": "a", "cursor": 5, "v": "greatest cursor"}, 1),
            ({"id": 1, "part": "a", "cursor": 3, "v": "older cursor"}, 9),
            ({"id": 1, "part": "a", "cursor": None, "v": "null cursor"}, 9),
            ({"id": 2, "part": "a", "cursor": 1, "v": "emitted earlier"}, 1),
            ({"id": 2, "part": "a", "cursor": 1, "v": "emitted later"}, 2),
            ({"id": 3, "part": "a", "cursor": 1, "v": "first arrival"}, 1),
            ({"id": 3, "part": "a", "cursor": 1, "v": "last arrival"}, 1),
            ({"id": 3, "part": "b", "cursor": 0, "v": "composite key differs"}, 1),
            ({"id": None, "part": None, "cursor": 0, "v": "null key, first"}, 1),
            ({"id": None, "part": None, "cursor": 0, "v": "null key, last"}, 1),
        ],
    )
    assert rows == [
        (0, "", "null key, last"),
        (1, "a", "greatest cursor"),
        (2, "a", "emitted later"),
        (3, "a", "last arrival"),
        (3, "b", "composite key differs"),
    ]


def test_dedup_without_cursor_keeps_the_last_arrival(typer: RecordTyper) -> None:
    rows = dedup(typer, [({"id": 1, "part": "a", "v": "first"}, 5), ({"id": 1, "part": "a", "v": "second"}, 5)], None)
    assert rows == [(1, "a", "second")]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ('{"type":"RECORD","record":{"stream":"s","emitted_at":1,"data":{"id":', "not valid JSON"),
        ('{"type":"RECORD","record":{"stream":"s","emitted_at":1,"data":"text"}}', "object 'data'"),
        ('{"type":"RECORD","record":{"stream":"s","data":{}}}', "emitted_at"),
        ('{"type":"RECORD","record":{"stream":"s","emitted_at":1}}', "object 'data'"),
    ],
)
def test_bad_records_name_their_line(typer: RecordTyper, bad: str, message: str) -> None:
    spec = spec_for("s", PROPS)
    lines, numbers = lines_of([record("s", {"id": 1}), bad, record("s", {"id": 2})], first_line=40)
    with pytest.raises(InputError, match=message) as raised:
        typer.type_batch(spec, lines, numbers)
    assert raised.value.line == 41


def test_a_writer_that_stores_the_source_json_gets_it_and_only_the_sources_changes(typer: RecordTyper) -> None:
    properties = {"id": {"type": "integer"}, "at": {"type": "string", "format": "date-time"}, "_airbyte_data": {}}
    configured = ConfiguredAirbyteStream.model_validate(configured_stream("s", properties, sync_id=5))
    (spec,) = build_stream_specs([configured], "main", Capabilities(stores_source_json=True))
    upstream = {"field": "at", "change": "TRUNCATED", "reason": "SOURCE_FIELD_SIZE_LIMITATION"}
    datas = [
        # every token as the source wrote it, whether DuckDB would spell it alike or not
        '{"id": "x1", "at": "2024-01-01T00:00:00Z", "n": 3, "big": 123456789012345678901234567890, "e": 1e400, '
        '"_airbyte_data": [1]}',
        '{"id":2,"dec":123456789.123456789,"trailing":1.50,"exp":1E5,"neg":-0,"s":"caf\\u00e9 \\/ \\"q\\""}',
        '{"id":3,"price":113.56,"name":"plain"}',  # compact and canonical: DuckDB's own text is used
    ]
    line = '{"type":"RECORD","record":{"stream":"s","emitted_at":1,"data":%s,"meta":{"changes":[%s]}}}'
    lines, numbers = lines_of(
        [line % (datas[0], orjson.dumps(upstream).decode()), *(line % (d, "") for d in datas[1:])]
    )
    rows = typer.type_batch(spec, lines, numbers).to_pylist()
    assert rows[0]["id"] is None  # typed columns still come (for keys and ordering)...
    assert [r["_airbyte_data"] for r in rows] == [d.replace(", ", ",").replace(": ", ":") for d in datas]  # ...exact
    assert orjson.loads(rows[0]["_airbyte_meta"]) == {"sync_id": 5, "changes": [upstream]}  # no NULLED: none was
    assert orjson.loads(rows[1]["_airbyte_meta"]) == {"sync_id": 5, "changes": []}
    assert [c.name for c in spec.columns] == ["id", "at", "_airbyte_data_1"]  # a property keeps out of its way
    assert rows[0]["_airbyte_data_1"] == "[1]"
    (plain,) = build_stream_specs([configured], "main", Capabilities())  # other writers: no such column
    assert RecordTyper(threads=1).type_batch(plain, lines, numbers).to_pylist()[0]["_airbyte_data"] == "[1]"


def test_dedup_keeps_input_order_with_and_without_a_repeated_key(typer: RecordTyper) -> None:
    spec = spec_for("s", DEDUP, mode="append_dedup", primary_key=["id", "part"], cursor="cursor")
    unique = [record("s", {"id": i, "part": "a", "cursor": 1, "v": f"v{i}"}) for i in (3, 1, 2)]
    lines, numbers = lines_of(unique)
    assert [r["id"] for r in typer.type_batch(spec, lines, numbers).to_pylist()] == [3, 1, 2]
    lines, numbers = lines_of([*unique, record("s", {"id": 1, "part": "a", "cursor": 0, "v": "older"})])
    kept = typer.type_batch(spec, lines, numbers).to_pylist()
    assert [(r["id"], r["v"]) for r in kept] == [(3, "v3"), (1, "v1"), (2, "v2")]
    assert [r["_ab_line"] for r in kept] == [1, 2, 3]


def test_dedup_reports_a_bad_record_that_a_later_version_of_its_key_would_outrank(typer: RecordTyper) -> None:
    spec = spec_for("s", DEDUP, mode="append_dedup", primary_key=["id", "part"], cursor="cursor")
    bad = '{"type":"RECORD","record":{"stream":"s","data":{"id":1,"part":"a","cursor":1}}}'  # no emitted_at
    lines, numbers = lines_of([bad, record("s", {"id": 1, "part": "a", "cursor": 9})], first_line=7)
    with pytest.raises(InputError, match="emitted_at") as raised:
        typer.type_batch(spec, lines, numbers)
    assert raised.value.line == 7


def test_dedup_ranks_a_line_with_a_key_twice_by_its_last_value(typer: RecordTyper) -> None:
    spec = spec_for("s", DEDUP, mode="append_dedup", primary_key=["id", "part"], cursor="cursor")
    data = '{"id":1,"part":"a","cursor":0,"v":"x","cursor":9}'  # the sources' parsers keep the last: 9
    twice = '{"type":"RECORD","record":{"stream":"s","emitted_at":1,"data":' + data + "}}"
    lines, numbers = lines_of([twice, record("s", {"id": 1, "part": "a", "cursor": 5, "v": "y"})])
    (row,) = typer.type_batch(spec, lines, numbers).to_pylist()
    assert (row["cursor"], row["v"]) == (9, "x")
