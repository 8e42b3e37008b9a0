"""The component factory: from a manifest's nodes to running objects, keyed by ``type:``.

Every builder lists the fields it implements (:meth:`Node.only`); a field it does not, or a component type
outside the supported set, fails when the streams are built (``check``, ``discover``, ``read``) with the
place in the manifest, never silently ignored. Templates are compiled here, so a Jinja syntax error also
shows up at ``check`` with the field that holds it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import httpx

from airbyte_dest_kit.sources.auth import (
    ApiKeyHeaderAuth,
    ApiKeyQueryAuth,
    BasicAuth,
    BearerTokenAuth,
    OAuth2RefreshAuth,
)
from airbyte_dest_kit.sources.declarative import error_handler as errors
from airbyte_dest_kit.sources.declarative import paginators, partitions, records
from airbyte_dest_kit.sources.declarative.auth import ConfigPersistedOAuth
from airbyte_dest_kit.sources.declarative.datetimes import parse_duration
from airbyte_dest_kit.sources.declarative.incremental import DatetimeBasedCursor, MinMaxDatetime
from airbyte_dest_kit.sources.declarative.interpolation import Interpolated, InterpolatedMapping
from airbyte_dest_kit.sources.declarative.manifest import ManifestError, Node
from airbyte_dest_kit.sources.declarative.request_options import RequestOption
from airbyte_dest_kit.sources.declarative.retriever import HttpRequester, SimpleRetriever
from airbyte_dest_kit.sources.declarative.stream import ManifestStream, stream_class
from airbyte_dest_kit.sources.events import SourceEvents
from airbyte_dest_kit.sources.http import HttpClient

T = TypeVar("T")
EMPTY_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {},
}


@dataclass
class Factory:
    config: Mapping[str, Any]
    manifest_dir: Path
    events: SourceEvents
    _clients: dict[tuple[str, str], HttpClient] = field(default_factory=dict)
    _auths: dict[str, httpx.Auth | None] = field(default_factory=dict)

    # -- helpers --------------------------------------------------------------------------------------

    def template(
        self, node: Node, key: str, default: Any = None, types: tuple[type, ...] | None = None
    ) -> Interpolated:
        return Interpolated(node.get(key), node.at(key), parameters=node.parameters, default=default, types=types)

    def value(self, node: Node, key: str, default: Any = None) -> Any:
        """A field rendered with ``config`` and ``parameters`` only (fixed for the whole run)."""
        raw = node.get(key)
        if raw is None:
            return default
        evaluated = self.template(node, key).eval({"config": self.config})
        return default if evaluated is None else evaluated

    def context(self, node: Node) -> dict[str, Any]:
        return {"config": self.config, "parameters": node.parameters}

    def one_of(self, node: Node, role: str, builders: Mapping[str, Callable[[Node], T]]) -> T:
        """Build ``node`` with the builder for its type, or fail naming the type and the place."""
        if node.type not in builders:
            refuse(node, role, list(builders))
        return builders[str(node.type)](node)

    # -- streams --------------------------------------------------------------------------------------

    def stream(self, node: Node) -> ManifestStream:
        if node.type != "DeclarativeStream":
            refuse(node, "stream", ["DeclarativeStream"])
        node.only("name", "primary_key", "retriever", "incremental_sync", "schema_loader", "transformations")
        name = node.require("name")
        retriever_node = node.child("retriever")
        if retriever_node is None:
            raise ManifestError(node.where, f"stream {name!r} needs a retriever")
        cursor_node = node.child("incremental_sync")
        cursor = self.cursor(cursor_node, name) if cursor_node is not None else None
        transformations = [self.transformation(child) for child in node.children("transformations")]
        retriever = self.one_of(
            retriever_node, "retriever", {"SimpleRetriever": lambda n: self.retriever(n, transformations)}
        )
        if cursor is not None and not isinstance(retriever.partition_router, partitions.SinglePartition):
            raise ManifestError(
                node.at("incremental_sync"),
                "a DatetimeBasedCursor together with a partition router (per-partition state) is not supported "
                "by this runtime; read the child stream in full refresh, or drop the partition router",
            )
        cls = stream_class(name, self.primary_key(node), cursor.cursor_field if cursor else None)
        return cls(retriever, cursor, self.schema_loader(node), self.context(node))

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

    def retriever(self, node: Node, transformations: list[records.Transformation]) -> SimpleRetriever:
        node.only(
            "requester",
            "record_selector",
            "paginator",
            "partition_router",
            "ignore_stream_slicer_parameters_on_paginated_requests",
        )
        requester = self.one_of(
            node.child("requester") or _missing(node, "requester"), "requester", {"HttpRequester": self.requester}
        )
        selector_node = node.child("record_selector") or _missing(node, "record_selector")
        selector = self.one_of(
            selector_node, "record selector", {"RecordSelector": lambda n: self.record_selector(n, transformations)}
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
            "use_cache",  # a response cache changes no results
            "name",
        )
        if node.get("url") is not None:
            url_base, path = "", self.template(node, "url")
        else:
            url_base = str(self.value(node, "url_base") or _missing(node, "url_base"))
            path = self.template(node, "path", default="")
        method = str(node.get("http_method", "GET")).upper()
        if method not in ("GET", "POST"):
            raise ManifestError(node.at("http_method"), f"must be GET or POST, not {method!r}")
        mapping = {
            key: InterpolatedMapping(node.get(key), node.at(key), node.parameters)
            for key in ("request_parameters", "request_headers", "request_body_json", "request_body_data")
        }
        handler_node = node.child("error_handler")
        handler = self.one_of(
            handler_node or Node({"type": "DefaultErrorHandler"}, node.at("error_handler"), node.parameters),
            "error handler",
            {"DefaultErrorHandler": self.error_handler},
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
            self._auths[auth_key] = self.authenticator(auth_node) if auth_node is not None else None
        key = (url_base, auth_key)
        if key not in self._clients:
            self._clients[key] = HttpClient(url_base, auth=self._auths[auth_key], events=self.events)
        return self._clients[key]

    # -- authenticators -------------------------------------------------------------------------------

    def authenticator(self, node: Node) -> httpx.Auth | None:
        return self.one_of(
            node,
            "authenticator",
            {
                "NoAuth": self.no_auth,
                "ApiKeyAuthenticator": self.api_key_auth,
                "BearerAuthenticator": self.bearer_auth,
                "BasicHttpAuthenticator": self.basic_auth,
                "OAuthAuthenticator": self.oauth,
            },
        )

    @staticmethod
    def no_auth(node: Node) -> None:
        node.only()

    def secret(self, node: Node, key: str, default: Any = None) -> str:
        """A credential from the config: masked in every line from now on."""
        value = self.value(node, key, default)
        if value is None:
            raise ManifestError(node.at(key), f"{node.type} needs {key!r} (usually from the config)")
        text = str(value)
        self.events.new_secret(text)
        return text

    def api_key_auth(self, node: Node) -> httpx.Auth:
        node.only("api_token", "header", "inject_into")
        token = self.secret(node, "api_token")
        option_node = node.child("inject_into")
        if option_node is None:
            return ApiKeyHeaderAuth(str(self.value(node, "header") or _missing(node, "header")), token)
        option = self.request_option(option_node)
        if option.inject_into == "header":
            return ApiKeyHeaderAuth(option.field_path[0], token)
        if option.inject_into == "request_parameter":
            return ApiKeyQueryAuth(option.field_path[0], token)
        raise ManifestError(option_node.where, "an API key goes in a header or a request_parameter")

    def bearer_auth(self, node: Node) -> httpx.Auth:
        node.only("api_token")
        return BearerTokenAuth(self.secret(node, "api_token"))

    def basic_auth(self, node: Node) -> httpx.Auth:
        node.only("username", "password")
        return BasicAuth(self.secret(node, "username"), self.secret(node, "password", default=""))

    def oauth(self, node: Node) -> httpx.Auth:
        node.only(
            "token_refresh_endpoint",
            "client_id",
            "client_secret",
            "refresh_token",
            "access_token_name",
            "expires_in_name",
            "grant_type",
            "refresh_request_body",
            "scopes",
            "token_expiry_date",
            "refresh_token_updater",
        )
        form = dict(
            InterpolatedMapping(
                node.get("refresh_request_body"), node.at("refresh_request_body"), node.parameters
            ).eval(self.context(node))
        )
        scopes = node.get("scopes")
        if scopes:
            form["scope"] = " ".join(str(scope) for scope in scopes)
        expiry = self.value(node, "token_expiry_date")
        fields: dict[str, Any] = {
            "client_id": self.secret(node, "client_id"),
            "client_secret": self.secret(node, "client_secret"),
            "refresh_token": self.secret(node, "refresh_token"),
            "access_token_name": str(self.value(node, "access_token_name", "access_token")),
            "expires_in_name": str(self.value(node, "expires_in_name", "expires_in")),
            "grant_type": str(self.value(node, "grant_type", "refresh_token")),
            "extra_form": form,
            "token_expiry_date": str(expiry) if expiry else None,
        }
        token_url = str(self.value(node, "token_refresh_endpoint") or _missing(node, "token_refresh_endpoint"))
        updater = node.get("refresh_token_updater")
        if updater is None:
            return OAuth2RefreshAuth(token_url, self.events, **fields)
        updater_node = Node(updater, node.at("refresh_token_updater"))
        updater_node.only(
            "refresh_token_name",
            "access_token_config_path",
            "refresh_token_config_path",
            "token_expiry_date_config_path",
        )
        paths = {
            name: [str(part) for part in updater.get(f"{name}_config_path", ["credentials", name])]
            for name in ("access_token", "refresh_token", "token_expiry_date")
        }
        return ConfigPersistedOAuth(self.config, paths, token_url, self.events, **fields)

    # -- error handling -------------------------------------------------------------------------------

    def error_handler(self, node: Node) -> errors.DefaultErrorHandler:
        node.only("response_filters", "backoff_strategies", "max_retries")
        response_filters = [
            self.one_of(child, "response filter", {"HttpResponseFilter": self.response_filter})
            for child in node.children("response_filters")
        ]
        strategies = [
            self.one_of(
                child,
                "backoff strategy",
                {
                    "ConstantBackoffStrategy": self.constant_backoff,
                    "ExponentialBackoffStrategy": self.exponential_backoff,
                    "WaitTimeFromHeader": self.wait_time_from_header,
                    "WaitUntilTimeFromHeader": self.wait_until_time_from_header,
                },
            )
            for child in node.children("backoff_strategies")
        ]
        return errors.DefaultErrorHandler(
            response_filters, strategies, int(self.value(node, "max_retries", 5)), self.context(node)
        )

    def response_filter(self, node: Node) -> errors.HttpResponseFilter:
        node.only("action", "failure_type", "http_codes", "error_message_contains", "predicate", "error_message")
        action_name = node.get("action")
        if action_name is not None and action_name not in errors.ACTIONS:
            raise ManifestError(node.at("action"), f"must be one of {', '.join(errors.ACTIONS)}, not {action_name!r}")
        failure_name = node.get("failure_type")
        if failure_name is not None and failure_name not in errors.FAILURE_TYPES:
            raise ManifestError(node.at("failure_type"), f"must be one of {', '.join(errors.FAILURE_TYPES)}")
        return errors.HttpResponseFilter(
            action=errors.ACTIONS[action_name] if action_name else None,
            failure_type=errors.FAILURE_TYPES[failure_name] if failure_name else None,
            http_codes=frozenset(int(code) for code in node.get("http_codes", [])),
            error_message_contains=node.get("error_message_contains"),
            predicate=self.template(node, "predicate") if node.get("predicate") else None,
            error_message=self.template(node, "error_message") if node.get("error_message") else None,
        )

    def constant_backoff(self, node: Node) -> errors.BackoffStrategy:
        node.only("backoff_time_in_seconds")
        return errors.ConstantBackoffStrategy(
            float(self.value(node, "backoff_time_in_seconds") or _missing(node, "backoff_time_in_seconds"))
        )

    def exponential_backoff(self, node: Node) -> errors.BackoffStrategy:
        node.only("factor")
        return errors.ExponentialBackoffStrategy(float(self.value(node, "factor", 5)))

    def _regex(self, node: Node) -> re.Pattern[str] | None:
        pattern = self.value(node, "regex")
        return re.compile(str(pattern)) if pattern else None

    def wait_time_from_header(self, node: Node) -> errors.BackoffStrategy:
        node.only("header", "regex", "max_waiting_time_in_seconds")
        limit = self.value(node, "max_waiting_time_in_seconds")
        return errors.WaitTimeFromHeader(
            str(self.value(node, "header") or _missing(node, "header")),
            self._regex(node),
            float(limit) if limit else None,
        )

    def wait_until_time_from_header(self, node: Node) -> errors.BackoffStrategy:
        node.only("header", "regex", "min_wait")
        return errors.WaitUntilTimeFromHeader(
            str(self.value(node, "header") or _missing(node, "header")),
            self._regex(node),
            float(self.value(node, "min_wait", 0)),
        )

    # -- records --------------------------------------------------------------------------------------

    def record_selector(self, node: Node, transformations: list[records.Transformation]) -> records.RecordSelector:
        node.only("extractor", "record_filter", "schema_normalization")
        if node.get("schema_normalization", "None") != "None":
            raise ManifestError(node.at("schema_normalization"), "only 'None' is supported by this runtime")
        extractor_node = node.child("extractor") or _missing(node, "extractor")
        extractor = self.one_of(extractor_node, "extractor", {"DpathExtractor": self.dpath_extractor})
        filter_node = node.child("record_filter")
        record_filter = (
            self.one_of(filter_node, "record filter", {"RecordFilter": self.record_filter}) if filter_node else None
        )
        return records.RecordSelector(extractor_node.where, extractor, record_filter, transformations)

    def dpath_extractor(self, node: Node) -> records.DpathExtractor:
        node.only("field_path")
        path = node.get("field_path", [])
        if not isinstance(path, list):
            raise ManifestError(node.at("field_path"), "must be a list of keys")
        return records.DpathExtractor(
            [
                Interpolated(part, f"{node.at('field_path')}[{i}]", parameters=node.parameters)
                for i, part in enumerate(path)
            ]
        )

    def record_filter(self, node: Node) -> records.RecordFilter:
        node.only("condition")
        return records.RecordFilter(self.template(node, "condition", default=False))

    def transformation(self, node: Node) -> records.Transformation:
        builders: dict[str, Callable[[Node], records.Transformation]] = {
            "AddFields": self.add_fields,
            "RemoveFields": self.remove_fields,
        }
        return self.one_of(node, "transformation", builders)

    def add_fields(self, node: Node) -> records.AddFields:
        node.only("fields", "condition")
        added = []
        for child in node.children("fields"):
            child.only("path", "value", "value_type")
            path = child.require("path")
            if not isinstance(path, list) or not path:
                raise ManifestError(child.at("path"), "must be a non-empty list of keys")
            types = _VALUE_TYPES.get(str(child.get("value_type"))) if child.get("value_type") else None
            added.append(records.AddedField(tuple(str(p) for p in path), self.template(child, "value", types=types)))
        condition = self.template(node, "condition", default=False) if node.get("condition") else None
        return records.AddFields(added, condition)

    def remove_fields(self, node: Node) -> records.RemoveFields:
        node.only("field_pointers", "condition")
        pointers = node.require("field_pointers")
        if not isinstance(pointers, list) or not all(isinstance(p, list) and p for p in pointers):
            raise ManifestError(node.at("field_pointers"), "must be a list of paths (lists of keys)")
        condition = self.template(node, "condition", default=False) if node.get("condition") else None
        return records.RemoveFields([tuple(str(k) for k in p) for p in pointers], condition)

    # -- pagination -----------------------------------------------------------------------------------

    def request_option(self, node: Node) -> RequestOption:
        node.only("inject_into", "field_name", "field_path")
        return RequestOption.of(node.data, node.where, self.value(node, "field_name"))

    def default_paginator(self, node: Node) -> paginators.DefaultPaginator:
        node.only("pagination_strategy", "page_token_option", "page_size_option")
        strategy_node = node.child("pagination_strategy") or _missing(node, "pagination_strategy")
        strategy = self.one_of(
            strategy_node,
            "pagination strategy",
            {
                "PageIncrement": self.page_increment,
                "OffsetIncrement": self.offset_increment,
                "CursorPagination": self.cursor_pagination,
            },
        )
        token_node = node.child("page_token_option")
        token_option, token_is_path = None, False
        if token_node is not None:
            if token_node.type == "RequestPath":
                token_node.only()
                token_is_path = True
            else:
                token_option = self.one_of(token_node, "page token option", {"RequestOption": self.request_option})
        size_node = node.child("page_size_option")
        size_option = self.request_option(size_node) if size_node is not None else None
        return paginators.DefaultPaginator(strategy, token_option, token_is_path, size_option)

    def page_size(self, node: Node) -> int | None:
        return paginators.check_page_size(self.value(node, "page_size"), node.at("page_size"))

    def page_increment(self, node: Node) -> paginators.PageIncrement:
        node.only("page_size", "start_from_page", "inject_on_first_request")
        start = int(self.value(node, "start_from_page", 1))
        return paginators.PageIncrement(self.page_size(node), start, bool(node.get("inject_on_first_request")))

    def offset_increment(self, node: Node) -> paginators.OffsetIncrement:
        node.only("page_size", "inject_on_first_request")
        return paginators.OffsetIncrement(self.page_size(node), bool(node.get("inject_on_first_request")))

    def cursor_pagination(self, node: Node) -> paginators.CursorPagination:
        node.only("cursor_value", "stop_condition", "page_size")
        node.require("cursor_value")
        stop = self.template(node, "stop_condition", default=False) if node.get("stop_condition") else None
        return paginators.CursorPagination(self.template(node, "cursor_value"), stop, self.page_size(node))

    # -- partitions and incremental -------------------------------------------------------------------

    def partition_router(self, retriever: Node) -> partitions.PartitionRouter:
        raw = retriever.get("partition_router")
        if raw is None:
            return partitions.SinglePartition()
        if isinstance(raw, list):
            if len(raw) != 1:
                raise ManifestError(
                    retriever.at("partition_router"),
                    "a list of several partition routers is not supported by this runtime",
                )
            node = retriever.children("partition_router")[0]
        else:
            node = retriever.child("partition_router") or _missing(retriever, "partition_router")
        return self.one_of(
            node,
            "partition router",
            {"ListPartitionRouter": self.list_partitions, "SubstreamPartitionRouter": self.substream_partitions},
        )

    def list_partitions(self, node: Node) -> partitions.ListPartitionRouter:
        node.only("cursor_field", "values", "request_option")
        values = self.value(node, "values", [])
        if isinstance(values, str):
            values = [v.strip() for v in values.split(",") if v.strip()]
        if not isinstance(values, list):
            raise ManifestError(node.at("values"), f"must be a list (or render to one), not {values!r}")
        option_node = node.child("request_option")
        option = self.request_option(option_node) if option_node is not None else None
        return partitions.ListPartitionRouter(
            str(self.value(node, "cursor_field") or _missing(node, "cursor_field")), values, option
        )

    def substream_partitions(self, node: Node) -> partitions.SubstreamPartitionRouter:
        node.only("parent_stream_configs")
        parents = []
        for child in node.children("parent_stream_configs"):
            child.only("stream", "parent_key", "partition_field", "request_option", "incremental_dependency")
            if child.get("incremental_dependency"):
                raise ManifestError(
                    child.at("incremental_dependency"), "incremental parents are not supported by this runtime"
                )
            parent = self.stream(child.child("stream") or _missing(child, "stream"))
            option_node = child.child("request_option")
            parents.append(
                partitions.ParentStreamConfig(
                    read_parent=parent.all_records,
                    parent_key=str(self.value(child, "parent_key") or _missing(child, "parent_key")),
                    partition_field=str(self.value(child, "partition_field") or _missing(child, "partition_field")),
                    request_option=self.request_option(option_node) if option_node is not None else None,
                )
            )
        return partitions.SubstreamPartitionRouter(parents)

    def cursor(self, node: Node, stream: str) -> DatetimeBasedCursor:
        return self.one_of(node, "incremental sync", {"DatetimeBasedCursor": lambda n: self.datetime_cursor(n, stream)})

    def datetime_cursor(self, node: Node, stream: str) -> DatetimeBasedCursor:
        node.only(
            "cursor_field",
            "datetime_format",
            "cursor_datetime_formats",
            "start_datetime",
            "end_datetime",
            "step",
            "cursor_granularity",
            "lookback_window",
            "partition_field_start",
            "partition_field_end",
            "start_time_option",
            "end_time_option",
        )
        datetime_format = str(self.value(node, "datetime_format") or _missing(node, "datetime_format"))
        step, granularity = self.duration(node, "step"), self.duration(node, "cursor_granularity")
        if (step is None) != (granularity is None):
            raise ManifestError(node.where, "step and cursor_granularity go together: set both or neither")
        options = {}
        for key in ("start_time_option", "end_time_option"):
            option_node = node.child(key)
            options[key] = self.request_option(option_node) if option_node is not None else None
        end_node = self.datetime_node(node, "end_datetime")
        return DatetimeBasedCursor(
            cursor_field=str(self.value(node, "cursor_field") or _missing(node, "cursor_field")),
            datetime_format=datetime_format,
            cursor_datetime_formats=[str(f) for f in node.get("cursor_datetime_formats", [])],
            start=self.min_max_datetime(
                self.datetime_node(node, "start_datetime") or _missing(node, "start_datetime"), datetime_format
            ),
            end=self.min_max_datetime(end_node, datetime_format) if end_node is not None else None,
            step=step,
            granularity=granularity,
            lookback=self.duration(node, "lookback_window"),
            partition_field_start=str(self.value(node, "partition_field_start", "start_time")),
            partition_field_end=str(self.value(node, "partition_field_end", "end_time")),
            start_time_option=options["start_time_option"],
            end_time_option=options["end_time_option"],
            context=self.context(node),
            stream=stream,
        )

    def duration(self, node: Node, key: str) -> Any:
        text = self.value(node, key)
        if text in (None, ""):
            return None
        try:
            return parse_duration(str(text))
        except ValueError:
            raise ManifestError(node.at(key), f"{text!r} is not an ISO 8601 duration such as P1D or PT1H") from None

    @staticmethod
    def datetime_node(cursor: Node, key: str) -> Node | None:
        """``start_datetime`` / ``end_datetime``: a ``MinMaxDatetime``, or a plain (templated) string."""
        raw = cursor.get(key)
        if isinstance(raw, str):
            return Node({"type": "MinMaxDatetime", "datetime": raw}, cursor.at(key), cursor.parameters)
        return cursor.child(key)

    def min_max_datetime(self, node: Node, cursor_format: str) -> MinMaxDatetime:
        """Read with its own ``datetime_format``, else the cursor's, else as ISO 8601."""
        node.only("datetime", "datetime_format", "min_datetime", "max_datetime")
        node.require("datetime")
        own_format = str(node.get("datetime_format") or "")
        return MinMaxDatetime(
            datetime=self.template(node, "datetime"),
            datetime_formats=[own_format, cursor_format] if own_format else [cursor_format],
            min_datetime=self.template(node, "min_datetime") if node.get("min_datetime") else None,
            max_datetime=self.template(node, "max_datetime") if node.get("max_datetime") else None,
        )


_VALUE_TYPES: Mapping[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
}


def refuse(node: Node, role: str, supported: list[str]) -> NoReturn:
    kind = node.type
    if kind is None:
        raise ManifestError(node.where, f"a {role} needs a 'type' (one of {', '.join(supported)})")
    if kind.startswith("Custom") or "class_name" in node.data:
        problem = f"{kind} is a custom Python component, which a manifest-only runtime cannot load"
    else:
        problem = f"component type {kind!r} is not supported as a {role} by this runtime"
    raise ManifestError(node.where, f"{problem} (supported here: {', '.join(supported)})")


def _missing(node: Node, key: str) -> Any:
    raise ManifestError(node.where, f"{node.type or 'this component'} needs a {key!r} field")


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
