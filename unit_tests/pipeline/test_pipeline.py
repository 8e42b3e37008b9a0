"""The pipeline end to end against the in-memory writer: what is committed, what is echoed, and when."""

from __future__ import annotations

import io
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import orjson
import pyarrow as pa
import pytest

from airbyte_dest_kit.destination.pipeline import runner
from airbyte_dest_kit.destination.pipeline.flush import FlushPolicy
from airbyte_dest_kit.destination.pipeline.runner import Pipeline
from airbyte_dest_kit.destination.plan import build_stream_specs
from airbyte_dest_kit.destination.writer import Capabilities
from airbyte_dest_kit.errors import InputError, WriterError
from airbyte_dest_kit.protocol.codec import MessageWriter
from airbyte_dest_kit.protocol.models import ConfiguredAirbyteStream
from airbyte_dest_kit.streams.spec import StreamSpec
from airbyte_dest_kit.testing.builders import (
    configured_stream,
    log,
    record,
    stdin_lines,
    stream_state,
    stream_status,
)
from airbyte_dest_kit.testing.memory_writer import MemoryWriter

PROPS = {"id": {"type": "integer"}}


def piped(
    *parts: list[Any],
    pause: float = 0.2,
    closed_at: list[float] | None = None,
    before_each: Callable[[int], None] = lambda index: None,
) -> Any:
    """stdin that delivers each part as its own chunk, ``pause`` apart, like a source writing slowly;
    ``before_each(i)`` runs before part ``i`` is sent (to wait for what the pipeline made of the parts before)."""
    read_fd, write_fd = os.pipe()

    def feed() -> None:
        for index, part in enumerate(parts):
            before_each(index)
            os.write(write_fd, stdin_lines(part))
            time.sleep(pause)
        if closed_at is not None:
            closed_at.append(time.monotonic())
        os.close(write_fd)

    threading.Thread(target=feed, daemon=True).start()
    return os.fdopen(read_fd, "rb")


def run(
    messages: list[Any],
    writer: MemoryWriter,
    *,
    max_rows: int = 2,
    streams: tuple[str, ...] = ("a", "b"),
    mode: str = "append",
) -> tuple[list[dict[str, Any]], BaseException | None]:
    specs = build_stream_specs(
        [ConfiguredAirbyteStream.model_validate(configured_stream(s, PROPS, mode=mode)) for s in streams],
        "main",
        writer.capabilities,
    )
    out = io.BytesIO()
    error = None
    try:
        stdin = io.BytesIO(stdin_lines(messages)) if isinstance(messages, list) else messages
        Pipeline(writer, specs, MessageWriter(out), FlushPolicy(max_rows=max_rows)).run(stdin)
    except Exception as exc:  # noqa: BLE001 - returned for the test to inspect
        error = exc
    return [orjson.loads(line) for line in out.getvalue().splitlines()], error


def states(output: list[dict[str, Any]]) -> list[Any]:
    return [m["state"]["stream"]["stream_state"]["n"] for m in output if m["type"] == "STATE"]


def test_states_are_echoed_once_their_stream_is_committed() -> None:
    writer = MemoryWriter()
    output, error = run(
        [
            record("a", {"id": 1}),
            record("b", {"id": 1}),
            stream_state("a", {"n": "a1"}),
            record("a", {"id": 2}),
            stream_state("b", {"n": "b1"}),
        ],
        writer,
    )
    assert error is None
    assert states(output) == ["a1", "b1"]
    assert [m["state"]["destinationStats"]["recordCount"] for m in output if m["type"] == "STATE"] == [1.0, 1.0]
    assert sorted(r["id"] for r in writer.rows("a")) == [1, 2]
    assert writer.finished == ["a", "b"] and writer.closed


def test_a_batch_written_just_before_the_end_still_releases_its_states() -> None:
    # The last chunk's batch is handed to the flush thread while reading; at the end no buffer holds rows,
    # yet that batch must be waited for and its state echoed.
    writer = MemoryWriter()

    def first_batch_written(index: int) -> None:  # on a busy machine a pause alone may join the two chunks
        deadline = time.monotonic() + 30
        while index == 1 and not writer.batches and time.monotonic() < deadline:
            time.sleep(0.01)

    last = [record("a", {"id": 2}), stream_state("a", {"n": "last"})]
    stdin = piped([record("a", {"id": 1})], last, before_each=first_batch_written)
    output, error = run(stdin, writer, max_rows=1)
    assert error is None and states(output) == ["last"]
    assert len(writer.batches) == 2 and sorted(r["id"] for r in writer.rows("a")) == [1, 2]


