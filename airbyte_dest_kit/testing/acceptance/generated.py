"""Scenarios built by code: the same steps as a ``scenarios/*.jsonl`` file (see :mod:`.scenario`), for inputs
too big to keep as files (500 columns, a 10 MB record, 100 streams) or long and regular (the kill -9 sync).

``SCENARIOS`` maps a scenario's name (its test's name without ``test_``) to a function returning its lines:
the header first, then the steps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airbyte_dest_kit.testing.builders import catalog, configured_stream, echoed, record, stream_state, stream_status

Step = dict[str, Any]


def _append(name: str, properties: dict[str, Any]) -> dict[str, Any]:
    return configured_stream(name, properties, generation_id=0, minimum_generation_id=0, sync_id=7)


def _sync(streams: list[dict[str, Any]], rows: dict[str, list[dict[str, Any]]]) -> Step:
    """One append sync writing ``rows`` per stream, a state after each stream's records, every state echoed."""
    messages, states = [], []
    for number, (name, records) in enumerate(rows.items()):
        messages += [record(name, data) for data in records]
        state = stream_state(name, {"position": number})
        messages += [state, stream_status(name, "COMPLETE")]
        states.append(echoed(state, len(records)))
    return {"write": {"catalog": catalog(*streams), "messages": messages, "exit": 0, "states": states}}


def _rows(stream: str, records: list[dict[str, Any]], columns: list[str]) -> Step:
    return {"rows": {"stream": stream, "columns": columns, "equal": [[r.get(c) for c in columns] for r in records]}}


def five_hundred_columns_round_trip() -> list[Step]:
    kinds = ("integer", "string", "number", "boolean")
    columns = [f"column_{i:03}" for i in range(500)]
    properties = {"id": {"type": "integer"}} | {c: {"type": kinds[i % 4]} for i, c in enumerate(columns)}

    def value(row: int, i: int) -> Any:
        return (row * 1000 + i, f"row {row} column {i}", row + i / 4, (row + i) % 2 == 0)[i % 4]

    records = [{"id": row} | {c: value(row, i) for i, c in enumerate(columns)} for row in range(3)]
    records.append({"id": 3})  # every column missing: all NULL
    return [
        {"requires": [], "about": "a stream of 500 columns of four types, one row with all of them missing"},
        _sync([_append("wide", properties)], {"wide": records}),
        _rows("wide", records, ["id", *columns]),
    ]


TEN_MB = 10 * 2**20


def a_ten_megabyte_record_round_trips() -> list[Step]:
    text = "0123456789 abcdé\n"  # ASCII, a two-byte character and a newline: 18 bytes
    payload = (text * (TEN_MB // len(text.encode()) + 1))[: TEN_MB - 2]
    records = [{"id": 1, "payload": payload}, {"id": 2, "payload": "small"}]
    properties = {"id": {"type": "integer"}, "payload": {"type": "string"}}
    return [
        {"requires": [], "about": "a record of about 10 MB (one string value) beside a small one"},
        _sync([_append("big_record", properties)], {"big_record": records}),
        _rows("big_record", records, ["id", "payload"]),
    ]


def a_hundred_streams_in_one_sync() -> list[Step]:
    names = [f"stream_{i:03}" for i in range(100)]
    properties = {"id": {"type": "integer"}, "name": {"type": "string"}}
    rows = {name: [{"id": i, "name": f"{name} row {i}"} for i in range(2)] for name in names}
    return [
        {"requires": [], "about": "100 streams in one sync, each with its own state"},
        _sync([_append(name, properties) for name in names], rows),
        *(_rows(name, rows[name], ["id", "name"]) for name in names),
    ]


def kill_9_mid_sync_keeps_every_echoed_state() -> list[Step]:
    properties = {"id": {"type": "integer"}, "name": {"type": "string"}}

    def piece(first: int, last: int, position: int | None) -> list[dict[str, Any]]:
        records = [record("events", {"id": i, "name": f"event {i}"}) for i in range(first, last + 1)]
        return records + ([stream_state("events", {"position": position})] if position is not None else [])

    return [
        {"requires": [], "about": "kill -9 after a state was echoed, more records and states on the way"},
        {
            "kill": {
                "catalog": catalog(_append("events", properties)),
                "messages": piece(1, 50, 50),
                "states": 1,
                "then": [
                    *piece(51, 100, 100),
                    *piece(101, 150, 150),
                    *piece(151, 200, None),
                    stream_status("events", "COMPLETE"),
                ],
                "key": "id",
            }
        },
    ]


SCENARIOS: dict[str, Callable[[], list[Step]]] = {
    f.__name__: f
    for f in (
        five_hundred_columns_round_trip,
        a_ten_megabyte_record_round_trips,
        a_hundred_streams_in_one_sync,
        kill_9_mid_sync_keeps_every_echoed_state,
    )
}
