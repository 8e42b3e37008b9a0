"""``airbyte_cdk.sources.utils.transform``: a stream's ``transformer``, which casts each record's values to the
types of the stream's schema before the record goes out::

    class Orders(HttpStream):
        transformer = TypeTransformer(TransformConfig.DefaultSchemaNormalization)

With ``DefaultSchemaNormalization`` a value is cast when its field's schema names one type (besides
``null``): to ``str``, ``float`` (an integer too, as airbyte-cdk does), ``int``, ``bool`` (``"yes"``, ``"off"``…
read as airbyte-cdk reads them), or a scalar wrapped in a list for an array whose ``items`` list scalar
types; a value that does not cast stays as it is (airbyte-cdk also logs a warning). Objects
(``properties``) and arrays (``items``) are walked, local ``$ref``s followed. With
``CustomSchemaNormalization``, the callback registered with ``registerCustomTransform`` runs after it.

Stricter than airbyte-cdk where it would lose data: a ``null`` stays ``null`` (airbyte-cdk turns it into the
string ``"None"`` when the field is a non-nullable string).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from enum import Flag, auto
from typing import Any

Normalizer = Callable[[Any, dict[str, Any]], Any]

SCALARS: dict[str, type] = {"string": str, "number": float, "integer": int, "boolean": bool, "null": type(None)}
TRUE_WORDS = ("y", "yes", "t", "true", "on", "1")
FALSE_WORDS = ("n", "no", "f", "false", "off", "0")


class TransformConfig(Flag):
    NoTransform = auto()
    DefaultSchemaNormalization = auto()
    CustomSchemaNormalization = auto()


def _boolean(value: Any) -> bool:
    if not isinstance(value, str):
        return bool(value)
    word = value.strip().lower()
    if word in TRUE_WORDS or word in FALSE_WORDS:
        return word in TRUE_WORDS
    raise ValueError(f"not a boolean: {value!r}")


CASTS: dict[str, Callable[[Any], Any]] = {"string": str, "number": float, "integer": int, "boolean": _boolean}


def single_type(schema: Mapping[str, Any]) -> str | None:
    """The one type a field's schema names besides ``null``; ``None`` when it names none or several."""
    types = schema.get("type", [])
    names = [types] if isinstance(types, str) else [name for name in types if name != "null"]
    return names[0] if len(names) == 1 else None


class TypeTransformer:
    def __init__(self, config: TransformConfig) -> None:
        if TransformConfig.NoTransform in config and config != TransformConfig.NoTransform:
            raise ValueError("NoTransform option cannot be combined with other flags.")
        self._config = config
        self._custom: Normalizer | None = None

    @property
    def does_nothing(self) -> bool:
        return TransformConfig.NoTransform in self._config

    def registerCustomTransform(self, normalization_callback: Normalizer) -> Normalizer:
        """Run ``normalization_callback(value, field_schema)`` on every value (a decorator too)."""
        if TransformConfig.CustomSchemaNormalization not in self._config:
            raise ValueError("set TransformConfig.CustomSchemaNormalization before registering a custom normalizer")
        self._custom = normalization_callback
        return normalization_callback

    @staticmethod
    def default_convert(original_item: Any, subschema: dict[str, Any]) -> Any:
        target = single_type(subschema)
        if original_item is None or target is None:
            return original_item
        if target == "array":  # as airbyte-cdk: only when the items' types are given as a list
            item_types = subschema.get("items", {}).get("type", "")
            listed = not isinstance(item_types, str) and set(item_types) <= SCALARS.keys()
            return [original_item] if listed and type(original_item) in SCALARS.values() else original_item
        cast = CASTS.get(target)
        try:
            return original_item if cast is None else cast(original_item)
        except (ValueError, TypeError):
            return original_item

    def transform(self, record: MutableMapping[str, Any], schema: Mapping[str, Any]) -> None:
        """Cast ``record``'s values in place."""
        if not self.does_nothing:
            self._walk(record, schema, schema)

    def _normalize(self, value: Any, schema: dict[str, Any]) -> Any:
        if TransformConfig.DefaultSchemaNormalization in self._config:
            value = self.default_convert(value, schema)
        if self._custom is not None:
            value = self._custom(value, schema)
        return value

    def _walk(self, instance: Any, schema: Mapping[str, Any], root: Mapping[str, Any]) -> None:
        schema = _resolved(schema, root)
        children: list[tuple[Any, Mapping[str, Any]]] = []
        properties, items = schema.get("properties"), schema.get("items")
        if isinstance(instance, dict) and isinstance(properties, Mapping):
            children = [(key, sub) for key, sub in properties.items() if key in instance]
        elif isinstance(instance, list) and isinstance(items, Mapping):
            children = [(index, items) for index in range(len(instance))]
        for where, sub in children:
            sub = _resolved(sub, root)
            instance[where] = self._normalize(instance[where], dict(sub))
            self._walk(instance[where], sub, root)


def _resolved(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    """``schema``, or what its local ``$ref`` (``#/definitions/…``) points to."""
    ref = schema.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return schema
    target: Any = root
    for part in ref[2:].split("/"):
        target = target.get(part, {}) if isinstance(target, Mapping) else {}
    return _resolved(target, root) if isinstance(target, Mapping) else schema
