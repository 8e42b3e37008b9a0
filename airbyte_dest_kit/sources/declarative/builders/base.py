"""What every builder uses: the config, the events, rendering fixed fields, and dispatch on ``type:``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import httpx

from airbyte_dest_kit.sources.declarative.datetimes import parse_duration
from airbyte_dest_kit.sources.declarative.interpolation import Interpolated, config_for_templates
from airbyte_dest_kit.sources.declarative.manifest import ManifestError, Node
from airbyte_dest_kit.sources.declarative.request_options import RequestOption
from airbyte_dest_kit.sources.declarative.retriever import HttpRequester
from airbyte_dest_kit.sources.declarative.stream import ManifestStream
from airbyte_dest_kit.sources.events import SourceEvents
from airbyte_dest_kit.sources.http import HttpClient

T = TypeVar("T")


@dataclass
class Builder:
    """The state one build of a manifest's streams shares; the families of builders extend it."""

    config: Mapping[str, Any]
    manifest_dir: Path
    events: SourceEvents
    # the spec's connection_specification: which config keys templates may find missing (see interpolation)
    config_schema: Mapping[str, Any] | None = None
    # HTTP clients and authenticators, shared between the streams that use the same ones (Factory.client)
    _clients: dict[tuple[str, str], HttpClient] = field(default_factory=dict)
    _auths: dict[str, httpx.Auth | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._template_config = config_for_templates(self.config, self.config_schema)

    def template(
        self, node: Node, key: str, default: Any = None, types: tuple[type, ...] | None = None
    ) -> Interpolated:
        return Interpolated(node.get(key), node.at(key), parameters=node.parameters, default=default, types=types)

    def value(self, node: Node, key: str, default: Any = None) -> Any:
        """A field rendered with ``config`` and ``parameters`` only (fixed for the whole run)."""
        raw = node.get(key)
        if raw is None:
            return default
        evaluated = self.template(node, key).eval({"config": self._template_config})
        return default if evaluated is None else evaluated

    def context(self, node: Node) -> dict[str, Any]:
        return {"config": self._template_config, "parameters": node.parameters}

    def one_of(self, node: Node, role: str, builders: Mapping[str, Callable[[Node], T]]) -> T:
        """Build ``node`` with the builder for its type, or fail naming the type and the place."""
        if node.type not in builders:
            refuse(node, role, list(builders))
        return builders[str(node.type)](node)

    def request_option(self, node: Node) -> RequestOption:
        node.only("inject_into", "field_name", "field_path")
        return RequestOption.of(node.data, node.where, self.value(node, "field_name"))

    def json_decoder(self, node: Node) -> None:
        """The ``decoder`` field: responses are JSON here, so ``JsonDecoder`` (the default) is the only one."""
        decoder = node.child("decoder")
        if decoder is not None:
            self.one_of(decoder, "decoder", {"JsonDecoder": lambda n: n.only()})

    def stream(self, node: Node) -> ManifestStream:
        """A stream (parents of substreams are streams too); the factory builds them."""
        raise NotImplementedError

    def requester(self, node: Node) -> HttpRequester:
        """An ``HttpRequester`` (a session token's login request is one too); the factory builds them."""
        raise NotImplementedError

    def duration(self, node: Node, key: str) -> Any:
        """An ISO 8601 duration field (``P1D``, ``PT1H``), ``None`` when unset."""
        text = self.value(node, key)
        if text in (None, ""):
            return None
        try:
            return parse_duration(str(text))
        except ValueError:
            raise ManifestError(node.at(key), f"{text!r} is not an ISO 8601 duration such as P1D or PT1H") from None


def refuse(node: Node, role: str, supported: list[str]) -> NoReturn:
    kind = node.type
    if (kind or "").startswith("Custom") or "class_name" in node.data:
        name = kind or node.data.get("class_name")
        problem = f"{name} is a custom Python component, which a manifest-only runtime cannot load"
    elif kind is None:
        raise ManifestError(node.where, f"a {role} needs a 'type' (one of {', '.join(supported)})")
    else:
        problem = f"component type {kind!r} is not supported as a {role} by this runtime"
    raise ManifestError(node.where, f"{problem} (supported here: {', '.join(supported)})")


def missing(node: Node, key: str) -> Any:
    raise ManifestError(node.where, f"{node.type or 'this component'} needs a {key!r} field")
