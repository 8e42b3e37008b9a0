"""Concurrent reads of independent slices: the same records and final state as a sequential read whatever
order slices finish in, states that follow the low-water mark, and no deadlock in any of the ways a read can
go wrong (each case runs under a deadline, so a deadlock fails the test instead of hanging it)."""

from __future__ import annotations

import io
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import orjson
import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from source_fakes import FakeSource, configured_catalog, write_spec

from airbyte_dest_kit.protocol.codec import MessageWriter
from airbyte_dest_kit.sources import IncrementalStream, Record, Stream, StreamSlice
from airbyte_dest_kit.sources.concurrent import ConcurrentRead
from airbyte_dest_kit.sources.events import SourceEvents
from airbyte_dest_kit.sources.output import BufferedOutput
from airbyte_dest_kit.testing import Run, run_connector

CONFIG = {"api_key": "sk-live-123"}
DEADLINE = 20.0  # seconds: far above any case's real time, far below a hung CI job


class Through(pydantic.BaseModel):
    through: int = -1


class Partitioned(IncrementalStream[Through]):
    """``partitions`` slices of ``per_partition`` records; the state is the last slice closed. Slice ``i``
    sleeps ``delays[i]`` seconds before each record; ``fail_in`` makes that slice raise after its first
    record, ``generator_fails_at`` makes the slice generator raise there."""

    name = "parts"
    cursor_field: ClassVar[str] = "partition"
    state_model = Through
    concurrent_slices: ClassVar[bool] = True

    def __init__(
        self,
        partitions: int,
        per_partition: int,
        delays: list[float] | None = None,
        *,
        fail_in: int | None = None,
        generator_fails_at: int | None = None,
    ) -> None:
        super().__init__()
        self.partitions, self.per_partition = partitions, per_partition
        self.delays = delays or [0.0] * partitions
        self.fail_in, self.generator_fails_at = fail_in, generator_fails_at
        self.closed: list[int] = []

    def json_schema(self) -> dict[str, Any]:
        return {"type": "object"}

    def slices(self) -> Iterator[StreamSlice]:
        for index in range(self.state.through + 1, self.partitions):
            if index == self.generator_fails_at:
                raise RuntimeError(f"listing failed at slice {index}")
            yield {"index": index}

    def read(self, stream_slice: StreamSlice) -> Iterator[Record]:
        assert stream_slice is not None
        index = stream_slice["index"]
        for n in range(self.per_partition):
            time.sleep(self.delays[index])
            if index == self.fail_in and n == 1:
                raise RuntimeError(f"slice {index} failed")
            yield {"partition": index, "n": n}

    def close_slice(self, stream_slice: StreamSlice) -> None:
        assert stream_slice is not None
        self.closed.append(stream_slice["index"])
        self.state = Through(through=stream_slice["index"])


class Levelled(FakeSource):
    def __init__(self, spec: Path, streams: Callable[[], list[Stream]], level: int) -> None:
        super().__init__(spec, lambda config: streams())
        self.level = level

    def concurrency_level(self, config: Any) -> int:
        return self.level


def read(tmp_path: Path, stream: Stream, level: int, state: Any = None) -> Run:
    source = Levelled(write_spec(tmp_path), lambda: [stream], level)
    return run_connector(
        source, "read", config=CONFIG, catalog=configured_catalog([("parts", "incremental")]), state=state
    )


