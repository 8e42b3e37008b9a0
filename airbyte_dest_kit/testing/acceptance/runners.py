"""How the suite runs a destination: a :class:`Writer`, a :class:`Destination`, or a command line.

Each runner answers ``spec``, ``check`` and ``write`` with a :class:`Run`: the exit code and the parsed stdout.
In-process runners (a Writer, a Destination) are fast; a command runs the connector as the platform would.
:meth:`Runner.start_write` starts a ``write`` as a process of its own (a forked child for the in-process
runners) fed message by message, for the scenarios that kill it mid-sync.
"""

from __future__ import annotations

import io
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Protocol

import orjson

from airbyte_dest_kit.destination.destination import Destination
from airbyte_dest_kit.destination.writer import Writer
from airbyte_dest_kit.destination.writer_destination import WriterDestination
from airbyte_dest_kit.runtime.entrypoint import execute
from airbyte_dest_kit.testing.harness import Message, Run, json_file, run_in_process, stdin_lines


class Runner:
    """Runs the destination's ``spec`` / ``check`` / ``write`` commands given their argument files."""

    def __call__(self, argv: Sequence[str], stdin: bytes, cwd: Path) -> Run:
        raise NotImplementedError

    def spec(self, tmp: Path) -> Run:
        return self(["spec"], b"", tmp)

    def check(self, config: Mapping[str, Any], tmp: Path) -> Run:
        return self(["check", "--config", str(json_file(tmp, "config", config))], b"", tmp)

    def start(self, argv: Sequence[str], cwd: Path) -> Process:
        """The command as a process of its own, its stdin and stdout pipes open (the kill -9 scenario)."""
        raise NotImplementedError(
            f"{type(self).__name__}.start: the kill -9 scenario runs the destination as a process of its own; "
            "implement start() or use CommandRunner / DestinationRunner / WriterRunner"
        )

    def write(
        self, config: Mapping[str, Any], catalog: Mapping[str, Any], messages: Sequence[Message], tmp: Path
    ) -> Run:
        return self(_write_argv(config, catalog, tmp), stdin_lines(messages), tmp)

    def start_write(self, config: Mapping[str, Any], catalog: Mapping[str, Any], tmp: Path) -> LiveWrite:
        return LiveWrite(self.start(_write_argv(config, catalog, tmp), tmp))


def _write_argv(config: Mapping[str, Any], catalog: Mapping[str, Any], tmp: Path) -> list[str]:
    config_file, catalog_file = json_file(tmp, "config", config), json_file(tmp, "catalog", catalog)
    return ["write", "--config", str(config_file), "--catalog", str(catalog_file)]


class Process(Protocol):
    """What :class:`LiveWrite` needs of a process (a :class:`subprocess.Popen` has it)."""

    @property
    def stdin(self) -> IO[bytes] | None: ...

    @property
    def stdout(self) -> IO[bytes] | None: ...

    def kill(self) -> None: ...

    def wait(self, timeout: float | None = None) -> int: ...


