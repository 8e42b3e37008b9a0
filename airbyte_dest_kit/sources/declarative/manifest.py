"""Reading a manifest: YAML, ``$ref`` resolution, and :class:`Node`, a component with its path and
``$parameters``.

``$ref: "#/definitions/base_requester"`` (a JSON pointer into the manifest) is replaced by the object it
points to, with the keys written next to ``$ref`` overriding the referenced ones; the older string form
``"*ref(definitions.base_requester)"`` is replaced by the value. References may point at objects that
hold references themselves; a cycle is an error.

``$parameters`` flow down the tree of components: a component's parameters are its parent's, overridden
by its own. Inside a typed component, every parameter also stands for a field the component does not set
(``$parameters: {path: /users}`` on a stream gives its requester a ``path``). Objects without a ``type``
(a request's headers, a JSON schema) are values, not components, and take no parameters; a parameter
named like a field does not flow into the component in that field (a ``requester`` parameter would
otherwise fill the requester's own ``requester`` field, and so on down).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.sources.declarative.schema_fields import AIRBYTE_FIELDS, INERT_VALUES, NO_EFFECT

PARAMETERS = "$parameters"
REF = "$ref"
_LEGACY_REF_PREFIX, _LEGACY_REF_SUFFIX = "*ref(", ")"

# The type a component has when the manifest leaves it out, by "<parent type>.<field>" (Airbyte's defaults).
DEFAULT_TYPES: Mapping[str, str] = {
    "DeclarativeSource.check": "CheckStream",
    "DeclarativeSource.spec": "Spec",
    "DeclarativeSource.streams": "DeclarativeStream",
    "DeclarativeStream.retriever": "SimpleRetriever",
    "DeclarativeStream.schema_loader": "JsonFileSchemaLoader",
    "SimpleRetriever.requester": "HttpRequester",
    "SimpleRetriever.record_selector": "RecordSelector",
    "SimpleRetriever.paginator": "NoPagination",
    "HttpRequester.error_handler": "DefaultErrorHandler",
    "CompositeErrorHandler.error_handlers": "DefaultErrorHandler",
    "SessionTokenAuthenticator.login_requester": "HttpRequester",
    "RecordSelector.extractor": "DpathExtractor",
    "RecordSelector.record_filter": "RecordFilter",
    "DefaultPaginator.page_size_option": "RequestOption",
    "DefaultErrorHandler.response_filters": "HttpResponseFilter",
    "DatetimeBasedCursor.start_datetime": "MinMaxDatetime",
    "DatetimeBasedCursor.end_datetime": "MinMaxDatetime",
    "DatetimeBasedCursor.start_time_option": "RequestOption",
    "DatetimeBasedCursor.end_time_option": "RequestOption",
    "ListPartitionRouter.request_option": "RequestOption",
    "SubstreamPartitionRouter.parent_stream_configs": "ParentStreamConfig",
    "ParentStreamConfig.stream": "DeclarativeStream",
    "ParentStreamConfig.request_option": "RequestOption",
    "AddFields.fields": "AddedFieldDefinition",
}

# Keys any component may carry without changing what it does.
DESCRIPTIVE_KEYS = frozenset({"type", PARAMETERS, "description", "title", "$schema"})


class ManifestError(ConfigError):
    """The manifest is wrong or asks for what this runtime does not do; names the place in the manifest."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"manifest: {where}: {problem}")
        self.where = where


def load_manifest_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"manifest file {str(path)!r} cannot be read: {exc.strerror or exc}") from None
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"manifest file {str(path)!r} is not valid YAML: {exc}") from None
    if not isinstance(loaded, dict):
        raise ConfigError(f"manifest file {str(path)!r} must hold a YAML mapping (a DeclarativeSource)")
    return loaded