def within_deadline(action: Callable[[], Any]) -> Any:
    """``action()``'s result, or a failed test if it does not return within the deadline (a deadlock)."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = action()
        except BaseException as exc:  # noqa: BLE001 - re-raised on the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(DEADLINE)
    assert not thread.is_alive(), f"still running after {DEADLINE} s: a deadlock"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def assert_states_follow_the_low_water_mark(run: Run) -> None:
    """Each state covers exactly the slices below the mark, all of whose records came before it; states
    only move forward, and no state is a duplicate of the one before."""
    seen: Counter[int] = Counter()
    previous = -2  # below the state of a read that closed no slice
    for message in run.messages:
        if message["type"] == "RECORD":
            seen[message["record"]["data"]["partition"]] += 1
        elif message["type"] == "STATE":
            through = message["state"]["stream"]["stream_state"]["through"]
            assert through > previous, "a state went backwards or repeated"
            previous = through
            for index in range(through + 1):
                assert seen[index] == 3, f"state through {through} came before slice {index}'s records"


@settings(max_examples=25, deadline=None)
@given(
    delays=st.lists(st.sampled_from([0.0, 0.0005, 0.002]), min_size=0, max_size=12),
    workers=st.integers(min_value=2, max_value=6),
)
def test_any_finishing_order_gives_the_sequential_records_and_final_state(delays: list[float], workers: int) -> None:
    with_tmp = Path(__import__("tempfile").mkdtemp())
    sequential = read(with_tmp, Partitioned(len(delays), 3, delays), 1)
    concurrent = within_deadline(lambda: read(with_tmp, Partitioned(len(delays), 3, delays), workers))
    concurrent.assert_ok()
    key = lambda r: (r["partition"], r["n"])  # noqa: E731
    assert sorted(concurrent.records("parts"), key=key) == sorted(sequential.records("parts"), key=key)
    assert concurrent.states()[-1]["stream"]["stream_state"] == sequential.states()[-1]["stream"]["stream_state"]
    assert sum(s["sourceStats"]["recordCount"] for s in concurrent.states()) == 3 * len(delays)
    assert concurrent.statuses("parts") == sequential.statuses("parts")
    assert_states_follow_the_low_water_mark(concurrent)


def test_slices_finishing_in_reverse_close_in_order_and_checkpoint_once_at_the_end(tmp_path: Path) -> None:
    # the first slice is the slowest: nothing can be checkpointed until it is done, then all at once
    stream = Partitioned(6, 3, [0.05, 0.0, 0.0, 0.0, 0.0, 0.0])
    run = within_deadline(lambda: read(tmp_path, stream, 6))
    run.assert_ok()
    assert stream.closed == [0, 1, 2, 3, 4, 5]
    assert [s["stream"]["stream_state"] for s in run.states()] == [{"through": 5}]
    assert run.states()[0]["sourceStats"]["recordCount"] == 18.0
    assert_states_follow_the_low_water_mark(run)


def test_a_concurrent_read_resumes_from_the_state_it_left(tmp_path: Path) -> None:
    saved = [{"type": "STREAM", "stream": {"stream_descriptor": {"name": "parts"}, "stream_state": {"through": 6}}}]
    run = within_deadline(lambda: read(tmp_path, Partitioned(10, 3), 4, saved))
    assert sorted({r["partition"] for r in run.records("parts")}) == [7, 8, 9]
    assert run.states()[-1]["stream"]["stream_state"] == {"through": 9}


def test_zero_slices_end_with_one_state_and_complete(tmp_path: Path) -> None:
    run = within_deadline(lambda: read(tmp_path, Partitioned(0, 3), 4))
    run.assert_ok()
    assert [s["stream"]["stream_state"] for s in run.states()] == [{"through": -1}]
    assert run.statuses("parts") == ["STARTED", "COMPLETE"]


def test_more_slices_than_workers(tmp_path: Path) -> None:
    delays = [random.Random(7).choice([0.0, 0.001]) for _ in range(200)]
    run = within_deadline(lambda: read(tmp_path, Partitioned(200, 3, delays), 3))
    run.assert_ok()
    assert len(run.records("parts")) == 600
    assert run.states()[-1]["stream"]["stream_state"] == {"through": 199}
    assert_states_follow_the_low_water_mark(run)


def test_a_failing_slice_fails_the_stream_and_keeps_what_finished_before_it_resumable(tmp_path: Path) -> None:
    # slices 0-3 are quick, slice 4 fails after its first record while 5-9 may be running
    delays = [0.0] * 4 + [0.05] * 6
    run = within_deadline(lambda: read(tmp_path, Partitioned(10, 3, delays, fail_in=4), 3))
    assert run.returncode == 1
    assert run.statuses("parts")[-1] == "INCOMPLETE"
    assert "RuntimeError: slice 4 failed" in run.errors()[0]["message"]
    through = run.states()[-1]["stream"]["stream_state"]["through"]
    assert through == 3  # every slice below the failing one finished; nothing at or past it is claimed
    assert_states_follow_the_low_water_mark(run)


def test_a_failing_slice_generator_fails_the_stream(tmp_path: Path) -> None:
    run = within_deadline(lambda: read(tmp_path, Partitioned(10, 3, generator_fails_at=5), 2))
    assert run.returncode == 1
    assert "RuntimeError: listing failed at slice 5" in run.errors()[0]["message"]
    assert run.statuses("parts")[-1] == "INCOMPLETE"
    assert_states_follow_the_low_water_mark(run)


def test_a_generator_failing_at_once_fails_the_stream(tmp_path: Path) -> None:
    run = within_deadline(lambda: read(tmp_path, Partitioned(10, 3, generator_fails_at=0), 4))
    assert run.returncode == 1
    assert run.states() == [] and run.records("parts") == []


class SlowWriter(io.RawIOBase):
    """stdout of a destination that reads slowly: every write takes ``delay`` seconds."""

    def __init__(self, delay: float) -> None:
        self.delay, self.data = delay, bytearray()

    def writable(self) -> bool:
        return True

    def write(self, block: Any) -> int:
        time.sleep(self.delay)
        self.data += bytes(block)
        return len(block)


def direct_read(stream: Stream, workers: int, queue_blocks: int, sink: SlowWriter) -> list[int]:
    """A :class:`ConcurrentRead` on its own, through a one-block queue; the checkpoint counts it saw."""
    output = BufferedOutput(MessageWriter(sink))  # type: ignore[arg-type]
    counts: list[int] = []
    events = SourceEvents()
    events.bind(output.message, lambda secret: None)
    ConcurrentRead(stream, output, events, counts.append, lambda: 0, workers=workers, queue_blocks=queue_blocks).run()
    output.flush()
    return counts


def test_a_slow_consumer_and_a_full_queue_hold_the_workers_back_without_deadlock() -> None:
    sink = SlowWriter(0.002)
    counts = within_deadline(lambda: direct_read(Partitioned(20, 300), 4, 1, sink))
    lines = [orjson.loads(line) for line in bytes(sink.data).splitlines()]
    assert sum(1 for m in lines if m["type"] == "RECORD") == 6000 == sum(counts)


def test_a_failure_while_workers_wait_on_a_full_queue_still_ends_the_read() -> None:
    sink = SlowWriter(0.01)
    stream = Partitioned(30, 400, fail_in=5)
    with pytest.raises(RuntimeError, match="slice 5 failed"):
        within_deadline(lambda: direct_read(stream, 4, 1, sink))
    # no thread of the read is left running
    time.sleep(0.2)
    assert not [t for t in threading.enumerate() if t.name.startswith("parts-")]


def test_a_generator_failure_while_workers_wait_on_a_full_queue_still_ends_the_read() -> None:
    sink = SlowWriter(0.01)
    with pytest.raises(RuntimeError, match="listing failed"):
        within_deadline(lambda: direct_read(Partitioned(30, 400, generator_fails_at=12), 4, 1, sink))


def test_sequential_streams_are_untouched_by_the_concurrency_level(tmp_path: Path) -> None:
    class Sequential(Partitioned):
        concurrent_slices: ClassVar[bool] = False

    stream = Sequential(5, 2, [0.0] * 5)
    run = read(tmp_path, stream, 8)
    assert [s["stream"]["stream_state"]["through"] for s in run.states()] == [0, 1, 2, 3, 4]
    assert [r["partition"] for r in run.records("parts")] == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]


def test_a_concurrency_level_out_of_range_is_a_config_error(tmp_path: Path) -> None:
    run = read(tmp_path, Partitioned(2, 1), 0)
    assert run.returncode == 1
    assert "concurrency level must be a whole number from 1 to 64" in run.errors()[0]["message"]
    assert run.errors()[0]["failure_type"] == "config_error"


def test_rate_limit_reports_from_workers_reach_the_output_through_the_writer(tmp_path: Path) -> None:
    class RateLimited(Partitioned):
        def __init__(self, events: SourceEvents) -> None:
            super().__init__(4, 2)
            self.events = events

        def read(self, stream_slice: StreamSlice) -> Iterator[Record]:
            assert stream_slice is not None
            if stream_slice["index"] == 2:
                self.events.rate_limited(1.5)
            yield from super().read(stream_slice)

    source = Levelled(write_spec(tmp_path), lambda: [RateLimited(source.events)], 3)
    run = within_deadline(
        lambda: run_connector(source, "read", config=CONFIG, catalog=configured_catalog([("parts", "incremental")]))
    )
    run.assert_ok()
    assert run.statuses("parts") == ["STARTED", "RUNNING", "RUNNING", "COMPLETE"]
    [limited] = [
        m["trace"]["stream_status"] for m in run.of_type("TRACE") if m["trace"]["stream_status"].get("reasons")
    ]
    assert limited["reasons"][0]["type"] == "RATE_LIMITED"


def test_minimum_seconds_between_states_merges_slice_checkpoints_but_keeps_the_final_one(tmp_path: Path) -> None:
    class Paced(Partitioned):
        min_seconds_between_states: ClassVar[float] = 3600.0

    for level in (1, 4):
        run = within_deadline(lambda level=level: read(tmp_path, Paced(8, 2), level))
        states = [s["stream"]["stream_state"] for s in run.states()]
        # the first checkpoint is due at once; the hour-long pause merges the rest into the final one
        assert states[-1] == {"through": 7} and len(states) == 2
        assert sum(s["sourceStats"]["recordCount"] for s in run.states()) == 16
