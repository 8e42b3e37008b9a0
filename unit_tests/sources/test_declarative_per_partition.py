"""PerPartitionCursor: Airbyte's per-partition state in and out, and the global state only after a full sync."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.sources.declarative.datetimes import UTC, parse_duration
from airbyte_dest_kit.sources.declarative.incremental import DatetimeBasedCursor, MinMaxDatetime
from airbyte_dest_kit.sources.declarative.interpolation import Interpolated
from airbyte_dest_kit.sources.declarative.per_partition import PerPartitionCursor

FMT = "%Y-%m-%dT%H:%M:%SZ"
NOW = dt.datetime(2024, 3, 3, 0, 0, tzinfo=UTC)


def per_partition(times: list[float]) -> PerPartitionCursor:
    prototype = DatetimeBasedCursor(
        cursor_field="at",
        datetime_format=FMT,
        cursor_datetime_formats=[],
        start=MinMaxDatetime(Interpolated("2024-03-01T00:00:00Z", "start"), [FMT]),
        end=None,
        step=parse_duration("P1D"),
        granularity=parse_duration("PT1S"),
        lookback=None,
        partition_field_start="start_time",
        partition_field_end="end_time",
        start_time_option=None,
        end_time_option=None,
        context={"config": {}},
        stream="s",
        clock=lambda: NOW,
    )
    return PerPartitionCursor(prototype, clock=lambda: times.pop(0))


def read_all(cursor: PerPartitionCursor, partitions: list[dict[str, Any]], records: dict[str, list[str]]) -> list[Any]:
    seen = []
    for partition, window in cursor.slices(partitions):
        cursor.open_window(window)
        for value in records.get(partition["p"], []):
            cursor.observe({"at": value})
        cursor.close_window()
        seen.append((partition["p"], window["start_time"], cursor.dump_state()))
    return seen


def test_each_partition_resumes_from_its_own_cursor_and_the_global_state_comes_last() -> None:
    cursor = per_partition([100.0, 103.5])
    cursor.load_state(
        {
            "states": [{"partition": {"p": "a"}, "cursor": {"at": "2024-03-02T06:00:00Z"}}],
            "state": {"at": "2024-03-02T06:00:00Z"},
            "lookback_window": 3600,
        }
    )
    seen = read_all(cursor, [{"p": "a"}, {"p": "b"}], {"a": ["2024-03-02T08:00:00Z"], "b": ["2024-03-02T09:00:00Z"]})
    assert [(p, start) for p, start, _ in seen] == [("a", "2024-03-02T06:00:00Z"), ("b", "2024-03-02T05:00:00Z")]
    assert seen[0][2]["state"] == {"at": "2024-03-02T06:00:00Z"}  # the loaded global stays until the end
    assert seen[-1][2] == {
        "use_global_cursor": False,
        "states": [
            {"partition": {"p": "a"}, "cursor": {"at": "2024-03-02T08:00:00Z"}},
            {"partition": {"p": "b"}, "cursor": {"at": "2024-03-02T09:00:00Z"}},
        ],
        "state": {"at": "2024-03-02T09:00:00Z"},
        "lookback_window": 4,  # the sync took 3.5 s
    }


def test_a_single_cursor_state_applies_to_every_partition_and_bad_states_are_named() -> None:
    cursor = per_partition([0.0, 0.0])
    cursor.load_state({"at": "2024-03-02T12:00:00Z"})
    seen = read_all(cursor, [{"p": "a"}, {"p": "b"}], {})
    assert [start for _, start, _ in seen] == ["2024-03-02T12:00:00Z", "2024-03-02T12:00:00Z"]
    with pytest.raises(ConfigError, match=r"states\[0\] needs a 'partition' object"):
        cursor.load_state({"states": [{"cursor": {}}]})
    with pytest.raises(ConfigError, match="state.state.at='soon' is not in the cursor's format"):
        cursor.load_state({"states": [], "state": {"at": "soon"}})
