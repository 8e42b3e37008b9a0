"""Writer-based destinations: the streaming pipeline from stdin to a :class:`Writer`.

One ``write`` runs like this::

    stdin ─► ChunkReader (1 MiB chunks, background thread)
          ─► route_chunk: RECORD lines → StreamBuffer per stream (Arrow, no JSON parse in Python);
                          other lines → decoded: STATE → StateLedger.hold, STREAM_STATUS → completion
          ─► FlushPolicy: rows / bytes / age / memory cap → FlushWorker: RecordTyper (DuckDB, two typing
                          threads) → Writer.write (one writing thread, batches in submission order)
          ─► StateLedger.release → STATE on stdout (flushed), in arrival order
    end of input ─► flush all ─► Writer.finish for completed streams ─► remaining states

Failure rules: input from a bad line on (malformed JSON, a stream not in the catalog, a RECORD without
data) is never written and no state after it is echoed; what came before is committed and its states
echoed; then a TRACE ERROR naming the line. SIGTERM does the same at the point reading stopped. A writer
failure stops everything at once: no further commit, no further state. A bad RECORD line is sometimes
found only when its batch is typed (the router does not parse JSON): lines already handed to the flush
worker then come back to their buffers and are cut at that line the same way; batches of other streams
written before it was found stay written, and their own STREAM states (covered) may have been echoed.
"""

from __future__ import annotations

import functools
import signal
import time
from collections import Counter
from collections.abc import Sequence
from types import FrameType
from typing import IO

from airbyte_dest_kit.destination.pipeline.buffer import StreamBuffer
from airbyte_dest_kit.destination.pipeline.flush import FlushPolicy
from airbyte_dest_kit.destination.pipeline.flush_worker import FlushJob, FlushWorker
from airbyte_dest_kit.destination.pipeline.ledger import StateLedger
from airbyte_dest_kit.destination.pipeline.progress import Progress
from airbyte_dest_kit.destination.pipeline.router import MessageLine, RecordRun, route_chunk
from airbyte_dest_kit.destination.writer import Writer
from airbyte_dest_kit.errors import ConnectorError, InputError, TransientError
from airbyte_dest_kit.protocol.codec import ChunkReader, MessageWriter, decode_line, log_message
from airbyte_dest_kit.protocol.shapes import check_record, check_state, check_stream_status
from airbyte_dest_kit.protocol.stream_keys import StreamKey, stream_key
from airbyte_dest_kit.records.typer import RecordTyper
from airbyte_dest_kit.streams.spec import StreamSpec

TICK_SECONDS = 1.0


