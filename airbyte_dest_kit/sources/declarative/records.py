"""From a response to records: ``DpathExtractor`` → ``RecordFilter`` → transformations (``AddFields``,
``RemoveFields``) → ``schema_normalization: Default`` (:class:`SchemaNormalization`), which is the order
``RecordSelector`` applies them in.

Paths are lists of keys; ``*`` matches every key of an object and every item of a list. As in Airbyte, an
extractor's path without ``*`` yields the items of the list it leads to (or the object itself); with ``*``,
each match is one record.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from airbyte_dest_kit.sources.declarative.interpolation import Interpolated, truthy
from airbyte_dest_kit.sources.declarative.manifest import ManifestError

Context = Mapping[str, Any]
WILDCARD = "*"


def _step(value: Any, key: str) -> Iterator[Any]:
    """The values one path key leads to from ``value`` (none when it leads nowhere)."""
    if key == WILDCARD:
        if isinstance(value, Mapping):
            yield from value.values()
        elif isinstance(value, list):
            yield from value
    elif isinstance(value, Mapping):
        if key in value:
            yield value[key]
    elif isinstance(value, list) and key.lstrip("-").isdigit() and -len(value) <= int(key) < len(value):
        yield value[int(key)]


def values_at(body: Any, path: Sequence[str]) -> list[Any]:
    """Every value at ``path`` in ``body``."""
    found = [body]
    for key in path:
        found = [child for value in found for child in _step(value, key)]
    return found


@dataclass(frozen=True)
class DpathExtractor:
    field_path: Sequence[Interpolated]

    def extract(self, body: Any, context: Context) -> list[Any]:
        path = [str(part.eval(context)) for part in self.field_path]
        if WILDCARD in path:
            extracted: Any = values_at(body, path)
        else:
            matches = values_at(body, path)
            extracted = matches[0] if matches else []
        if isinstance(extracted, list):
            return extracted
        return [extracted] if extracted else []


@dataclass(frozen=True)
class RecordFilter:
    """Keeps the records for which ``condition`` (with ``record``) is true."""

    condition: Interpolated

    def keep(self, record: Mapping[str, Any], context: Context) -> bool:
        return truthy(self.condition.eval({**context, "record": record}))


@dataclass(frozen=True)
class AddedField:
    path: tuple[str, ...]
    value: Interpolated


@dataclass(frozen=True)
class AddFields:
    fields: Sequence[AddedField]
    condition: Interpolated | None = None

    def apply(self, record: dict[str, Any], context: Context) -> None:
        scope = {**context, "record": record}
        if self.condition is not None and not truthy(self.condition.eval(scope)):
            return
        for added in self.fields:
            value = added.value.eval(scope)
            target = record
            for key in added.path[:-1]:
                child = target.get(key)
                if not isinstance(child, dict):
                    child = target[key] = {}
                target = child
            target[added.path[-1]] = value


@dataclass(frozen=True)
class RemoveFields:
    """Removes the fields at ``field_pointers`` (``*`` allowed); with ``condition``, only those whose value
    (``property`` in the template) makes it true. Missing fields are skipped."""

    field_pointers: Sequence[tuple[str, ...]]
    condition: Interpolated | None = None

    def apply(self, record: dict[str, Any], context: Context) -> None:
        for pointer in self.field_pointers:
            for parent in values_at(record, pointer[:-1]):
                self._remove(parent, pointer[-1], context)

    def _remove(self, parent: Any, key: str, context: Context) -> None:
        if isinstance(parent, dict):
            keys = list(parent) if key == WILDCARD else [key] if key in parent else []
            for name in keys:
                if self._matches(parent[name], context):
                    del parent[name]
        elif isinstance(parent, list) and key == WILDCARD:
            parent[:] = [item for item in parent if not self._matches(item, context)]

    def _matches(self, value: Any, context: Context) -> bool:
        return self.condition is None or truthy(self.condition.eval({**context, "property": value}))


@dataclass(frozen=True)
class RecordSelector:
    where: str
    extractor: DpathExtractor
    record_filter: RecordFilter | None
    transformations: Sequence[Transformation]

    def select(self, extracted: list[Any], context: Context) -> Iterator[dict[str, Any]]:
        for record in extracted:
            if not isinstance(record, Mapping):
                problem = f"selected a {type(record).__name__}, not an object, as a record: {record!r:.200}"
                raise ManifestError(self.where, f"{problem}; fix the extractor's field_path")
            if self.record_filter is not None and not self.record_filter.keep(record, context):
                continue
            if self.transformations:
                record = copy.deepcopy(dict(record))
                for transformation in self.transformations:
                    transformation.apply(record, context)
            yield dict(record)


_SIMPLE_TYPES: Mapping[str, type] = {
    "string": str,
    "number": float,
    "integer": int,
    "boolean": bool,
    "null": type(None),
}
_TRUE, _FALSE = frozenset({"y", "yes", "t", "true", "on", "1"}), frozenset({"n", "no", "f", "false", "off", "0"})


@dataclass
class SchemaNormalization:
    """``schema_normalization: Default``: each property value converted to the one non-null type the stream's
    schema gives it, as airbyte-cdk's ``TypeTransformer`` does (``"12"`` to ``12`` for an integer, ``12`` to
    ``"12"`` for a string, ``"true"`` to ``true``, a lone value into a list for an array of simple values);
    a value that does not convert, or a property with several types, is left as it is."""

    schema: Callable[[], dict[str, Any]]
    _loaded: dict[str, Any] | None = field(default=None, init=False)

    def apply(self, record: dict[str, Any], context: Context) -> None:
        if self._loaded is None:
            self._loaded = self.schema()
        _normalize(record, self._loaded)


Transformation = AddFields | RemoveFields | SchemaNormalization


def _normalize(value: Any, schema: Any) -> Any:
    if not isinstance(schema, Mapping):
        return value
    properties, items = schema.get("properties"), schema.get("items")
    if isinstance(value, dict) and isinstance(properties, Mapping):
        for key, subschema in properties.items():
            if key in value and isinstance(subschema, Mapping):
                value[key] = _normalize(_converted(value[key], subschema), subschema)
    elif isinstance(value, list) and isinstance(items, Mapping):
        value[:] = [_normalize(_converted(item, items), items) for item in value]
    return value


def _converted(value: Any, schema: Mapping[str, Any]) -> Any:
    types = schema.get("type", [])
    if value is None and "null" in types:
        return None
    if isinstance(types, list):
        non_null = [kind for kind in types if kind != "null"]
        if len(non_null) != 1:
            return value
        types = non_null[0]
    try:
        if types == "string":
            return str(value)
        if types == "number":
            return float(value)
        if types == "integer":
            return int(value)
        if types == "boolean":
            return _boolean(value)
        item_types = (schema.get("items") or {}).get("type", [])
        item_types = set(item_types if isinstance(item_types, list) else [item_types])
        if types == "array" and item_types <= set(_SIMPLE_TYPES) and type(value) in _SIMPLE_TYPES.values():
            return [value]
    except (ValueError, TypeError):
        pass
    return value


def _boolean(value: Any) -> bool:
    if not isinstance(value, str):
        return bool(value)
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ValueError(value)
