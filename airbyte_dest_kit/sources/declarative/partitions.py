"""Partition routers: which partitions a stream is read in, before any date window.

- ``ListPartitionRouter``: one partition per value, ``{cursor_field: value}``.
- ``SubstreamPartitionRouter``: one partition per record of each parent stream (read in full), as
  ``{partition_field: record[parent_key], "parent_slice": <the parent's partition>}``; ``parent_key`` may
  be a nested path written ``a/b``.
- A list of routers (:class:`CartesianProductRouter`): every combination of their partitions, merged
  into one (a later router's key wins), each sending its own request options.

Templates read partitions as ``stream_partition`` (or ``stream_slice``); ``request_option`` sends the value.
"""

from __future__ import annotations

import abc
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from airbyte_dest_kit.sources.declarative.records import values_at
from airbyte_dest_kit.sources.declarative.request_options import RequestOption, RequestParts

Partition = dict[str, Any]


class PartitionRouter(abc.ABC):
    @abc.abstractmethod
    def partitions(self) -> Iterator[Partition]: ...

    @abc.abstractmethod
    def request_parts(self, partition: Mapping[str, Any]) -> RequestParts: ...


class SinglePartition(PartitionRouter):
    def partitions(self) -> Iterator[Partition]:
        yield {}

    def request_parts(self, partition: Mapping[str, Any]) -> RequestParts:
        return RequestParts()


@dataclass(frozen=True)
class ListPartitionRouter(PartitionRouter):
    cursor_field: str
    values: Sequence[Any]
    request_option: RequestOption | None

    def partitions(self) -> Iterator[Partition]:
        for value in self.values:
            yield {self.cursor_field: value}

    def request_parts(self, partition: Mapping[str, Any]) -> RequestParts:
        if self.request_option is None:
            return RequestParts()
        return self.request_option.parts(partition.get(self.cursor_field))


@dataclass(frozen=True)
class ParentStreamConfig:
    read_parent: Callable[[], Iterable[tuple[Mapping[str, Any], Mapping[str, Any]]]]
    """The parent's records, each with the partition it was read in."""
    parent_key: str
    partition_field: str
    request_option: RequestOption | None


@dataclass(frozen=True)
class SubstreamPartitionRouter(PartitionRouter):
    parents: Sequence[ParentStreamConfig]

    def partitions(self) -> Iterator[Partition]:
        for parent in self.parents:
            path = parent.parent_key.split("/")
            for parent_partition, record in parent.read_parent():
                found = values_at(record, path)
                if found and found[0] is not None:  # a parent record without the key has no children
                    yield {parent.partition_field: found[0], "parent_slice": dict(parent_partition)}

    def request_parts(self, partition: Mapping[str, Any]) -> RequestParts:
        parts = RequestParts()
        for parent in self.parents:
            if parent.request_option is not None and parent.partition_field in partition:
                parts.update(parent.request_option.parts(partition[parent.partition_field]))
        return parts


@dataclass(frozen=True)
class CartesianProductRouter(PartitionRouter):
    routers: Sequence[PartitionRouter]

    def partitions(self) -> Iterator[Partition]:
        # every router but the first is iterated once per partition of the ones before it: read each once
        each = [list(router.partitions()) for router in self.routers]
        for combination in itertools.product(*each):
            merged: Partition = {}
            for partition in combination:
                merged.update(partition)
            yield merged

    def request_parts(self, partition: Mapping[str, Any]) -> RequestParts:
        parts = RequestParts()
        for router in self.routers:
            parts.update(router.request_parts(partition))
        return parts