class TimedOutput(io.BytesIO):
    """Remembers when each line was written."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[tuple[float, dict[str, Any]]] = []

    def write(self, data: Any) -> int:
        self.lines += [(time.monotonic(), orjson.loads(line)) for line in bytes(data).splitlines()]
        return super().write(data)


def test_a_quiet_source_still_gets_its_state_echoed_by_the_age_bound(monkeypatch: Any) -> None:
    monkeypatch.setattr(runner, "TICK_SECONDS", 0.05)
    writer, out, closed_at = MemoryWriter(), TimedOutput(), []
    specs = build_stream_specs(
        [ConfiguredAirbyteStream.model_validate(configured_stream("a", PROPS))], "main", writer.capabilities
    )
    stdin = piped([record("a", {"id": 1}), stream_state("a", {"n": "early"})], pause=1.0, closed_at=closed_at)
    policy = FlushPolicy(max_rows=1000, max_age_seconds=0.2)
    Pipeline(writer, specs, MessageWriter(out), policy, progress_interval=0.1).run(stdin)
    (echoed_at,) = [at for at, m in out.lines if m["type"] == "STATE"]
    assert echoed_at < closed_at[0]  # no more input, no row limit reached: the age bound flushed it
    assert any(m["log"]["message"].startswith("progress: 1 records") for _, m in out.lines if m["type"] == "LOG")


@pytest.mark.parametrize("trigger", ["a waiting state", "a finished stream"])
def test_a_state_does_not_wait_for_the_age_bound(monkeypatch: Any, trigger: str) -> None:
    # The age bound is far away: only a STATE waiting max_state_wait_seconds on its stream's buffered records,
    # or the stream reporting COMPLETE, can get the state echoed before the input ends.
    monkeypatch.setattr(runner, "TICK_SECONDS", 0.05)
    writer, out, closed_at = MemoryWriter(), TimedOutput(), []
    specs = build_stream_specs(
        [ConfiguredAirbyteStream.model_validate(configured_stream(s, PROPS)) for s in ("a", "b")],
        "main",
        MemoryWriter.capabilities,
    )
    first: list[Any] = [record("a", {"id": 1}), record("b", {"id": 1}), stream_state("a", {"n": "a1"})]
    if trigger == "a finished stream":
        first.append(stream_status("a", "COMPLETE"))
    stdin = piped(first, [record("b", {"id": 2})], pause=1.5, closed_at=closed_at)
    wait = 0.2 if trigger == "a waiting state" else 600
    policy = FlushPolicy(max_rows=1000, max_age_seconds=600, max_state_wait_seconds=wait)
    Pipeline(writer, specs, MessageWriter(out), policy).run(stdin)
    (echoed_at,) = [at for at, m in out.lines if m["type"] == "STATE"]
    assert echoed_at < closed_at[0]
    assert [batch.num_rows for stream, batch in writer.batches if stream == "b"] == [2]  # no state waited on b


class BlockWriter(MemoryWriter):
    """Stores rows in blocks of four (as DuckDB does in row groups) and remembers when each batch landed."""

    capabilities = Capabilities(dedup=True, truncate=True, rows_per_block=4)

    def __init__(self) -> None:
        super().__init__()
        self.written_at: list[float] = []

    def write(self, stream: StreamSpec, batch: pa.Table) -> None:
        super().write(stream, batch)
        self.written_at.append(time.monotonic())


@pytest.mark.parametrize(
    ("first_rows", "state_wait", "sizes"),
    [(10, 600, [8, 4]), (10, 0.2, [8, 2, 2]), (6, 0.2, [6, 2])],
    ids=["full buffer, rest at the end", "full buffer, rest for a waiting state", "a waiting state takes all"],
)
def test_a_full_buffer_goes_in_whole_blocks_and_its_rest_follows_before_the_states_it_covers(
    monkeypatch: Any, first_rows: int, state_wait: float, sizes: list[int]
) -> None:
    # Ten rows fill the buffer: eight (two blocks) are written, two wait for the next batch, and so does the
    # state after them. The rest goes with the next batch: at the end of input, or as soon as that state has
    # waited max_state_wait_seconds, and then whole: a waiting state never waits on the cut.
    monkeypatch.setattr(runner, "TICK_SECONDS", 0.05)
    writer, out, closed_at = BlockWriter(), TimedOutput(), []
    specs = build_stream_specs(
        [ConfiguredAirbyteStream.model_validate(configured_stream("a", PROPS))], "main", writer.capabilities
    )
    first = [*(record("a", {"id": i}) for i in range(1, first_rows + 1)), stream_state("a", {"n": "first"})]
    second = [record("a", {"id": first_rows + 1}), record("a", {"id": first_rows + 2}), stream_state("a", {"n": "2nd"})]
    stdin = piped(first, second, pause=1.5, closed_at=closed_at)
    policy = FlushPolicy(max_rows=10, max_age_seconds=600, max_state_wait_seconds=state_wait)
    Pipeline(writer, specs, MessageWriter(out), policy).run(stdin)

    assert [batch.num_rows for _, batch in writer.batches] == sizes
    assert [r["id"] for r in writer.rows("a")] == list(range(1, first_rows + 3))
    echoes = {m["state"]["stream"]["stream_state"]["n"]: at for at, m in out.lines if m["type"] == "STATE"}
    assert list(echoes) == ["first", "2nd"]
    covering = 0 if first_rows < 10 else 1  # the batch that holds the first state's last rows
    assert echoes["first"] >= writer.written_at[covering]
    assert (echoes["first"] < closed_at[0]) == (state_wait != 600)


def test_a_writer_failure_stops_commits_and_states_at_once() -> None:
    writer = MemoryWriter(fail_on_write=2)  # stream a's batch lands, stream b's fails
    output, error = run(
        [
            record("a", {"id": 1}),
            record("a", {"id": 2}),
            stream_state("a", {"n": "covered"}),
            record("b", {"id": 3}),
            stream_state("b", {"n": "not covered"}),
        ],
        writer,
        max_rows=1000,
    )
    assert isinstance(error, WriterError)
    assert states(output) == ["covered"]
    assert [r["id"] for r in writer.rows("a")] == [1, 2] and writer.rows("b") == []
    assert writer.finished == [] and writer.closed


def test_a_bad_line_found_at_flush_cuts_every_stream_at_that_line() -> None:
    # The fast path routes the broken line (its prefix looks fine); DuckDB finds it at flush time, after
    # later lines of another stream were already read. Nothing from line 6 on may be written or echoed.
    writer = MemoryWriter()
    output, error = run(
        [
            record("a", {"id": 1}),
            record("b", {"id": 10}),
            stream_state("b", {"n": "b before"}),
            record("a", {"id": 2}),
            stream_state("a", {"n": "a before"}),
            b'{"type":"RECORD","record":{"stream":"a","emitted_at":1,"data":{"id":',
            record("b", {"id": 11}),
            stream_state("b", {"n": "b after"}),
            record("a", {"id": 3}),
        ],
        writer,
        max_rows=1000,
    )
    assert isinstance(error, InputError) and error.line == 6
    assert states(output) == ["b before", "a before"]
    assert sorted(r["id"] for r in writer.rows("a")) == [1, 2]
    assert [r["id"] for r in writer.rows("b")] == [10]
    assert writer.finished == []  # a failed sync finalizes nothing (no overwrite swap)
    error_lines = [m for m in output if m["type"] == "TRACE"]
    assert error_lines == []  # the runtime (launch) prints the TRACE ERROR, not the pipeline


def test_a_record_for_a_stream_not_in_the_catalog_names_it() -> None:
    writer = MemoryWriter()
    output, error = run(
        [record("a", {"id": 1}), stream_state("a", {"n": "ok"}), record("stray", {"id": 1}), record("a", {"id": 2})],
        writer,
    )
    assert isinstance(error, InputError) and error.line == 3 and "'stray'" in str(error)
    assert states(output) == ["ok"] and [r["id"] for r in writer.rows("a")] == [1]


def test_only_streams_reported_complete_are_finished() -> None:
    writer = MemoryWriter()
    output, error = run(
        [
            record("a", {"id": 1}),
            record("b", {"id": 1}),
            stream_status("a", "COMPLETE"),
            stream_status("b", "INCOMPLETE"),
        ],
        writer,
        mode="overwrite",
    )
    assert error is None and writer.finished == ["a"]
    assert any("not finalized (INCOMPLETE)" in m["log"]["message"] for m in output if m["type"] == "LOG")


def test_unknown_messages_are_skipped_and_counted() -> None:
    writer = MemoryWriter()
    output, error = run(
        [log("hi"), {"type": "FUTURE_THING"}, record("a", {"id": 1})],
        writer,
    )
    assert error is None and [r["id"] for r in writer.rows("a")] == [1]
    summary = [m["log"]["message"] for m in output if m["type"] == "LOG"][-1]
    assert "skipped messages: {'FUTURE_THING': 1, 'LOG': 1}" in summary


@pytest.mark.parametrize("bad", [b"not json", b'{"type":"STATE","state":"oops"}', b'{"type":"RECORD"}'])
def test_protocol_errors_in_message_lines_are_input_errors(bad: bytes) -> None:
    output, error = run([record("a", {"id": 1}), bad], MemoryWriter())
    assert isinstance(error, InputError) and error.line == 2


class DeferringWriter(MemoryWriter):
    """Stages what ``write`` gets until ``commit``; remembers each call, and when commits happened."""

    capabilities = Capabilities(dedup=True, truncate=True, defers_commits=True)

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, int]] = []
        self.committed_at: list[float] = []

    def write(self, stream: StreamSpec, batch: pa.Table) -> None:
        super().write(stream, batch)
        self.calls.append(("write", batch.num_rows))

    def commit(self, stream: StreamSpec) -> None:
        self.calls.append(("commit", 0))
        self.committed_at.append(time.monotonic())


def test_a_writer_that_defers_commits_commits_when_a_state_waited_and_at_the_end(monkeypatch: Any) -> None:
    # Batches cut for size are staged; a state that waited max_state_wait_seconds on staged records gets a
    # commit of its own (nothing buffered: a commit alone), echoed only after it; the end of input commits.
    monkeypatch.setattr(runner, "TICK_SECONDS", 0.05)
    writer, out, closed_at = DeferringWriter(), TimedOutput(), []
    specs = build_stream_specs(
        [ConfiguredAirbyteStream.model_validate(configured_stream("a", PROPS))], "main", writer.capabilities
    )
    first = [
        record("a", {"id": 1}),
        stream_state("a", {"n": "1"}),
        record("a", {"id": 2}),
        stream_state("a", {"n": "2"}),
    ]
    stdin = piped(first, [record("a", {"id": 3}), stream_state("a", {"n": "3"})], pause=0.8, closed_at=closed_at)
    policy = FlushPolicy(max_rows=1, max_age_seconds=600, max_state_wait_seconds=0.2)
    Pipeline(writer, specs, MessageWriter(out), policy).run(stdin)
    assert writer.calls == [("write", 2), ("commit", 0), ("write", 1), ("commit", 0)]
    echoed = [(at, m["state"]["stream"]["stream_state"]["n"]) for at, m in out.lines if m["type"] == "STATE"]
    assert [n for _, n in echoed] == ["1", "2", "3"]
    assert writer.committed_at[0] <= echoed[0][0] and echoed[1][0] < closed_at[0]
    assert writer.committed_at[1] <= echoed[2][0]


def test_a_writer_that_fails_to_open_gets_no_batch_and_no_state_is_echoed() -> None:
    # open runs while the first batches are read and typed: its failure must still stop every write.
    class FailingOpen(MemoryWriter):
        def open(self, streams: Any) -> None:
            time.sleep(0.2)  # the batches are typed and waiting by now
            raise WriterError("cannot open on purpose")

    writer = FailingOpen()
    output, error = run(
        [record("a", {"id": 1}), stream_state("a", {"n": 1}), record("a", {"id": 2})], writer, max_rows=1
    )
    assert isinstance(error, WriterError) and "on purpose" in str(error)
    assert states(output) == [] and writer.batches == [] and writer.closed
