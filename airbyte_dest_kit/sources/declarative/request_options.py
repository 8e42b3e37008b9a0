"""The parts of one HTTP request, and ``RequestOption``: where a value (a page token, a slice bound, a
partition key) goes in a request: ``request_parameter``, ``header``, ``body_json`` or ``body_data``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from airbyte_dest_kit.sources.declarative.manifest import ManifestError

INJECT_INTO = ("request_parameter", "header", "body_json", "body_data")


@dataclass
class RequestParts:
    params: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    json: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    path: str | None = None
    """A path (or full URL) that replaces the requester's: the next page's link, from ``RequestPath``."""

    def update(self, other: RequestParts) -> None:
        """Add ``other``'s parts; a key set twice keeps ``other``'s value (later components win)."""
        self.params.update(other.params)
        self.headers.update(other.headers)
        _deep_update(self.json, other.json)
        self.data.update(other.data)
        if other.path is not None:
            self.path = other.path


def _deep_update(target: dict[str, Any], source: Mapping[str, Any]) -> None:
    for key, value in source.items():
        if isinstance(value, Mapping) and isinstance(target.get(key), dict):
            _deep_update(target[key], value)
        else:
            target[key] = value


@dataclass(frozen=True)
class RequestOption:
    """``RequestOption``: put a value in the request under ``field_name`` (or the nested ``field_path`` of a
    JSON body)."""

    inject_into: str
    field_path: tuple[str, ...]

    @classmethod
    def of(cls, data: Mapping[str, Any], where: str, field_name: Any) -> RequestOption:
        inject_into = data.get("inject_into")
        if inject_into not in INJECT_INTO:
            raise ManifestError(where, f"inject_into must be one of {', '.join(INJECT_INTO)}, not {inject_into!r}")
        field_path = data.get("field_path")
        if field_path is not None:
            if inject_into != "body_json":
                raise ManifestError(where, "field_path is only for inject_into: body_json; use field_name")
            return cls(inject_into, tuple(str(part) for part in field_path))
        if not field_name:
            raise ManifestError(where, "a RequestOption needs a field_name")
        return cls(inject_into, (str(field_name),))

    def parts(self, value: Any) -> RequestParts:
        if value is None:
            return RequestParts()
        name = self.field_path[0]
        if self.inject_into == "request_parameter":
            return RequestParts(params={name: value})
        if self.inject_into == "header":
            return RequestParts(headers={name: str(value)})
        if self.inject_into == "body_data":
            return RequestParts(data={name: value})
        nested: dict[str, Any] = {self.field_path[-1]: value}
        for key in reversed(self.field_path[:-1]):
            nested = {key: nested}
        return RequestParts(json=nested)
