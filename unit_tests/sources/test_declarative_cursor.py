"""DatetimeBasedCursor: windows from start/end/step/granularity/lookback, state in and out."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from airbyte_dest_kit.errors import ConfigError, SystemFailure
from airbyte_dest_kit.sources.declarative.datetimes import UTC, format_datetime, parse_datetime, parse_duration
from airbyte_dest_kit.sources.declarative.incremental import DatetimeBasedCursor, MinMaxDatetime
from airbyte_dest_kit.sources.declarative.interpolation import Interpolated
from airbyte_dest_kit.sources.declarative.request_options import RequestOption

NOW = dt.datetime(2024, 3, 10, 12, 0, tzinfo=UTC)
FMT = "%Y-%m-%dT%H:%M:%SZ"


def cursor(start: str = "2024-03-01T00:00:00Z", end: str | None = None, **overrides: Any) -> DatetimeBasedCursor:
    fmt = overrides.get("datetime_format", FMT)
    options: dict[str, Any] = {
        "cursor_field": "updated",
        "datetime_format": fmt,
        "cursor_datetime_formats": [],
        "start": MinMaxDatetime(Interpolated(start, "start"), [fmt]),
        "end": MinMaxDatetime(Interpolated(end, "end"), [fmt]) if end else None,
        "step": parse_duration("P1D"),
        "granularity": parse_duration("PT1S"),
        "lookback": None,
        "partition_field_start": "start_time",
        "partition_field_end": "end_time",
        "start_time_option": RequestOption("request_parameter", ("from",)),
        "end_time_option": None,
        "context": {"config": {}},
        "stream": "s",
        "clock": lambda: NOW,
    }
    return DatetimeBasedCursor(**{**options, **overrides})


def test_daily_windows_end_a_granule_before_the_next_and_stop_at_now() -> None:
    windows = list(cursor(start="2024-03-08T06:00:00Z").windows())
    assert windows == [
        {"start_time": "2024-03-08T06:00:00Z", "end_time": "2024-03-09T05:59:59Z"},
        {"start_time": "2024-03-09T06:00:00Z", "end_time": "2024-03-10T05:59:59Z"},
        {"start_time": "2024-03-10T06:00:00Z", "end_time": "2024-03-10T12:00:00Z"},
    ]
    assert cursor().request_parts(windows[0]).params == {"from": "2024-03-08T06:00:00Z"}


def test_without_step_one_window_and_end_never_after_now() -> None:
    single = cursor(end="2030-01-01T00:00:00Z", step=None, granularity=None)
    assert list(single.windows()) == [{"start_time": "2024-03-01T00:00:00Z", "end_time": "2024-03-10T12:00:00Z"}]


def test_state_moves_the_start_lookback_moves_it_back_and_only_in_window_values_count() -> None:
    resumed = cursor(lookback=parse_duration("PT2H"))
    resumed.load_state({"updated": "2024-03-09T20:00:00Z"})
    windows = list(resumed.windows())
    assert windows[0]["start_time"] == "2024-03-09T18:00:00Z"
    resumed.open_window(windows[0])
    for value in ("2024-03-09T19:00:00Z", "2024-03-10T17:59:59Z", "2024-03-09T21:30:00Z", "2024-01-01T00:00:00Z"):
        resumed.observe({"updated": value})
    resumed.observe({"other": 1})  # a record without the cursor field leaves the state alone
    assert resumed.dump_state() == {"updated": "2024-03-09T20:00:00Z"}  # nothing moves before the window closes
    resumed.close_window()
    assert resumed.dump_state() == {"updated": "2024-03-09T21:30:00Z"}  # 17:59:59 was past the window's end


def test_no_records_no_state_and_bad_values_are_named() -> None:
    empty = cursor()
    empty.load_state(None)
    assert empty.dump_state() == {}
    with pytest.raises(ConfigError, match="saved state updated='yesterday' is not in the cursor's format"):
        empty.load_state({"updated": "yesterday"})
    empty.open_window(next(iter(empty.windows())))
    with pytest.raises(SystemFailure, match="record cursor updated='soon' does not match"):
        empty.observe({"updated": "soon"})
    bad_start = cursor(start="{{ config['start_date'] }}", context={"config": {"start_date": "March"}})
    with pytest.raises(ConfigError, match="manifest: start: 'March' is not a datetime"):
        list(bad_start.windows())


def test_epoch_formats_and_other_record_formats() -> None:
    assert format_datetime(NOW, "%s") == "1710072000" and format_datetime(NOW, "%ms") == "1710072000000"
    assert parse_datetime("1710072000000", "%ms") == NOW
    mixed = cursor(
        datetime_format="%s",
        cursor_datetime_formats=["%Y-%m-%d %H:%M:%S"],
        start="1709251200",
        step=None,
        granularity=None,
    )
    windows = list(mixed.windows())
    assert windows == [{"start_time": "1709251200", "end_time": "1710072000"}]
    mixed.open_window(windows[0])
    mixed.observe({"updated": "2024-03-05 10:00:00"})
    mixed.close_window()
    assert mixed.dump_state() == {"updated": "1709632800"}
