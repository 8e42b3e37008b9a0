"""A ``DatetimeBasedCursor`` under a partition router: one cursor per partition, in Airbyte's state format.

    {"use_global_cursor": false,
     "states": [{"partition": {"kind": "click"}, "cursor": {"at": "2024-03-01T03:00:00Z"}}, ...],
     "state": {"at": "2024-03-01T03:00:00Z"},      # once a sync has read every partition
     "lookback_window": 4}                        # seconds that sync took

Each partition resumes from its own cursor. A partition the state does not list (new since the last sync)
starts from the global ``state`` moved back by ``lookback_window``, else from ``start_datetime``, as
airbyte-cdk does. The global ``state`` (the latest cursor of any partition) is only set when a sync has
read every partition, so an interrupted sync never lets an unread partition skip ahead. A state in the
single-cursor shape (``{"at": ...}``) applies to every partition.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.sources.declarative.datetimes import format_datetime, parse_any
from airbyte_dest_kit.sources.declarative.incremental import DatetimeBasedCursor
from airbyte_dest_kit.sources.declarative.request_options import RequestParts


def _key(partition: Mapping[str, Any]) -> str:
    return json.dumps(partition, sort_keys=True, default=str)


class PerPartitionCursor:
    def __init__(self, prototype: DatetimeBasedCursor, clock: Callable[[], float] = time.monotonic) -> None:
        self.prototype, self.clock = prototype, clock
        self.cursor_field = prototype.cursor_field
        self._cursors: dict[str, tuple[Mapping[str, Any], DatetimeBasedCursor]] = {}
        self._global: dt.datetime | None = None
        self._lookback_seconds = 0
        self._current: DatetimeBasedCursor | None = None
        self._finishing = False
        self._started_at = 0.0

    # -- state ------------------------------------------------------------------------------------

    def load_state(self, state: Mapping[str, Any] | None) -> None:
        self._cursors, self._global, self._lookback_seconds = {}, None, 0
        if not state:
            return
        if "states" not in state and "state" not in state:  # the single-cursor shape: every partition's start
            self._global = self._parse(state.get(self.cursor_field), "state")
            return
        self._lookback_seconds = int(state.get("lookback_window") or 0)
        self._global = self._parse((state.get("state") or {}).get(self.cursor_field), "state.state")
        for index, entry in enumerate(state.get("states") or []):
            if not isinstance(entry, Mapping) or not isinstance(entry.get("partition"), Mapping):
                raise self._invalid(f"states[{index}] needs a 'partition' object")
            cursor = copy.copy(self.prototype)
            cursor.load_state(entry.get("cursor"))
            self._cursors[_key(entry["partition"])] = (entry["partition"], cursor)

    def _parse(self, value: Any, where: str) -> dt.datetime | None:
        if value is None:
            return None
        try:
            return parse_any(value, self.prototype.cursor_formats)
        except ValueError:
            raise self._invalid(f"{where}.{self.cursor_field}={value!r} is not in the cursor's format") from None

    def _invalid(self, problem: str) -> ConfigError:
        stream = self.prototype.stream
        return ConfigError(
            f"stream {stream!r}: saved per-partition state: {problem}; fix or drop the state to read from the start",
            stream=stream,
        )

    def dump_state(self) -> dict[str, Any]:
        states = [
            {"partition": dict(partition), "cursor": cursor.dump_state()}
            for partition, cursor in self._cursors.values()
            if cursor.dump_state()
        ]
        state: dict[str, Any] = {"use_global_cursor": False, "states": states}
        if self._global is not None:
            state["state"] = {self.cursor_field: format_datetime(self._global, self.prototype.datetime_format)}
        state["lookback_window"] = self._lookback_seconds
        return state

    # -- slices -----------------------------------------------------------------------------------

    def slices(self, partitions: Iterable[Mapping[str, Any]]) -> Iterator[tuple[Mapping[str, Any], dict[str, Any]]]:
        """Every (partition, window); the last one is known before it is read, so closing it can finish the
        sync's global state."""
        self._started_at = self.clock()
        slices = (
            (partition, cursor, window) for partition in partitions for cursor, window in self._windows(partition)
        )
        current = next(slices, None)
        while current is not None:
            following = next(slices, None)
            partition, self._current, window = current
            self._finishing = following is None
            yield partition, window
            current = following

    def _windows(self, partition: Mapping[str, Any]) -> Iterator[tuple[DatetimeBasedCursor, dict[str, Any]]]:
        key = _key(partition)
        if key not in self._cursors:
            cursor = copy.copy(self.prototype)
            resume_from = None
            if self._global is not None:
                moment = self._global - dt.timedelta(seconds=self._lookback_seconds)
                resume_from = {self.cursor_field: format_datetime(moment, self.prototype.datetime_format)}
            cursor.load_state(resume_from)
            self._cursors[key] = (partition, cursor)
        cursor = self._cursors[key][1]
        for window in cursor.windows():
            yield cursor, window

    def _open(self) -> DatetimeBasedCursor:
        assert self._current is not None, "open a window first"
        return self._current

    def request_parts(self, window: Mapping[str, Any]) -> RequestParts:
        return self._open().request_parts(window)

    def open_window(self, window: Mapping[str, Any]) -> None:
        self._open().open_window(window)

    def observe(self, record: Mapping[str, Any]) -> bool:
        return self._open().observe(record)

    def outside_window(self, record: Mapping[str, Any]) -> bool:
        return self._open().outside_window(record)

    def close_window(self) -> None:
        self._open().close_window()
        if self._finishing:
            values = [cursor.cursor for _, cursor in self._cursors.values() if cursor.cursor is not None]
            if values:
                self._global = max(values)
            self._lookback_seconds = math.ceil(self.clock() - self._started_at)
