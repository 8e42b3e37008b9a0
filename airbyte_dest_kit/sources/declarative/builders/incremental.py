"""Partition routers and ``DatetimeBasedCursor``."""

from __future__ import annotations

from airbyte_dest_kit.sources.declarative import partitions
from airbyte_dest_kit.sources.declarative.builders.base import Builder, missing
from airbyte_dest_kit.sources.declarative.incremental import DatetimeBasedCursor, MinMaxDatetime
from airbyte_dest_kit.sources.declarative.manifest import ManifestError, Node


class IncrementalBuilders(Builder):
    def partition_router(self, retriever: Node) -> partitions.PartitionRouter:
        raw = retriever.get("partition_router")
        if raw is None:
            return partitions.SinglePartition()
        if isinstance(raw, list):
            routers = [self.one_partition_router(node) for node in retriever.children("partition_router")]
            if not routers:
                return partitions.SinglePartition()
            return routers[0] if len(routers) == 1 else partitions.CartesianProductRouter(routers)
        return self.one_partition_router(retriever.child("partition_router") or missing(retriever, "partition_router"))

    def one_partition_router(self, node: Node) -> partitions.PartitionRouter:
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
            str(self.value(node, "cursor_field") or missing(node, "cursor_field")), values, option
        )

    def substream_partitions(self, node: Node) -> partitions.SubstreamPartitionRouter:
        node.only("parent_stream_configs")
        parents = []
        for child in node.children("parent_stream_configs"):
            # incremental_dependency: the parent is read in full all the same (docs/declarative.md)
            child.only("stream", "parent_key", "partition_field", "request_option", "incremental_dependency")
            parent = self.stream(child.child("stream") or missing(child, "stream"))
            option_node = child.child("request_option")
            parents.append(
                partitions.ParentStreamConfig(
                    read_parent=parent.all_records,
                    parent_key=str(self.value(child, "parent_key") or missing(child, "parent_key")),
                    partition_field=str(self.value(child, "partition_field") or missing(child, "partition_field")),
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
            "is_client_side_incremental",
            "is_data_feed",
            "is_compare_strictly",
        )
        datetime_format = str(self.value(node, "datetime_format") or missing(node, "datetime_format"))
        step, granularity = self.duration(node, "step"), self.duration(node, "cursor_granularity")
        if (step is None) != (granularity is None):
            raise ManifestError(node.where, "step and cursor_granularity go together: set both or neither")
        options = {}
        for key in ("start_time_option", "end_time_option"):
            option_node = node.child(key)
            options[key] = self.request_option(option_node) if option_node is not None else None
        end_node = self.datetime_node(node, "end_datetime")
        return DatetimeBasedCursor(
            cursor_field=str(self.value(node, "cursor_field") or missing(node, "cursor_field")),
            datetime_format=datetime_format,
            cursor_datetime_formats=[str(f) for f in node.get("cursor_datetime_formats", [])],
            start=self.min_max_datetime(
                self.datetime_node(node, "start_datetime") or missing(node, "start_datetime"), datetime_format
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
            client_side=bool(node.get("is_client_side_incremental")),
            data_feed=bool(node.get("is_data_feed")),
            compare_strictly=bool(node.get("is_compare_strictly")),
        )

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
