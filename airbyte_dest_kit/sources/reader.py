"""The ``read`` loop: every configured stream in turn, with statuses, checkpoints and per-stream failures.

For each configured stream::

    TRACE STREAM_STATUS STARTED
    TRACE STREAM_STATUS RUNNING            before its first record
    RECORD ... STATE ... RECORD ... STATE  a STATE after every slice, and every ``checkpoint_interval`` records
    TRACE STREAM_STATUS COMPLETE           or: TRACE ERROR (secrets masked) + INCOMPLETE, then the next stream

Every STATE carries ``sourceStats.recordCount``: the records since the previous STATE of that stream (of
any stream, for GLOBAL states). A completed stream always ends with a STATE, even when it read nothing, so
the destination learns the state the next sync resumes from; slice-end STATEs closer together than the
stream's ``min_seconds_between_states`` are merged into the next one.

Streams with ``concurrent_slices`` are read by ``ReadOptions.concurrency`` workers when that is above 1
(:mod:`airbyte_dest_kit.sources.concurrent`: STATEs then follow the low-water mark of finished slices, and
``checkpoint_interval`` does not apply).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from airbyte_dest_kit.errors import ConfigError, ConnectorError
from airbyte_dest_kit.protocol.codec import stream_status_message
from airbyte_dest_kit.protocol.models import ConfiguredAirbyteStream, SyncMode
from airbyte_dest_kit.protocol.stream_keys import StreamKey
from airbyte_dest_kit.sources.concurrent import CheckpointPacer, ConcurrentRead
from airbyte_dest_kit.sources.events import SourceEvents
from airbyte_dest_kit.sources.masking import error_of_type, masked_error_trace
from airbyte_dest_kit.sources.output import BLOCK_LINES, RECORD_SUFFIX, BufferedOutput, record_prefix
from airbyte_dest_kit.sources.state import SavedState, global_state_message, stream_state_message
from airbyte_dest_kit.sources.stream import Record, Stream

_NO_RECORD: Any = object()


@dataclass(frozen=True)
class StreamFailure:
    name: str
    namespace: str | None
    error: BaseException


@dataclass(frozen=True)
class ReadOptions:
    """How checkpoints look and what goes into them."""

    global_state: bool = False
    shared_state: Callable[[Mapping[str, Any] | None], Mapping[str, Any] | None] = lambda saved: saved
    emitted_at: Callable[[], int] = lambda: 0
    secrets: Callable[[], Iterable[str]] = lambda: ()
    concurrency: int = 1
    """Workers per stream for streams with ``concurrent_slices``; 1 reads every stream sequentially."""


class Reader:
    def __init__(self, output: BufferedOutput, saved: SavedState, events: SourceEvents, options: ReadOptions) -> None:
        self.output = output
        self.saved = saved
        self.events = events
        self.options = options
        # GLOBAL checkpoints list every stream, including those this run has not reached (yet).
        self._global_stream_states: dict[StreamKey, Any] = dict(saved.streams)
        self._uncheckpointed_records = 0  # GLOBAL only: records since the last checkpoint, across streams

    def read_all(
        self, configured_streams: Iterable[ConfiguredAirbyteStream], streams: Mapping[StreamKey, Stream]
    ) -> list[StreamFailure]:
        failures = []
        for configured in configured_streams:
            name, namespace = configured.stream.name, configured.stream.namespace
            self.events.current_stream = (name, namespace)
            try:
                stream = streams.get((namespace, name))
                if stream is None:
                    raise ConfigError(
                        f"stream {name!r} (namespace {namespace!r}) is in the catalog but not in this source; "
                        "run discover and update the catalog",
                        stream=name,
                    )
                self._read_stream(configured, stream)
            except Exception as exc:  # noqa: BLE001 - one failing stream must not stop the others
                self.output.message(masked_error_trace(exc, self.options.secrets(), (name, namespace)))
                self.output.message(stream_status_message(name, namespace, "INCOMPLETE"))
                failures.append(StreamFailure(name, namespace, exc))
            finally:
                self.events.current_stream = None
                self.output.flush()
        return failures

    def _read_stream(self, configured: ConfiguredAirbyteStream, stream: Stream) -> None:
        name, namespace = stream.name, stream.namespace
        incremental = configured.sync_mode == SyncMode.incremental
        if incremental and not stream.cursor_field:
            raise ConfigError(f"stream {name!r} has no cursor, so it cannot be read incrementally", stream=name)
        self.output.message(stream_status_message(name, namespace, "STARTED"))
        stream.load_state(self.saved.for_stream(name, namespace) if incremental else None)
        stream.use_catalog_schema(configured.stream.json_schema)
        if self.options.concurrency > 1 and stream.concurrent_slices:
            concurrent = ConcurrentRead(
                stream,
                self.output,
                self.events,
                lambda count: self._checkpoint(stream, count),
                self.options.emitted_at,
                workers=self.options.concurrency,
            )
            try:
                concurrent.run()
            except Exception:
                self._uncheckpointed_records += concurrent.uncheckpointed
                raise
        else:
            self._read_slices(stream)
        self.output.message(stream_status_message(name, namespace, "COMPLETE"))

    def _read_slices(self, stream: Stream) -> None:
        name, namespace = stream.name, stream.namespace
        pending, write_pending = self.output.pending, self.output.write_pending
        dumps, suffix, interval = orjson.dumps, RECORD_SUFFIX, stream.checkpoint_interval
        count = 0  # records since this stream's previous checkpoint
        due_at = interval  # the count at which the next interval checkpoint is due
        running = False
        pacer = CheckpointPacer(stream.min_seconds_between_states)
        owed = True  # a checkpoint the stream still needs (at least the final one)
        for stream_slice in stream.slices():
            prefix = record_prefix(name, namespace, self.options.emitted_at())
            blocks = stream.read_lines(stream_slice, prefix)
            try:
                if blocks is not None:
                    for block in blocks:
                        if not running and block.count:
                            self.output.message(stream_status_message(name, namespace, "RUNNING"))
                            running = True
                        pending.append(block.block)
                        write_pending()
                        count += block.count
                else:
                    records: Iterator[Record] = iter(stream.read(stream_slice))
                    if not running:
                        first = next(records, _NO_RECORD)
                        if first is not _NO_RECORD:
                            self.output.message(stream_status_message(name, namespace, "RUNNING"))
                            running = True
                            records = itertools.chain((first,), records)
                    for record in records:
                        pending.append(prefix + dumps(record) + suffix)
                        count += 1
                        if count == due_at:
                            if stream.interval_checkpoint_due():
                                self._checkpoint(stream, count)
                                count, due_at = 0, interval
                            else:
                                due_at = count + (interval or 0)
                        if len(pending) >= BLOCK_LINES:
                            write_pending()
            except Exception:
                self._uncheckpointed_records += count
                raise
            stream.close_slice(stream_slice)
            owed = True
            if pacer.due():
                self._checkpoint(stream, count)
                count, owed, due_at = 0, False, interval
        if owed:  # the last slice's merged checkpoint, or, with no slice at all, where the next sync resumes
            self._checkpoint(stream, count)

    def _checkpoint(self, stream: Stream, count: int) -> None:
        if self.options.global_state:
            self._global_stream_states[(stream.namespace, stream.name)] = stream.dump_state()
            shared = self.options.shared_state(self.saved.shared_state)
            count += self._uncheckpointed_records
            self._uncheckpointed_records = 0
            self.output.message(global_state_message(shared, self._global_stream_states, count))
        else:
            self.output.message(stream_state_message(stream.name, stream.namespace, stream.dump_state(), count))
        self.output.flush()


def combined_failure(failures: list[StreamFailure]) -> ConnectorError:
    """The error that makes the whole read exit non-zero once every stream had its turn."""
    kinds = {f.error.failure_type if isinstance(f.error, ConnectorError) else "system_error" for f in failures}
    names = ", ".join(f.name for f in failures)
    message = f"{len(failures)} stream(s) failed: {names}; see the error trace of each stream above"
    return error_of_type(kinds.pop() if len(kinds) == 1 else "system_error", message)
