"""A ``write`` running as a process of its own, fed as the test goes and read as it prints: for the tests that
watch states come back while the input is still open, or that kill the destination mid-sync::

    live = LiveWrite(subprocess.Popen([...main.py, "write", ...], stdin=PIPE, stdout=PIPE))
    # or: CommandRunner([...]).start_write(config, catalog, tmp_path)
    live.send([record("users", {"id": 1}), stream_state("users", {"n": 1})])
    assert live.next_state(timeout=30) == echoed(state, 1)   # echoed while stdin is still open
    run = live.finish()                                       # or live.kill(): kill -9 mid-sync
    run.assert_ok()
"""

from __future__ import annotations

import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import suppress
from typing import IO, Any, Protocol

from airbyte_dest_kit.testing.builders import Message, stdin_lines
from airbyte_dest_kit.testing.harness import Run
from airbyte_dest_kit.testing.output import parse_message


class Process(Protocol):
    """What :class:`LiveWrite` needs of a process (a :class:`subprocess.Popen` has it)."""

    @property
    def stdin(self) -> IO[bytes] | None: ...

    @property
    def stdout(self) -> IO[bytes] | None: ...

    def send_signal(self, sig: int) -> None: ...

    def kill(self) -> None: ...

    def wait(self, timeout: float | None = None) -> int: ...


class LiveWrite:
    """A ``write`` process fed as the test goes (:meth:`send`), its stdout read line by line as it comes (a
    thread). ``printed`` holds every message read so far; :meth:`finish` and :meth:`kill` end the process and
    give the whole run. Stop it otherwise with ``live.process.send_signal(...)``, then :meth:`finish`."""

    def __init__(self, process: Process) -> None:
        assert process.stdin is not None and process.stdout is not None, "the process needs stdin and stdout pipes"
        self.process, self._stdin, self._stdout = process, process.stdin, process.stdout
        self.printed: list[dict[str, Any]] = []
        self._lines: list[bytes] = []  # printed, as the raw lines
        self._counts: Counter[str] = Counter()  # printed, by type
        self._states: list[dict[str, Any]] = []  # the STATE messages of printed
        self._states_returned = 0  # by next_state
        self._queue: queue.Queue[bytes | None] = queue.Queue()  # None: stdout ended
        self._reader = threading.Thread(target=self._read, name="live-write-stdout", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self._stdout:
            self._queue.put(line)
        self._queue.put(None)

    def send(self, messages: Iterable[Message]) -> None:
        """``messages`` written to the process's stdin (:func:`~airbyte_dest_kit.testing.builders.stdin_lines`)
        and flushed: the destination can read them at once."""
        self._stdin.write(stdin_lines(messages))
        self._stdin.flush()

    def next_state(self, timeout: float) -> dict[str, Any] | None:
        """The next STATE message printed (after those this returned before), waiting ``timeout`` seconds at
        most; None when none came in time or the process ended without one."""
        if not self._read_until(lambda: len(self._states) > self._states_returned, timeout):
            return None
        self._states_returned += 1
        return self._states[self._states_returned - 1]

    def wait_for(self, kind: str, count: int, timeout: float) -> bool:
        """Whether ``count`` messages of ``kind`` (STATE, LOG, …) were printed within ``timeout`` seconds,
        earlier ones counted."""
        return self._read_until(lambda: self._counts[kind] >= count, timeout)

    def finish(self, timeout: float = 60) -> Run:
        """Close stdin (the end of the input), wait for the process to end; the whole run: its exit code and
        every line it printed."""
        with suppress(BrokenPipeError):  # a destination that failed early stopped reading
            self._stdin.close()
        return self._ended(self.process.wait(timeout), timeout)

    def kill(self, timeout: float = 30) -> Run:
        """``kill -9``; the whole run (what reached the pipe before the process died was printed too)."""
        self.process.kill()
        run = self._ended(self.process.wait(timeout), timeout)
        with suppress(BrokenPipeError):  # what a feeding thread left in the buffer has nowhere to go
            self._stdin.close()
        return run

    def _ended(self, returncode: int, timeout: float) -> Run:
        self._reader.join(timeout)  # the pipe ends with the process: the reader has read it all
        self._read_until(lambda: False, timeout=0)  # take in every line the reader queued
        self._stdout.close()
        return Run(returncode, b"".join(self._lines))

    def _read_until(self, done: Callable[[], bool], timeout: float) -> bool:
        """Read printed lines until ``done()``, the time is up or stdout ended; whether ``done()``."""
        deadline = time.monotonic() + timeout
        while not done():
            try:
                line = self._queue.get(timeout=max(deadline - time.monotonic(), 0))
            except queue.Empty:
                return False
            if line is None:
                self._queue.put(None)  # for the next reader
                return False
            message = parse_message(line)
            self._lines.append(line)
            self.printed.append(message)
            self._counts[message["type"]] += 1
            if message["type"] == "STATE":
                self._states.append(message)
        return True
