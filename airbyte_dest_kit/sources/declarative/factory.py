"""The component factory: from a manifest's nodes to running objects, keyed by ``type:``.

Every builder lists the fields it implements (:meth:`Node.only`); a field it does not, or a component type
outside the supported set, fails when the streams are built (``check``, ``discover``, ``read``) with the
place in the manifest, never silently ignored. Templates are compiled here, so a Jinja syntax error also
shows up at ``check`` with the field that holds it. Each family of components is built in its module of
:mod:`~airbyte_dest_kit.sources.declarative.builders`; this one builds streams, retrievers and requesters.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from airbyte_dest_kit.sources.declarative import paginators, partitions, records
from airbyte_dest_kit.sources.declarative.builders.auth import AuthBuilders
from airbyte_dest_kit.sources.declarative.builders.base import missing, refuse
from airbyte_dest_kit.sources.declarative.builders.errors import ErrorHandlerBuilders
from airbyte_dest_kit.sources.declarative.builders.incremental import IncrementalBuilders
from airbyte_dest_kit.sources.declarative.builders.pagination import PaginationBuilders
from airbyte_dest_kit.sources.declarative.builders.records import RecordBuilders
from airbyte_dest_kit.sources.declarative.incremental import DatetimeBasedCursor
from airbyte_dest_kit.sources.declarative.interpolation import InterpolatedMapping
from airbyte_dest_kit.sources.declarative.manifest import ManifestError, Node
from airbyte_dest_kit.sources.declarative.per_partition import PerPartitionCursor
from airbyte_dest_kit.sources.declarative.retriever import HttpRequester, SimpleRetriever
from airbyte_dest_kit.sources.declarative.stream import ManifestStream, stream_class
from airbyte_dest_kit.sources.http import HttpClient

EMPTY_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {},
}


class Factory(AuthBuilders, ErrorHandlerBuilders, RecordBuilders, PaginationBuilders, IncrementalBuilders):
    def stream(self, node: Node) -> ManifestStream:
        if node.type != "DeclarativeStream":
            refuse(node, "stream", ["DeclarativeStream"])
        node.only("name", "primary_key", "retriever", "incremental_sync", "schema_loader", "transformations")
        name = node.require("name")
        retriever_node = node.child("retriever")
        if retriever_node is None:
            raise ManifestError(node.where, f"stream {name!r} needs a retriever")
        cursor_node = node.child("incremental_sync")
        prototype = self.cursor(cursor_node, name) if cursor_node is not None else None
        transformations = [self.transformation(child) for child in node.children("transformations")]
        schema = self.schema_loader(node)
        retriever = self.one_of(
            retriever_node, "retriever", {"SimpleRetriever": lambda n: self.retriever(n, transformations, schema)}
        )
        cursor: DatetimeBasedCursor | PerPartitionCursor | None = prototype
        if prototype is not None and not isinstance(retriever.partition_router, partitions.SinglePartition):
            cursor = PerPartitionCursor(prototype)  # one cursor per partition, cloned from this one
        cls = stream_class(name, self.primary_key(node), cursor.cursor_field if cursor else None)
        return cls(retriever, cursor, schema, self.context(node))

    @staticmethod
    def primary_key(node: Node) -> list[list[str]] | None:
        key = node.get("primary_key")
        if key in (None, "", []):
            return None
        if isinstance(key, str):
            return [[key]]
        if isinstance(key, list) and all(isinstance(part, str) for part in key):
            return [[part] for part in key]
        if isinstance(key, list) and all(isinstance(part, list) for part in key):
            return [[str(p) for p in part] for part in key]
        raise ManifestError(node.at("primary_key"), "must be a field name, a list of names, or a list of paths")

    def schema_loader(self, stream: Node) -> Callable[[], dict[str, Any]]:
        node, name = stream.child("schema_loader"), stream.get("name")
        if node is None:  # Airbyte's default: schemas/<stream name>.json if it exists, else any object
            path = self.manifest_dir / "schemas" / f"{name}.json"
            return lambda: _read_schema(path, stream.at("schema_loader")) if path.exists() else dict(EMPTY_SCHEMA)
        return self.one_of(
            node,
            "schema loader",
            {
                "InlineSchemaLoader": self.inline_schema,
                "JsonFileSchemaLoader": lambda n: self.json_file_schema(n, name),
            },
        )

    def inline_schema(self, node: Node) -> Callable[[], dict[str, Any]]:
        node.only("schema")
        schema = node.data.get("schema") or {}
        if not isinstance(schema, dict):
            raise ManifestError(node.at("schema"), "must be a JSON schema object")
        return lambda: schema

    def json_file_schema(self, node: Node, stream_name: str) -> Callable[[], dict[str, Any]]:
        node.only("file_path")
        file_path = self.value(node, "file_path", default=f"./schemas/{stream_name}.json")
        path = self.manifest_dir / str(file_path)
        return lambda: _read_schema(path, node.at("file_path"))

    # -- retriever and requester ----------------------------------------------------------------------

    def retriever(
        self, node: Node, transformations: list[records.Transformation], schema: Callable[[], dict[str, Any]]
    ) -> SimpleRetriever:
        node.only(
            "requester",
            "record_selector",
            "paginator",
            "partition_router",
            "ignore_stream_slicer_parameters_on_paginated_requests",
            "decoder",
        )
        self.json_decoder(node)
        requester = self.one_of(
            node.child("requester") or missing(node, "requester"), "requester", {"HttpRequester": self.requester}
        )
        selector_node = node.child("record_selector") or missing(node, "record_selector")
        selector = self.one_of(
            selector_node,
            "record selector",
            {"RecordSelector": lambda n: self.record_selector(n, transformations, schema)},
        )
        paginator_node = node.child("paginator")
        paginator = (
            paginators.NoPagination()
            if paginator_node is None
            else self.one_of(
                paginator_node,
                "paginator",
                {"DefaultPaginator": self.default_paginator, "NoPagination": lambda n: paginators.NoPagination()},
            )
        )
        return SimpleRetriever(
            requester=requester,
            record_selector=selector,
            paginator=paginator,
            partition_router=self.partition_router(node),
            ignore_slicer_on_later_pages=bool(node.get("ignore_stream_slicer_parameters_on_paginated_requests")),
        )

    def requester(self, node: Node) -> HttpRequester:
        node.only(
            "url_base",
            "url",
            "path",
            "http_method",
            "request_parameters",
            "request_headers",
            "request_body_json",
            "request_body_data",
            "authenticator",
            "error_handler",
            "name",
        )
        if node.get("url") is not None:
            url_base, path = "", self.template(node, "url")
        else:
            url_base = str(self.value(node, "url_base") or missing(node, "url_base"))
            path = self.template(node, "path", default="")
        method = str(node.get("http_method", "GET")).upper()
        if method not in ("GET", "POST"):
            raise ManifestError(node.at("http_method"), f"must be GET or POST, not {method!r}")
        mapping = {
            key: InterpolatedMapping(node.get(key), node.at(key), node.parameters)
            for key in ("request_parameters", "request_headers", "request_body_json", "request_body_data")
        }
        handler_node = node.child("error_handler")
        handler = self.any_error_handler(
            handler_node or Node({"type": "DefaultErrorHandler"}, node.at("error_handler"), node.parameters)
        )
        return HttpRequester(
            client=self.client(url_base, node.child("authenticator")),
            path=path,
            http_method=method,
            request_parameters=mapping["request_parameters"],
            request_headers=mapping["request_headers"],
            request_body_json=mapping["request_body_json"],
            request_body_data=mapping["request_body_data"],
            error_handler=handler,
        )

    def client(self, url_base: str, auth_node: Node | None) -> HttpClient:
        """One pool per base URL and authenticator: streams sharing a ``$ref``'d authenticator share its
        tokens (one OAuth refresh, not one per stream, which single-use refresh tokens would not survive)."""
        auth_key = json.dumps(auth_node.data, sort_keys=True, default=str) if auth_node is not None else ""
        if auth_key not in self._auths:
            self._auths[auth_key] = self.authenticator(auth_node, url_base) if auth_node is not None else None
        key = (url_base, auth_key)
        if key not in self._clients:
            self._clients[key] = HttpClient(url_base, auth=self._auths[auth_key], events=self.events)
        return self._clients[key]


def _read_schema(path: Path, where: str) -> dict[str, Any]:
    try:
        schema = json.loads(path.read_text())
    except OSError as exc:
        raise ManifestError(where, f"schema file {str(path)!r} cannot be read: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise ManifestError(where, f"schema file {str(path)!r} is not valid JSON: {exc}") from None
    if not isinstance(schema, dict):
        raise ManifestError(where, f"schema file {str(path)!r} must hold a JSON schema object")
    return schema
