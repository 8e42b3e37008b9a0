"""Crash safety: every STATE the destination printed is covered by what the DuckDB file holds afterwards.

Input: two streams, ``a`` and ``b``, records ``{"id": n}`` with n = 1, 2, … per stream, interleaved, and a
STREAM state after every 500 records of a stream carrying ``{"last_id": n}``. An echoed state for stream S
with ``last_id`` L therefore promises that ids 1..L of S are in S's table.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator

from airbyte_dest_kit.testing import LiveWrite
from airbyte_dest_kit.testing.builders import catalog, record, stdin_lines, stream_state
from integration_tests.duckdb.harness import INT_SCHEMA, STR_SCHEMA, configured_stream

PER_STREAM = 50_000
STATE_EVERY = 500
PROPS = {"id": INT_SCHEMA, "payload": STR_SCHEMA}
CATALOG = catalog(configured_stream("a", PROPS), configured_stream("b", PROPS))
SMALL_BATCHES = {"buffering": {"max_rows": 2_000}}


def lines() -> Iterator[bytes]:
    for n in range(1, PER_STREAM + 1):
        chunk = []
        for stream in ("a", "b"):
            chunk.append(record(stream, {"id": n, "payload": "x" * 40}))
            if n % STATE_EVERY == 0:
                chunk.append(stream_state(stream, {"last_id": n}, id=n, source_count=STATE_EVERY))
        yield stdin_lines(chunk)


def feed(live: LiveWrite) -> threading.Thread:
    def pump() -> None:
        # Straight into the pipe's buffer, not live.send (a flush per chunk): the input comes as fast as it can.
        stdin = live.process.stdin
        assert stdin is not None
        try:
            for piece in lines():
                stdin.write(piece)
            stdin.close()
        except (BrokenPipeError, OSError, ValueError):
            pass  # the destination was killed

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    return thread


def start_and_wait_for_states(dest, count: int) -> tuple[LiveWrite, threading.Thread]:
    """Start a write fed from :func:`lines` and wait until it has echoed ``count`` states."""
    live = dest.start_write(CATALOG, SMALL_BATCHES)
    feeder = feed(live)
    for _ in range(count):
        assert live.next_state(timeout=60) is not None, f"no state echoed; saw {live.printed[-3:]}"
    return live, feeder


def rows_written(dest) -> int:
    return dest.query('SELECT (SELECT count(*) FROM main."a") + (SELECT count(*) FROM main."b") AS n')[0]["n"]


def assert_states_covered(dest, states: list[dict]) -> None:
    assert states, "the destination echoed no state before it was stopped"
    last: dict[str, int] = {}
    for message in states:
        state = message["state"]
        stream = state["stream"]["stream_descriptor"]["name"]
        value = state["stream"]["stream_state"]["last_id"]
        assert value > last.get(stream, 0), "states echoed out of order"
        last[stream] = value
        assert state["id"] == value and state["destinationStats"] == {"recordCount": float(STATE_EVERY)}
    for stream, up_to in last.items():
        (row,) = dest.query(
            f'SELECT count(*) AS n, count(DISTINCT id) AS d, min(id) AS lo FROM main."{stream}" WHERE id <= ?',
            [up_to],
        )
        # Append mode, one attempt: exactly ids 1..up_to, each once.
        assert row == {"n": up_to, "d": up_to, "lo": 1}, (stream, up_to, row)


def test_kill_9_mid_sync_keeps_every_echoed_state_covered(dest):
    live, feeder = start_and_wait_for_states(dest, 40)
    killed = live.kill()  # whatever else reached stdout before the kill counts as echoed too
    feeder.join(30)
    total = rows_written(dest)
    assert total < 2 * PER_STREAM, "the kill came too late to test anything: the whole input was written"
    assert_states_covered(dest, killed.of_type("STATE"))


def test_sigterm_stops_with_error_and_only_covered_states(dest):
    live, feeder = start_and_wait_for_states(dest, 30)
    live.process.send_signal(signal.SIGTERM)
    live.process.wait(60)
    feeder.join(30)
    run = live.finish()
    error = run.assert_failed()  # a non-zero exit and exactly one TRACE ERROR
    assert error["failure_type"] == "transient_error"
    assert "SIGTERM" in error["message"]
    # States printed after the signal are fine as long as they are covered; none may follow the error.
    error_at = next(i for i, m in enumerate(run.messages) if m["type"] == "TRACE")
    assert all(m["type"] != "STATE" for m in run.messages[error_at:])
    states = run.of_type("STATE")
    total = rows_written(dest)
    assert total < 2 * PER_STREAM, "SIGTERM came too late to test anything: the whole input was written"
    assert_states_covered(dest, states)
