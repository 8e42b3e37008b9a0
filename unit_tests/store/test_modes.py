"""What a store writer can do follows from the operations its store implements (airbyte_dest_kit.store)."""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import pytest

from airbyte_dest_kit.destination.plan import build_stream_specs
from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.protocol.models import ConfiguredAirbyteStream
from airbyte_dest_kit.store import MergeTarget, StoreWriter, SwapPair
from airbyte_dest_kit.streams.schema import ColumnType
from airbyte_dest_kit.streams.spec import StreamSpec
from airbyte_dest_kit.testing.builders import configured_stream
from airbyte_dest_kit.writers.duckdb import DuckDBWriter
from airbyte_dest_kit.writers.files import FileWriter


class AppendOnly(StoreWriter):
    """The required operations only: append, no swap, no merge."""

    def columns(self, stream: StreamSpec, table: str) -> dict[str, ColumnType | None] | None:
        return None

    def evolve(self, stream: StreamSpec, table: str, columns: Sequence[tuple[str, ColumnType]]) -> None:
        pass

    def append(self, stream: StreamSpec, table: str, rows: pa.Table) -> None:
        pass

    def copy_rows(self, stream: StreamSpec, source: str, target: str) -> None:
        pass

    def drop(self, stream: StreamSpec, table: str) -> None:
        pass

    def holds_only_generation(self, stream: StreamSpec, table: str, generation: int) -> bool:
        return True

    def delete_generations_below(self, stream: StreamSpec, table: str, minimum: int) -> None:
        pass


class Swapping(AppendOnly):
    def swap(self, stream: StreamSpec, pairs: Sequence[SwapPair]) -> None:
        pass


class Merging(Swapping):
    def merge(self, stream: StreamSpec, target: MergeTarget, source: pa.Table | str) -> None:
        pass


@pytest.mark.parametrize(
    ("writer", "dedup", "truncate"),
    [(AppendOnly, False, False), (Swapping, False, True), (Merging, True, True), (DuckDBWriter, True, True)],
)
def test_capabilities_follow_the_operations(writer: type[StoreWriter], dedup: bool, truncate: bool) -> None:
    assert (writer.capabilities.dedup, writer.capabilities.truncate) == (dedup, truncate)


def test_files_dedup_through_read_replace_and_swap() -> None:
    capabilities = FileWriter("/tmp/never-written").capabilities
    assert capabilities.dedup and capabilities.truncate


@pytest.mark.parametrize(("mode", "refused"), [("overwrite", "overwrite/truncate"), ("append_dedup", "append_dedup")])
def test_a_mode_the_store_cannot_do_is_refused_before_any_data(mode: str, refused: str) -> None:
    stream = configured_stream("s", {"id": {"type": "integer"}}, mode=mode, primary_key=["id"])
    with pytest.raises(ConfigError, match=refused):
        build_stream_specs([ConfiguredAirbyteStream.model_validate(stream)], "main", AppendOnly.capabilities)
