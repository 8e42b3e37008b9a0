"""FlushWorker: what a batch holds on to while it waits, and what a typing failure hands back."""

from __future__ import annotations

import threading

import pyarrow as pa
import pytest

from airbyte_dest_kit.destination.pipeline.flush_worker import FlushJob, FlushWorker
from airbyte_dest_kit.destination.writer import Writer
from airbyte_dest_kit.errors import InputError, WriterError
from airbyte_dest_kit.records.typer import RecordTyper
from airbyte_dest_kit.streams.spec import StreamSpec
from unit_tests.stream_helpers import spec_for


class _Recorder(Writer):
    def __init__(self) -> None:
        self.rows: list[int] = []

    def write(self, stream: StreamSpec, batch: pa.Table) -> None:
        self.rows.extend(batch.column("_ab_line").to_pylist())


class _GatedTyper(RecordTyper):
    """Types like RecordTyper; the batch holding line ``gate_line`` waits for ``gate`` and then fails."""

    def __init__(self, gate: threading.Event, gate_line: int) -> None:
        super().__init__(threads=1)
        self.gate, self.gate_line = gate, gate_line

    def type_batch(self, stream: StreamSpec, lines: pa.ChunkedArray, line_numbers: pa.ChunkedArray) -> pa.Table:
        if self.gate_line in line_numbers.to_pylist():
            assert self.gate.wait(10)
            raise InputError("not valid JSON", line=self.gate_line)
        return super().type_batch(stream, lines, line_numbers)


def _job(spec: StreamSpec, first_line: int, count: int = 3) -> FlushJob:
    numbers = list(range(first_line, first_line + count))
    lines = [f'{{"type":"RECORD","record":{{"stream":"s","data":{{"id":{n}}},"emitted_at":1}}}}' for n in numbers]
    return FlushJob(spec, pa.chunked_array([pa.array(lines, pa.large_string())]), pa.chunked_array([numbers]), count)


@pytest.fixture
def spec() -> StreamSpec:
    return spec_for("s", {"id": {"type": "integer"}})


def test_written_batches_let_go_of_their_raw_lines(spec: StreamSpec) -> None:
    writer = _Recorder()
    worker = FlushWorker(lambda: RecordTyper(threads=1), writer)
    jobs = [_job(spec, 1 + 3 * i) for i in range(4)]
    for job in jobs:
        worker.submit(job)
    worker.drain()
    worker.stop()
    assert writer.rows == list(range(1, 13))
    assert [(job.lines, job.line_numbers, job.batch) for job in jobs] == [(None, None, None)] * 4


def test_a_batch_typed_before_an_earlier_one_fails_is_handed_back_with_its_raw_lines(spec: StreamSpec) -> None:
    """Two typing threads: the second batch is typed while the first is still typing, and then the first
    fails on a bad line. The second must come back whole, so its lines before the bad one get written; so
    must the third, which is never typed."""
    gate = threading.Event()
    typers = iter([_GatedTyper(gate, gate_line=2), _GatedTyper(gate, gate_line=2)])
    writer = _Recorder()
    worker = FlushWorker(lambda: next(typers), writer)
    first, second, third = _job(spec, 1), _job(spec, 4), _job(spec, 7)
    worker.submit(first)
    worker.submit(second)
    while second.batch is None:  # typed by the other thread while the first waits at the gate
        threading.Event().wait(0.01)
    assert second.lines is not None  # an earlier batch may still fail: not released yet
    worker.submit(third)
    gate.set()
    failure = worker.take_failure()
    worker.stop()
    assert failure is not None
    error, returned = failure
    assert isinstance(error, InputError) and error.line == 2
    assert returned == [first, second, third]
    assert [job.lines is not None and job.line_numbers is not None for job in returned] == [True] * 3
    assert third.batch is None
    assert writer.rows == []


def test_an_input_error_raised_by_a_writer_ends_the_sync(spec: StreamSpec) -> None:
    """Only typing finds bad input (and hands batches back); a writer raising InputError is its own failure."""

    class Raising(Writer):
        def write(self, stream: StreamSpec, batch: pa.Table) -> None:
            raise InputError("a writer must not report input errors", line=1)

    worker = FlushWorker(lambda: RecordTyper(threads=1), Raising())
    worker.submit(_job(spec, 1))
    failure = worker.take_failure()
    worker.stop()
    assert failure is not None and isinstance(failure[0], WriterError)
