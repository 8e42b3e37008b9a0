from __future__ import annotations

import pyarrow as pa
import pytest

from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.pipeline.buffer import StreamBuffer
from airbyte_dest_kit.pipeline.flush import FlushPolicy
from airbyte_dest_kit.writer import StreamSpec


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


def test_a_full_buffer_of_a_block_writer_goes_in_the_nearest_whole_number_of_blocks() -> None:
    # Blocks of 10 rows, full at 20 rows: 24 rows go as two blocks (4 stay); 26 wait for the third block,
    # 30 go as three; 4 rows, under half a block, go whole; an aged buffer goes whole.
    policy = FlushPolicy(max_rows=20, max_bytes=10**9, max_age_seconds=5, max_total_bytes=10**9)
    near_two, near_three, three, aged = buffer("2", 24), buffer("3", 26), buffer("3+", 30), buffer("aged", 26)
    assert aged.oldest is not None
    aged.oldest -= 10
    due = policy.due([near_two, near_three, three, aged], now=aged.oldest + 10, rows_per_block=10)
    assert {b.spec.name: count for b, count in due} == {"2": 20, "3+": 30, "aged": None}
    big_rows = buffer("big", 4, line_size=1000)
    assert policy.due([big_rows], now=0, rows_per_block=10) == []  # not full
    policy = FlushPolicy(max_rows=20, max_bytes=1000, max_age_seconds=5, max_total_bytes=10**9)
    assert policy.due([big_rows], now=big_rows.oldest or 0, rows_per_block=10) == [(big_rows, None)]


def test_the_memory_cap_takes_whole_blocks_of_a_waiting_buffer() -> None:
    # 26 rows wait for their third block, but the buffers hold more than the cap: two blocks go now.
    waiting, other = buffer("w", 26), buffer("o", 5)
    policy = FlushPolicy(max_rows=20, max_bytes=10**9, max_age_seconds=999, max_total_bytes=other.bytes)
    assert [(b.spec.name, count) for b, count in policy.due([waiting, other], now=0, rows_per_block=10)] == [("w", 20)]


def test_from_config_reads_buffering_and_rejects_unknown_or_bad_keys() -> None:
    assert FlushPolicy.from_config({"buffering": {"max_rows": 7}}).max_rows == 7
    assert FlushPolicy.from_config({}) == FlushPolicy()
    with pytest.raises(ConfigError, match="buffering.*max_rowz"):
        FlushPolicy.from_config({"buffering": {"max_rowz": 7}})
    with pytest.raises(ConfigError, match="buffering.max_bytes"):
        FlushPolicy.from_config({"buffering": {"max_bytes": 0}})
