from __future__ import annotations

import pyarrow as pa
import pytest

from airbyte_dest_kit.destination.pipeline.buffer import StreamBuffer
from airbyte_dest_kit.destination.pipeline.flush import FlushPolicy
from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.streams.spec import StreamSpec


def buffer(name: str, rows: int, line_size: int = 10) -> StreamBuffer:
    spec = StreamSpec(name, None, "main", name, name + "_airbyte_tmp", (), dedup=False, truncate=False)
    b = StreamBuffer(spec)
    if rows:
        b.add_run(pa.array(["x" * line_size] * rows, pa.large_string()), pa.array(range(rows), pa.int64()))
    return b


def test_rows_bytes_and_age_each_trigger_a_flush() -> None:
    policy = FlushPolicy(max_rows=10, max_bytes=1000, max_age_seconds=5, max_total_bytes=10**9)
    by_rows, by_bytes, young, old = buffer("r", 10), buffer("b", 2, 600), buffer("y", 1), buffer("o", 1)
    assert young.oldest is not None and old.oldest is not None
    old.oldest -= 10
    due = policy.due([by_rows, by_bytes, young, old, buffer("empty", 0)], now=young.oldest + 1)
    assert {b.spec.name: count for b, count in due} == {"r": None, "b": None, "o": None}


def test_memory_cap_flushes_largest_buffers_first_until_under_the_cap() -> None:
    small, medium, large = buffer("s", 5), buffer("m", 10), buffer("l", 20)
    cap = small.bytes + medium.bytes  # flushing the largest alone gets under it
    policy = FlushPolicy(max_rows=10**6, max_bytes=10**9, max_age_seconds=999, max_total_bytes=cap)
    assert [b.spec.name for b, _ in policy.due([small, medium, large], now=0)] == ["l"]
    policy = FlushPolicy(max_rows=10**6, max_bytes=10**9, max_age_seconds=999, max_total_bytes=small.bytes - 1)
    assert [b.spec.name for b, _ in policy.due([small, medium, large], now=0)] == ["l", "m", "s"]


def test_a_block_writer_gets_no_last_block_that_is_at_most_half_full() -> None:
    # Blocks of 10 rows, full at 19 rows: 24 rows go as two blocks (4 stay for the next batch); 26 and 19
    # (a block six and nine tenths full) go whole, and so does an aged buffer; 30 go as they are.
    policy = FlushPolicy(max_rows=19, max_bytes=10**9, max_age_seconds=5, max_total_bytes=10**9)
    cut, fuller, short, three, aged = (
        buffer("24", 24),
        buffer("26", 26),
        buffer("19", 19),
        buffer("30", 30),
        buffer("a", 24),
    )
    assert aged.oldest is not None
    aged.oldest -= 10
    due = policy.due([cut, fuller, short, three, aged], now=aged.oldest + 10, rows_per_block=10)
    assert {b.spec.name: count for b, count in due} == {"24": 20, "26": None, "19": None, "30": 30, "a": None}


def test_the_memory_cap_leaves_the_same_half_empty_block() -> None:
    big, other = buffer("b", 24), buffer("o", 5)
    policy = FlushPolicy(max_rows=10**6, max_bytes=10**9, max_age_seconds=999, max_total_bytes=other.bytes)
    assert [(b.spec.name, count) for b, count in policy.due([big, other], now=0, rows_per_block=10)] == [("b", 20)]


def test_from_config_reads_buffering_and_rejects_unknown_or_bad_keys() -> None:
    assert FlushPolicy.from_config({"buffering": {"max_rows": 7}}).max_rows == 7
    assert FlushPolicy.from_config({}) == FlushPolicy()
    with pytest.raises(ConfigError, match="buffering.*max_rowz"):
        FlushPolicy.from_config({"buffering": {"max_rowz": 7}})
    with pytest.raises(ConfigError, match="buffering.max_bytes"):
        FlushPolicy.from_config({"buffering": {"max_bytes": 0}})
