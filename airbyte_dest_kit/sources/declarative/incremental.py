"""``DatetimeBasedCursor``: date-window slices, the cursor value each record carries, and the state.

The sync covers ``[start, end]``: ``start`` is the later of ``start_datetime`` and the saved cursor, minus
``lookback_window``; ``end`` is ``end_datetime`` (or now), never later than now. With ``step`` the range is
cut into windows ``[s, s + step - cursor_granularity]``; without, it is one window. Each window is a slice
(``stream_interval.start_time`` / ``end_time``, or the ``partition_field_start`` / ``_end`` names, in
``datetime_format``) and can be sent with ``start_time_option`` / ``end_time_option``.

With ``is_client_side_incremental`` (an API that cannot filter by date) the records outside the window are
dropped here; use it without ``step``, so the one window is the whole sync. ``is_data_feed`` (an API that
pages from the newest record to the oldest and cannot filter) drops them too, and stops paging after a
page whose last record lies outside the window (:meth:`DatetimeBasedCursor.outside_window`).
``is_compare_strictly`` skips windows whose start equals their end (APIs that refuse them).

The state is ``{cursor_field: <latest cursor value seen>}`` in ``datetime_format``, moved forward when a
window is done (so an interrupted sync resumes at its last finished window); only values inside the window
count. Record cursor values are read
with ``cursor_datetime_formats`` (default: ``datetime_format``), else as ISO 8601.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from airbyte_dest_kit.errors import ConfigError, SystemFailure
from airbyte_dest_kit.sources.declarative.datetimes import UTC, Duration, format_datetime, parse_any
from airbyte_dest_kit.sources.declarative.interpolation import Interpolated
from airbyte_dest_kit.sources.declarative.request_options import RequestOption, RequestParts


@dataclass(frozen=True)
class MinMaxDatetime:
    """A datetime from a template, optionally clamped between two others."""

    datetime: Interpolated
    datetime_formats: Sequence[str]
    min_datetime: Interpolated | None = None
    max_datetime: Interpolated | None = None

    def resolve(self, context: Mapping[str, Any]) -> dt.datetime:
        formats = list(self.datetime_formats)
        value = self._read(self.datetime, formats, context)
        if self.min_datetime is not None:
            value = max(value, self._read(self.min_datetime, formats, context))
        if self.max_datetime is not None:
            value = min(value, self._read(self.max_datetime, formats, context))
        return value

    @staticmethod
    def _read(template: Interpolated, formats: Sequence[str], context: Mapping[str, Any]) -> dt.datetime:
        raw = template.eval(context)
        if isinstance(raw, dt.datetime):
            return raw if raw.tzinfo else raw.replace(tzinfo=UTC)
        try:
            return parse_any(str(raw), formats)
        except ValueError:
            raise ConfigError(
                f"manifest: {template.where}: {raw!r} is not a datetime"
                + f" in the format {formats[0]!r} or ISO 8601; fix the value (often a start_date in the config)"
            ) from None


class DatetimeBasedCursor:
    def __init__(
        self,
        *,
        cursor_field: str,
        datetime_format: str,
        cursor_datetime_formats: Sequence[str],
        start: MinMaxDatetime,
        end: MinMaxDatetime | None,
        step: Duration | None,
        granularity: Duration | None,
        lookback: Duration | None,
        partition_field_start: str,
        partition_field_end: str,
        start_time_option: RequestOption | None,
        end_time_option: RequestOption | None,
        context: Mapping[str, Any],
        stream: str,
        client_side: bool = False,
        data_feed: bool = False,
        compare_strictly: bool = False,
        clock: Any = None,
    ) -> None:
        self.cursor_field, self.datetime_format = cursor_field, datetime_format
        self.cursor_formats = list(cursor_datetime_formats) or [datetime_format]
        self.start, self.end, self.step, self.granularity, self.lookback = start, end, step, granularity, lookback
        self.partition_field_start, self.partition_field_end = partition_field_start, partition_field_end
        self.start_time_option, self.end_time_option = start_time_option, end_time_option
        self.context, self.stream, self.client_side = context, stream, client_side
        self.data_feed, self.compare_strictly = data_feed, compare_strictly
        self.now = clock or (lambda: dt.datetime.now(UTC))
        self.cursor: dt.datetime | None = None  # covers every finished window
        self._highest_in_window: dt.datetime | None = None
        self._bounds: tuple[dt.datetime, dt.datetime] = (dt.datetime.min.replace(tzinfo=UTC), self.now())

    # -- state ------------------------------------------------------------------------------------

    def load_state(self, state: Mapping[str, Any] | None) -> None:
        self.cursor = self._highest_in_window = None
        if state and state.get(self.cursor_field) is not None:
            try:
                self.cursor = parse_any(state[self.cursor_field], self.cursor_formats)
            except ValueError:
                raise ConfigError(
                    f"stream {self.stream!r}: saved state {self.cursor_field}={state[self.cursor_field]!r} is not in "
                    f"the cursor's format {self.datetime_format!r}; fix or drop the state to read from the start",
                    stream=self.stream,
                ) from None

    def dump_state(self) -> dict[str, Any]:
        if self.cursor is None:
            return {}
        return {self.cursor_field: format_datetime(self.cursor, self.datetime_format)}

    # -- windows ----------------------------------------------------------------------------------

    def windows(self) -> Iterator[dict[str, Any]]:
        now = self.now()
        end = min(self.end.resolve(self.context), now) if self.end is not None else now
        start = min(self.start.resolve(self.context), end)
        if self.cursor is not None:
            start = max(start, self.cursor)
        if self.lookback is not None:
            start -= self.lookback
        granularity = self.granularity or dt.timedelta(0)
        while start <= end if self.granularity else start < end:
            following = start + self.step if self.step is not None else end + granularity
            if following <= start:
                raise ConfigError(f"stream {self.stream!r}: the cursor's step must be a positive duration")
            window_end = min(following - granularity, end)
            if self.compare_strictly and window_end <= start:
                start = following
                continue
            yield {
                self.partition_field_start: format_datetime(start, self.datetime_format),
                self.partition_field_end: format_datetime(window_end, self.datetime_format),
            }
            start = following

    def slices(self, partitions: Iterable[Mapping[str, Any]]) -> Iterator[tuple[Mapping[str, Any], dict[str, Any]]]:
        """The windows of the only partition (a stream with a partition router uses ``PerPartitionCursor``)."""
        for partition in partitions:
            for window in self.windows():
                yield partition, window

    def request_parts(self, window: Mapping[str, Any]) -> RequestParts:
        parts = RequestParts()
        if self.start_time_option is not None:
            parts.update(self.start_time_option.parts(window.get(self.partition_field_start)))
        if self.end_time_option is not None:
            parts.update(self.end_time_option.parts(window.get(self.partition_field_end)))
        return parts

    def open_window(self, window: Mapping[str, Any]) -> None:
        self._bounds = (
            parse_any(window[self.partition_field_start], [self.datetime_format]),
            parse_any(window[self.partition_field_end], [self.datetime_format]),
        )

    def observe(self, record: Mapping[str, Any]) -> bool:
        """Count ``record``'s cursor value towards the state when it lies in the open window (a record
        from outside it, which some APIs return, must not move the state past what was not read). Returns
        whether the record is to be emitted: with ``is_client_side_incremental``, only those in the window
        (and those without a cursor value) are."""
        value = self._value(record)
        if value is None:
            return True
        low, high = self._bounds
        if not low <= value <= high:
            return not (self.client_side or self.data_feed)
        if self._highest_in_window is None or value > self._highest_in_window:
            self._highest_in_window = value
        return True

    def outside_window(self, record: Mapping[str, Any]) -> bool:
        """Whether ``record``'s cursor value lies outside the open window (a record without one does not)."""
        value = self._value(record)
        return value is not None and not self._bounds[0] <= value <= self._bounds[1]

    def _value(self, record: Mapping[str, Any]) -> dt.datetime | None:
        raw = record.get(self.cursor_field)
        if raw is None:
            return None
        try:
            return parse_any(raw, self.cursor_formats)
        except ValueError:
            raise SystemFailure(
                f"stream {self.stream!r}: record cursor {self.cursor_field}={raw!r} does not match the cursor's "
                f"formats {self.cursor_formats}; add its format to cursor_datetime_formats",
                stream=self.stream,
            ) from None

    def close_window(self) -> None:
        if self._highest_in_window is not None and (self.cursor is None or self._highest_in_window > self.cursor):
            self.cursor = self._highest_in_window
        self._highest_in_window = None
