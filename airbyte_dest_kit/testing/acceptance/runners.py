"""How the suite runs a destination: a :class:`Writer`, a :class:`Destination`, or a command line.

Each runner answers ``spec``, ``check`` and ``write`` (or any command, :meth:`Runner.run`) with a :class:`Run`:
the exit code and the parsed stdout. In-process runners (a Writer, a Destination) are fast; a command runs the
connector as the platform would. :meth:`Runner.start_write` starts a ``write`` as a process of its own (a forked
child for the in-process runners) fed message by message (a :class:`LiveWrite`), for the scenarios that kill it
mid-sync.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from airbyte_dest_kit.destination.destination import Destination
from airbyte_dest_kit.destination.writer import Writer
from airbyte_dest_kit.destination.writer_destination import WriterDestination
from airbyte_dest_kit.runtime.entrypoint import execute
from airbyte_dest_kit.testing.builders import Message, stdin_lines
from airbyte_dest_kit.testing.harness import Run, command_line, run_in_process
from airbyte_dest_kit.testing.live import LiveWrite, Process


class Runner:
    """Runs a connector's commands given their argument files: ``spec`` / ``check`` / ``write`` of a destination,
    or any command with :meth:`run`."""

    def __call__(self, argv: Sequence[str], stdin: bytes, cwd: Path) -> Run:
        raise NotImplementedError

    def run(self, command: str, tmp: Path, *, messages: Iterable[Message] = (), **inputs: Any) -> Run:
        """``command`` with ``inputs`` (``config=``, ``catalog=``, ``state=``, …) as files in ``tmp``
        (:func:`~airbyte_dest_kit.testing.harness.command_line`) and ``messages`` on stdin."""
        return self(command_line(command, tmp, **inputs), stdin_lines(messages), tmp)

    def spec(self, tmp: Path) -> Run:
        return self.run("spec", tmp)

    def check(self, config: Mapping[str, Any], tmp: Path) -> Run:
        return self.run("check", tmp, config=config)

    def start(self, argv: Sequence[str], cwd: Path) -> Process:
        """The command as a process of its own, its stdin and stdout pipes open (the kill -9 scenario)."""
        raise NotImplementedError(
            f"{type(self).__name__}.start: the kill -9 scenario runs the destination as a process of its own; "
            "implement start() or use CommandRunner / DestinationRunner / WriterRunner"
        )

    def write(
        self, config: Mapping[str, Any], catalog: Mapping[str, Any], messages: Iterable[Message], tmp: Path
    ) -> Run:
        return self.run("write", tmp, config=config, catalog=catalog, messages=messages)

    def start_write(self, config: Mapping[str, Any], catalog: Mapping[str, Any], tmp: Path) -> LiveWrite:
        return LiveWrite(self.start(command_line("write", tmp, config=config, catalog=catalog), tmp))


class CommandRunner(Runner):
    """A command line, e.g. ``CommandRunner([sys.executable, "main.py"])`` or ``CommandRunner(["destination-x"])``.

    It runs in the test's folder unless ``cwd`` is given, with the environment ``env`` (default: the test's
    own), and fails a run that takes longer than ``timeout`` seconds."""

    def __init__(
        self,
        command: Sequence[str],
        *,
        cwd: Path | str | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = 120,
    ) -> None:
        self.command, self.cwd, self.env, self.timeout = list(command), cwd, env, timeout

    def __call__(self, argv: Sequence[str], stdin: bytes, cwd: Path) -> Run:
        done = subprocess.run(
            [*self.command, *argv], input=stdin, capture_output=True, timeout=self.timeout, **self._where(cwd)
        )
        return Run.from_completed(done)

    def start(self, argv: Sequence[str], cwd: Path) -> Process:
        pipe = subprocess.PIPE
        return subprocess.Popen(
            [*self.command, *argv], stdin=pipe, stdout=pipe, stderr=subprocess.DEVNULL, **self._where(cwd)
        )

    def _where(self, cwd: Path) -> dict[str, Any]:
        return {"cwd": self.cwd or cwd, "env": self.env}


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

    def send_signal(self, sig: int) -> None:
        if self.returncode is None:
            os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

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