def resolve_references(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest with every ``$ref`` / ``*ref(...)`` replaced (a new object; the input is untouched)."""
    resolved = _Resolver(manifest).resolve(manifest, "(top level)", ())
    assert isinstance(resolved, dict)
    return resolved


class _Resolver:
    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root

    def resolve(self, value: Any, where: str, visiting: tuple[str, ...]) -> Any:
        if isinstance(value, str) and value.startswith(_LEGACY_REF_PREFIX) and value.endswith(_LEGACY_REF_SUFFIX):
            target = value[len(_LEGACY_REF_PREFIX) : -len(_LEGACY_REF_SUFFIX)]
            return self._follow(target.split("."), value, where, visiting)
        if isinstance(value, list):
            return [self.resolve(item, f"{where}[{i}]", visiting) for i, item in enumerate(value)]
        if not isinstance(value, Mapping):
            return value
        result: dict[str, Any] = {}
        if REF in value:
            pointer = value[REF]
            if not isinstance(pointer, str) or not pointer.startswith("#/"):
                raise ManifestError(
                    where, f"$ref {pointer!r} must be a pointer into this manifest like '#/definitions/x'"
                )
            target = self._follow(_pointer_parts(pointer), pointer, where, visiting)
            if not isinstance(target, Mapping):
                raise ManifestError(where, f"$ref {pointer!r} must point at an object")
            result.update(target)
        for key, item in value.items():
            if key != REF:
                result[key] = self.resolve(item, f"{where}.{key}" if where != "(top level)" else key, visiting)
        return result

    def _follow(self, parts: list[str], written: str, where: str, visiting: tuple[str, ...]) -> Any:
        if written in visiting:
            raise ManifestError(where, f"reference cycle: {' -> '.join((*visiting, written))}")
        node: Any = self.root
        for part in parts:
            if isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            elif isinstance(node, Mapping) and part in node:
                node = node[part]
            else:
                raise ManifestError(where, f"reference {written!r} points at nothing (no {part!r})")
        return self.resolve(node, where, (*visiting, written))


def _pointer_parts(pointer: str) -> list[str]:
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer[2:].split("/")]


@dataclass(frozen=True)
class Node:
    """One component of the manifest: its fields, where it is, and the ``$parameters`` in force there."""

    data: Mapping[str, Any]
    where: str
    parameters: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def root(cls, manifest: Mapping[str, Any]) -> Node:
        return cls.of(manifest, "(top level)", {}, "DeclarativeSource")

    @classmethod
    def of(
        cls,
        data: Mapping[str, Any],
        where: str,
        inherited: Mapping[str, Any] | None = None,
        default_type: str | None = None,
    ) -> Node:
        """A component at ``where``: its own ``$parameters`` over ``inherited``, typed ``default_type`` if untyped."""
        own = data.get(PARAMETERS) or {}
        if not isinstance(own, Mapping):
            raise ManifestError(where, "$parameters must be an object")
        if "type" not in data and default_type is not None:
            data = {**data, "type": default_type}
        return cls(data, where, {**(inherited or {}), **own})

    @property
    def type(self) -> str | None:
        kind = self.data.get("type")
        return kind if isinstance(kind, str) else None

    def get(self, key: str, default: Any = None) -> Any:
        """The field, else the parameter of that name (typed components only), else ``default``."""
        value = self.data.get(key)
        if not value and self.type is not None and self.parameters.get(key):
            value = self.parameters[key]
        return default if value is None else value

    def require(self, key: str) -> Any:
        value = self.get(key)
        if value is None:
            raise ManifestError(self.where, f"{self.type or 'this object'} needs a {key!r} field")
        return value

    def at(self, key: str) -> str:
        """Where the field ``key`` of this component is, for error messages."""
        return f"{self.where}.{key}" if self.where != "(top level)" else key

    def child(self, key: str) -> Node | None:
        """The component in field ``key`` (``None`` when absent), typed by default where Airbyte does."""
        value = self.get(key)
        if value is None:
            return None
        return self._child(value, key, self.at(key))

    def children(self, key: str) -> list[Node]:
        values = self.get(key) or []
        if not isinstance(values, list):
            raise ManifestError(self.at(key), "must be a list")
        return [self._child(value, key, f"{self.at(key)}[{i}]") for i, value in enumerate(values)]

    def _child(self, value: Any, key: str, where: str) -> Node:
        if not isinstance(value, Mapping):
            raise ManifestError(where, f"must be an object (a component), not {type(value).__name__}")
        inherited = {k: v for k, v in self.parameters.items() if k != key}
        return Node.of(value, where, inherited, DEFAULT_TYPES.get(f"{self.type}.{key}"))

    def only(self, *supported: str) -> None:
        """Fail naming the first field written on this component that Airbyte gives a meaning this runtime
        does not implement, so a manifest never silently means less here than in Airbyte. Fields Airbyte's
        schema does not define for the component, which airbyte-cdk ignores too, are accepted
        (:mod:`~.schema_fields`)."""
        defined = AIRBYTE_FIELDS.get(self.type or "")
        for key, value in self.data.items():
            if key in supported or key in DESCRIPTIVE_KEYS:
                continue
            if defined is not None and (key not in defined or key in NO_EFFECT.get(str(self.type), ())):
                continue
            inert = INERT_VALUES.get(str(self.type), {})
            if key in inert and value == inert[key]:
                continue
            raise ManifestError(
                self.at(key), f"field {key!r} of {self.type} is not supported by this runtime; remove it"
            )
