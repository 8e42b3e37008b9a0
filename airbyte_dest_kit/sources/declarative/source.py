"""``ManifestSource``: a :class:`~airbyte_dest_kit.sources.source.Source` whose streams come from a manifest,
and :func:`run`, the command line of ``sources/source-declarative-manifest/main.py``.

Two ways to give the manifest::

    main.py read --config config.json --catalog K   # config: {"__injected_declarative_manifest": {...}, ...}
    main.py read --manifest manifest.yaml --config config.json --catalog K

The first is Airbyte's own ``source-declarative-manifest`` form (the same config files work with both);
``spec`` then prints the runner's spec, which asks for the injected manifest. With ``--manifest``, ``spec``
prints the manifest's spec, relative ``JsonFileSchemaLoader`` paths are read next to the manifest file,
and an injected manifest in the config is ignored.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.runtime.config import read_json_file, validate_config
from airbyte_dest_kit.runtime.entrypoint import launch
from airbyte_dest_kit.runtime.secrets import secret_values
from airbyte_dest_kit.sources.concurrent import check_concurrency
from airbyte_dest_kit.sources.declarative.factory import Factory
from airbyte_dest_kit.sources.declarative.interpolation import Interpolated
from airbyte_dest_kit.sources.declarative.manifest import (
    ManifestError,
    Node,
    load_manifest_file,
    resolve_references,
)
from airbyte_dest_kit.sources.source import Source
from airbyte_dest_kit.sources.stream import Stream

INJECTED = "__injected_declarative_manifest"
log = logging.getLogger("airbyte.source.declarative")

RUNNER_SPEC: dict[str, Any] = {
    "connectionSpecification": {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Declarative manifest runner",
        "type": "object",
        "required": [INJECTED],
        "properties": {INJECTED: {"type": "object", "description": "The connector's manifest (a DeclarativeSource)."}},
        "additionalProperties": True,
    }
}


class ManifestSource(Source):
    def __init__(self, manifest: Mapping[str, Any] | None = None, manifest_dir: Path | None = None) -> None:
        super().__init__()
        self.manifest = resolve_references(manifest) if manifest is not None else None
        self.manifest_dir = manifest_dir or Path.cwd()
        self.from_file = manifest is not None

    # -- spec and config ------------------------------------------------------------------------------

    def spec(self) -> dict[str, Any]:
        if self.manifest is None:
            return RUNNER_SPEC
        root = Node.root(self.manifest)
        node = root.child("spec")
        if node is None:
            raise ManifestError(root.where, "the manifest has no 'spec' (a Spec with a connection_specification)")
        if node.type != "Spec":
            raise ManifestError(node.where, f"spec must be of type Spec, not {node.type!r}")
        node.only("connection_specification", "documentation_url", "advanced_auth")
        spec: dict[str, Any] = {"connectionSpecification": node.require("connection_specification")}
        if node.get("documentation_url"):
            spec["documentationUrl"] = node.get("documentation_url")
        if node.get("advanced_auth"):
            spec["advancedAuth"] = node.get("advanced_auth")
        return spec

    def load_config(self, path: str) -> dict[str, Any]:
        raw = read_json_file(path, "config")
        if not isinstance(raw, dict):
            raise ConfigError(f"config file {path!r} must hold a JSON object")
        injected = raw.get(INJECTED)
        if self.from_file:
            if injected is not None:
                log.info("using the manifest given with --manifest; the config's %s is ignored", INJECTED)
        elif not isinstance(injected, dict):
            raise ConfigError(
                f"config file {path!r} has no {INJECTED!r} object: put the manifest there, or pass --manifest FILE"
            )
        else:
            self.manifest = resolve_references(injected)
        spec = self.spec()
        own = {key: value for key, value in raw.items() if key != INJECTED}
        for secret in secret_values(spec, own):  # before validation: its errors may quote the values
            self.add_secret(secret)
        validated = validate_config(own, spec)
        return {**validated, INJECTED: injected} if injected is not None else validated

    # -- streams and check ----------------------------------------------------------------------------

    def _root(self) -> Node:
        if self.manifest is None:
            raise ConfigError(f"no manifest: pass --manifest FILE or put it in the config under {INJECTED!r}")
        root = Node.root(self.manifest)
        # api_budget paces requests (the kit's client waits out 429s and Retry-After instead): no effect on data
        root.only(
            "version",
            "check",
            "streams",
            "spec",
            "definitions",
            "metadata",
            "schemas",
            "concurrency_level",
            "api_budget",
        )
        return root

    def streams(self, config: Mapping[str, Any]) -> Sequence[Stream]:
        root = self._root()
        spec = self.manifest.get("spec") if self.manifest is not None else None
        schema = spec.get("connection_specification") if isinstance(spec, Mapping) else None
        factory = Factory(
            config, self.manifest_dir, self.events, config_schema=schema if isinstance(schema, Mapping) else None
        )
        streams = [factory.stream(node) for node in root.children("streams")]
        if not streams:
            raise ManifestError(root.at("streams"), "the manifest defines no streams")
        self._check_stream_names(root, {stream.name for stream in streams})
        return streams

    def _check_stream_names(self, root: Node, names: set[str]) -> list[str]:
        node = root.child("check")
        if node is None:
            raise ManifestError(root.where, "the manifest has no 'check' (a CheckStream naming streams to try)")
        if node.type != "CheckStream":
            raise ManifestError(
                node.where, f"component type {node.type!r} is not supported as a check (use CheckStream)"
            )
        node.only("stream_names")
        stream_names = node.get("stream_names") or []
        unknown = [name for name in stream_names if name not in names]
        if unknown or not stream_names:
            raise ManifestError(
                node.at("stream_names"),
                f"must name streams of this manifest ({', '.join(sorted(names))}); unknown: {', '.join(unknown)}",
            )
        return list(stream_names)

    def concurrency_level(self, config: Mapping[str, Any]) -> int:
        """The manifest's ``concurrency_level`` (``ConcurrencyLevel``: ``default_concurrency``, a number or a
        template over the config, capped by ``max_concurrency``); 1 (read every stream sequentially) when the
        manifest has none."""
        node = self._root().child("concurrency_level")
        if node is None:
            return 1
        node.only("default_concurrency", "max_concurrency")
        level = Interpolated(node.require("default_concurrency"), node.at("default_concurrency")).eval(
            {"config": config}
        )
        level = check_concurrency(_whole_number(level), f"manifest: {node.at('default_concurrency')}")
        ceiling = node.get("max_concurrency")
        if ceiling is not None:
            level = min(level, check_concurrency(_whole_number(ceiling), f"manifest: {node.at('max_concurrency')}"))
        return level

    def check_connection(self, config: Mapping[str, Any]) -> None:
        """``CheckStream``: read up to the first record of each named stream; an HTTP error fails the check."""
        streams = {stream.name: stream for stream in self.streams(config)}
        for name in self._check_stream_names(self._root(), set(streams)):
            stream = streams[name]
            self.events.current_stream = (name, None)
            try:
                stream.load_state(None)
                first_slice = next(iter(stream.slices()), None)
                next(iter(stream.read(first_slice)), None)
            finally:
                self.events.current_stream = None


def _whole_number(value: Any) -> Any:
    """A rendered template's text as a number when it is one (the check that follows names the field)."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return value


def run(argv: Sequence[str] | None = None) -> None:
    """``[--manifest FILE] COMMAND ...``: the shared command line, plus the manifest option; exits the
    process with the failure's status like :func:`~airbyte_dest_kit.runtime.entrypoint.launch`."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--manifest")
    known, rest = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    if known.manifest is None:
        launch(ManifestSource(), rest)
        return
    path = Path(known.manifest)
    try:
        manifest = load_manifest_file(path)
    except ConfigError as exc:
        launch(_Unloadable(exc), rest)
        return
    launch(ManifestSource(manifest, path.resolve().parent), rest)


class _Unloadable(ManifestSource):
    """A manifest file that cannot be read: every command reports why, the way the command reports errors."""

    def __init__(self, error: ConfigError) -> None:
        super().__init__()
        self.error = error

    def spec(self) -> dict[str, Any]:
        raise self.error

    def load_config(self, path: str) -> dict[str, Any]:
        raise self.error