class Pipeline:
    """Runs one sync of ``specs`` into ``writer``, printing states and logs to ``out``."""

    def __init__(
        self,
        writer: Writer,
        specs: Sequence[StreamSpec],
        out: MessageWriter,
        policy: FlushPolicy | None = None,
        *,
        progress_interval: float = 5.0,
    ) -> None:
        self.writer = writer
        self.specs = list(specs)
        self.out = out
        self.policy = policy or FlushPolicy()
        self.buffers: dict[StreamKey, StreamBuffer] = {spec.key: StreamBuffer(spec) for spec in self.specs}
        self.ledger = StateLedger()
        self.progress = Progress(self._log, progress_interval)
        self.statuses: dict[StreamKey, str] = {}
        self._ended: set[StreamKey] = set()  # streams that reported COMPLETE / INCOMPLETE since the last flush
        self.skipped: Counter[str] = Counter()
        self.states_in = 0
        self.lines_read = 0
        self.terminated = False
        self.error: ConnectorError | None = None

    def _log(self, text: str, level: str = "INFO") -> None:
        self.out.write(log_message(level, text))

    def _on_sigterm(self, signum: int, frame: FrameType | None) -> None:
        self.terminated = True

    def run(self, stdin: IO[bytes]) -> None:
        previous = signal.signal(signal.SIGTERM, self._on_sigterm)
        strip_nul = self.writer.capabilities.strips_nul
        worker = FlushWorker(lambda: RecordTyper(strip_nul=strip_nul, threads=1), self.writer)
        try:
            worker.start(lambda: self.writer.open(self.specs))  # opening overlaps the first reading and typing
            self._log(f"writing {len(self.specs)} stream(s): {', '.join(spec.label for spec in self.specs)}")
            try:
                self._consume(ChunkReader(stdin), worker)
            except InputError as exc:
                self._stop_at(exc)
            if self.terminated and self.error is None:
                self.error = TransientError(
                    f"stopped by SIGTERM after line {self.lines_read}: records before it are committed and "
                    "their states echoed; a retry resumes from the last echoed state"
                )
            self._flush_everything(worker)
            if self.error is None:
                self._finish_completed_streams(worker)
        finally:
            try:
                worker.call(self.writer.close)
            finally:
                worker.stop()
                signal.signal(signal.SIGTERM, previous)
        for line in self.progress.summary(self.buffers.values(), self.states_in, self.ledger.released, self.skipped):
            self._log(line)
        if self.error is not None:
            raise self.error

    def _consume(self, reader: ChunkReader, worker: FlushWorker) -> None:
        while not self.terminated and self.error is None:
            chunk = reader.get(timeout=TICK_SECONDS)
            if chunk is None:
                return
            if chunk:
                routed = route_chunk(chunk, self.lines_read + 1)
                self.lines_read += routed.line_count
                for item in routed.items:
                    if isinstance(item, RecordRun):
                        self._buffer_for(item.key, item.line_numbers[0].as_py()).add_run(item.lines, item.line_numbers)
                    else:
                        self._handle_message(item)
                if routed.error is not None:
                    raise routed.error
            now = time.monotonic()
            for buffer, count, commit in self._due(now, keeping_up=worker.backlog == 0):
                self._submit(buffer, worker, count, commit)
            self._settle(worker)
            self.progress.maybe_log(self.buffers.values(), self.ledger.released, now)

    def _due(self, now: float, *, keeping_up: bool) -> list[tuple[StreamBuffer, int | None, bool]]:
        """Buffers to write now, each with how many of its lines go (None: all) and whether a commit follows:
        the flush policy's (committed at once unless the writer defers commits), a stream that reported its
        end (nothing more is coming), and, while the flush worker keeps up, a stream whose records a STATE has
        waited on for ``max_state_wait_seconds`` (a writer that defers commits is asked to commit them,
        buffered or staged). (A worker with a backlog would only queue those small batches behind it: the
        states come no sooner, and throughput drops.)"""
        commit_now = not self.writer.capabilities.defers_commits
        blocks = self.writer.capabilities.rows_per_block
        due = {buffer: (count, commit_now) for buffer, count in self.policy.due(self.buffers.values(), now, blocks)}
        ended, self._ended = self._ended, set()
        for key in ended:
            if self.buffers[key].seen > self.buffers[key].commit_asked:
                due[self.buffers[key]] = (None, True)
        if keeping_up:
            for key, (since, needed) in self.ledger.oldest_waits().items():
                buffer = self.buffers.get(key)
                if (
                    buffer is not None
                    and needed > buffer.commit_asked  # no commit on its way covers the records it needs
                    and now - since >= self.policy.max_state_wait_seconds
                ):
                    due[buffer] = (None, True)
        return [(buffer, count, commit) for buffer, (count, commit) in due.items()]

    def _submit(self, buffer: StreamBuffer, worker: FlushWorker, count: int | None = None, commit: bool = True) -> None:
        """Hand the first ``count`` of ``buffer``'s lines (all by default; maybe none, for a commit alone) to the
        worker, with a commit after them or not."""
        lines, numbers = buffer.take(count) if buffer.rows else (None, None)
        if commit:
            buffer.commit_asked = buffer.seen - buffer.rows
        worker.submit(FlushJob(buffer.spec, lines, numbers, 0 if lines is None else len(lines), commit))

    def _settle(self, worker: FlushWorker) -> None:
        """Account for written batches, echo the states they cover, and take in a worker failure."""
        for job in worker.completed():
            buffer = self.buffers[job.spec.key]
            buffer.written += job.count
            buffer.batches += job.count > 0
            if job.commit:
                # Only now, with the batches durable, may states that wait for these records be released.
                buffer.committed = buffer.written
                self.ledger.committed(job.spec.key, buffer.committed)
        for state in self.ledger.release():
            self.out.write(state, flush=True)
        if not worker.failed:
            return
        failure = worker.take_failure()
        assert failure is not None
        exc, returned = failure
        self._settle(worker)  # batches that completed before the failure still count
        if not isinstance(exc, InputError):
            raise exc  # the writer broke: nothing more is committed, no further state echoed
        for job in returned:  # FlushWorker keeps a batch's raw lines while an earlier one may still fail
            if job.count:  # not a commit alone
                assert job.lines is not None and job.line_numbers is not None
                self.buffers[job.spec.key].give_back(job.lines, job.line_numbers)
        self._stop_at(exc)

    def _stop_at(self, error: InputError) -> None:
        """Nothing from ``error.line`` on is written and no later state is echoed; earlier input is."""
        if self.error is None or not isinstance(self.error, InputError) or error.line < self.error.line:
            self.error = error
        for buffer in self.buffers.values():
            buffer.drop_from(error.line)
        self.ledger.discard_after(error.line)

    def _flush_everything(self, worker: FlushWorker) -> None:
        while True:
            for buffer in self.buffers.values():
                if buffer.rows or buffer.seen > buffer.commit_asked:  # to write, or staged and to commit
                    self._submit(buffer, worker)
            # Always settle: batches submitted while reading may still be in flight, and their states wait.
            worker.drain()
            self._settle(worker)
            if not any(buffer.rows for buffer in self.buffers.values()):
                return  # else a bad line found just now returned lines to the buffers: write those

    def _buffer_for(self, key: StreamKey, line_number: int) -> StreamBuffer:
        buffer = self.buffers.get((key[0] or None, key[1]))
        if buffer is None:
            raise InputError(
                f"RECORD for stream {key[1]!r} (namespace {key[0]!r}), which is not in the configured catalog; "
                "add the stream to the catalog or stop the source from sending it",
                line=line_number,
                stream=key[1],
            )
        return buffer

    def _handle_message(self, item: MessageLine) -> None:
        message = decode_line(item.text, item.line_number)
        kind = message.get("type")
        if kind == "RECORD":
            descriptor = check_record(message, item.line_number)
            key = stream_key(descriptor)
            self._buffer_for(key, item.line_number).add_line(item.text, item.line_number)
        elif kind == "STATE":
            check_state(message, item.line_number)
            self.states_in += 1
            seen = {key: buffer.seen for key, buffer in self.buffers.items()}
            self.ledger.hold(message, item.line_number, seen, time.monotonic())
        elif kind == "TRACE":
            trace = message.get("trace")
            if not isinstance(trace, dict):
                raise InputError("TRACE 'trace' must be a JSON object", line=item.line_number)
            if trace.get("type") != "STREAM_STATUS":
                self.skipped["TRACE"] += 1
                return
            descriptor, status = check_stream_status(trace, item.line_number)
            key = stream_key(descriptor)
            self.statuses[key] = status
            if status in ("COMPLETE", "INCOMPLETE") and key in self.buffers:
                self._ended.add(key)  # nothing more is coming for it: write what it has now
        else:
            self.skipped[str(kind)] += 1

    def _finish_completed_streams(self, worker: FlushWorker) -> None:
        reported = bool(self.statuses)
        for spec in self.specs:
            if not reported or self.statuses.get(spec.key) == "COMPLETE":
                worker.call(functools.partial(self.writer.finish, spec))
            else:
                status = self.statuses.get(spec.key, "no status")
                self._log(
                    f"stream {spec.label}: not finalized ({status}); committed rows are kept"
                    + ("; the staged overwrite was not swapped in" if spec.truncate else ""),
                    "WARN",
                )