class LiveWrite:
    """A ``write`` process fed as the test goes, its stdout read line by line as it comes (a thread)."""

    def __init__(self, process: Process) -> None:
        assert process.stdin is not None and process.stdout is not None
        self.process, self._stdin, self._stdout = process, process.stdin, process.stdout
        self.printed: list[dict[str, Any]] = []  # every message read so far
        self._lines: queue.Queue[bytes | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, name="live-write-stdout", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self._stdout:
            self._lines.put(line)
        self._lines.put(None)

    def send(self, messages: Sequence[Message]) -> None:
        self._stdin.write(stdin_lines(messages))
        self._stdin.flush()

    def wait_for_states(self, count: int, timeout: float) -> bool:
        """Whether ``count`` STATE messages were printed within ``timeout`` seconds (counting earlier ones)."""
        deadline = time.monotonic() + timeout
        while self._states() < count and (left := deadline - time.monotonic()) > 0:
            try:
                line = self._lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:  # the process ended
                self._lines.put(None)
                break
            self.printed.append(orjson.loads(line))
        return self._states() >= count

    def _states(self) -> int:
        return sum(m.get("type") == "STATE" for m in self.printed)

    def kill(self, timeout: float = 30) -> list[dict[str, Any]]:
        """``kill -9``, then every message it printed (what reached the pipe before it died counts)."""
        self.process.kill()
        self.process.wait(timeout)
        self._reader.join(timeout)  # the pipe ends once the process is gone: the reader has read it all
        while not self._lines.empty() and (line := self._lines.get_nowait()) is not None:
            self.printed.append(orjson.loads(line))
        self._stdin.close()
        self._stdout.close()
        return self.printed


class CommandRunner(Runner):
    """A command line, e.g. ``CommandRunner([sys.executable, "main.py"])`` or ``CommandRunner(["destination-x"])``."""

    def __init__(self, command: Sequence[str], *, timeout: float = 120) -> None:
        self.command, self.timeout = list(command), timeout

    def __call__(self, argv: Sequence[str], stdin: bytes, cwd: Path) -> Run:
        done = subprocess.run([*self.command, *argv], input=stdin, capture_output=True, timeout=self.timeout, cwd=cwd)
        return Run(done.returncode, done.stdout, done.stderr.decode(errors="replace"))

    def start(self, argv: Sequence[str], cwd: Path) -> Process:
        pipe = subprocess.PIPE
        return subprocess.Popen([*self.command, *argv], stdin=pipe, stdout=pipe, stderr=subprocess.DEVNULL, cwd=cwd)


class DestinationRunner(Runner):
    """A :class:`Destination` run in-process; ``make`` builds a fresh one per command (connectors keep state)."""

    def __init__(self, make: Callable[[], Destination]) -> None:
        self.make = make

    def __call__(self, argv: Sequence[str], stdin: bytes, cwd: Path) -> Run:
        return run_in_process(self.make(), argv, stdin)

    def start(self, argv: Sequence[str], cwd: Path) -> Process:
        """A forked child runs the command: a process of its own (to kill), whatever ``make`` is (a class, a
        closure) and without importing anything again."""
        return _ForkedProcess(lambda stdout: execute(self.make(), argv, stdout=stdout))


class WriterRunner(DestinationRunner):
    """A :class:`Writer` run in-process inside a :class:`WriterDestination`: ``create(config)`` builds it;
    ``spec_path`` is the destination's spec file (``spec.json``)."""

    def __init__(self, create: Callable[[Mapping[str, Any]], Writer], *, spec_path: Path | str) -> None:
        def make() -> Destination:
            return _OneWriterDestination(create, Path(spec_path))

        super().__init__(make)


class _OneWriterDestination(WriterDestination):
    def __init__(self, create: Callable[[Mapping[str, Any]], Writer], spec_path: Path) -> None:
        super().__init__()
        self._create, self.spec_path = create, spec_path

    def create_writer(self, config: Mapping[str, Any]) -> Writer:
        return self._create(config)


class _ForkedProcess:
    """``main(stdout)`` run in a forked child with pipes for stdin and stdout; its return value is the exit code."""

    def __init__(self, main: Callable[[IO[bytes]], int]) -> None:
        child_stdin, parent_stdin = os.pipe()
        parent_stdout, child_stdout = os.pipe()
        with warnings.catch_warnings():
            # Python 3.12+ warns that forking a process with threads may deadlock the child. The child runs
            # only the connector and ends with os._exit, never touching the test's threads or its state.
            warnings.simplefilter("ignore", DeprecationWarning)
            self.pid = os.fork()
        if self.pid == 0:  # the child: never returns into the caller
            code = 70  # EX_SOFTWARE: the child failed outside the connector
            try:
                os.close(parent_stdin)
                os.close(parent_stdout)
                os.dup2(child_stdin, 0)
                sys.stdin = io.TextIOWrapper(io.BufferedReader(io.FileIO(0, closefd=False)))
                with io.FileIO(child_stdout, "w") as raw, io.BufferedWriter(raw) as stdout:
                    code = main(stdout)
            except BaseException:  # noqa: BLE001 - shown on stderr; the exit code tells the parent
                traceback.print_exc()
            finally:
                os._exit(code)
        os.close(child_stdin)
        os.close(child_stdout)
        self.stdin: IO[bytes] | None = os.fdopen(parent_stdin, "wb")
        self.stdout: IO[bytes] | None = os.fdopen(parent_stdout, "rb")
        self.returncode: int | None = None

    def kill(self) -> None:
        if self.returncode is None:
            os.kill(self.pid, signal.SIGKILL)

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
            elif deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"forked child {self.pid}", timeout or 0)
            else:
                time.sleep(0.01)
        return self.returncode
