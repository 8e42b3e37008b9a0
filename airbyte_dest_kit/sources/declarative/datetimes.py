"""Dates in manifests: ``datetime_format`` parsing and formatting, and ISO 8601 durations.

Formats are Python's ``strftime`` codes plus the ones manifests use for epochs: ``%s`` (seconds),
``%s_as_float`` (seconds with a fraction), ``%ms`` (milliseconds) and ``%epoch_microseconds``. Times are
UTC unless they carry an offset; ``%z`` accepts ``Z``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, TypeAlias

import isodate

UTC = dt.timezone.utc
Duration: TypeAlias = Any
"""A :class:`datetime.timedelta`, or an ``isodate.Duration`` when it counts months or years."""

_EPOCH_SCALE = {"%s": 1, "%s_as_float": 1, "%ms": 1_000, "%epoch_microseconds": 1_000_000}


def parse_datetime(value: str | int | float, fmt: str) -> dt.datetime:
    """``value`` read with ``fmt``; raises ``ValueError`` when it does not match."""
    if fmt in _EPOCH_SCALE:
        return dt.datetime.fromtimestamp(float(value) / _EPOCH_SCALE[fmt], tz=UTC)
    parsed = dt.datetime.strptime(str(value), fmt)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_any(value: str | int | float, formats: Sequence[str]) -> dt.datetime:
    """``value`` read with the first of ``formats`` that fits, else as ISO 8601."""
    for fmt in formats:
        try:
            return parse_datetime(value, fmt)
        except (ValueError, OverflowError):
            continue
    return parse_iso(str(value))


def parse_iso(value: str) -> dt.datetime:
    """An ISO 8601 date or datetime (``2024-03-01``, ``2024-03-01T10:00:00Z``); UTC when it has no offset."""
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def format_datetime(value: dt.datetime, fmt: str) -> str | int | float:
    """``value`` written with ``fmt``; the epoch formats give numbers as strings of digits."""
    if fmt in ("%s", "%ms", "%epoch_microseconds"):
        return str(int(value.timestamp() * _EPOCH_SCALE[fmt]))
    if fmt == "%s_as_float":
        return str(value.timestamp())
    return value.strftime(fmt)


def parse_duration(value: str) -> Duration:
    """An ISO 8601 duration (``P1D``, ``PT1S``, ``P1M``); months and years stay calendar months and years."""
    return isodate.parse_duration(value)
