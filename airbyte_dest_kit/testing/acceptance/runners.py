"""How the suite runs a destination: a :class:`Writer`, a :class:`Destination`, or a command line.

Each runner answers ``spec``, ``check`` and ``write`` with a :class:`Run`: the exit code and the parsed stdout.
In-process runners (a Writer, a Destination) are fast; a command runs the connector as the platform would.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from airbyte_dest_kit.destination import Destination
from airbyte_dest_kit.entrypoint import execute
from airbyte_dest_kit.testing.output import ConnectorOutput
from airbyte_dest_kit.writer import Writer
from airbyte_dest_kit.writer_destination import WriterDestination

Message = Mapping[str, Any] | str  # a str is sent as the raw line (for malformed-input scenarios)


class Run(ConnectorOutput):
    """One run of a command: its exit code, stdout parsed (a line that is not JSON fails at once), stderr."""

    def __init__(self, returncode: int, stdout: bytes, stderr: str = "") -> None:
        super().__init__(stdout.splitlines())
        self.returncode, self.stdout, self.stderr = returncode, stdout.decode(errors="replace"), stderr


class Runner:
    """Runs the destination's ``spec`` / ``check`` / ``write`` commands given their argument files."""

    def __call__(self, argv: Sequence[str], stdin: bytes, cwd: Path) -> Run:
        raise NotImplementedError

    def spec(self, tmp: Path) -> Run:
        return self(["spec"], b"", tmp)

    def check(self, config: Mapping[str, Any], tmp: Path) -> Run:
        return self(["check", "--config", str(_dump(tmp, "config", config))], b"", tmp)

    def write(
        self, config: Mapping[str, Any], catalog: Mapping[str, Any], messages: Sequence[Message], tmp: Path
    ) -> Run:
        files = ["--config", str(_dump(tmp, "config", config)), "--catalog", str(_dump(tmp, "catalog", catalog))]
        argv = ["write", *files]
        lines = (m if isinstance(m, str) else json.dumps(m) for m in messages)
        return self(argv, "".join(line + "\n" for line in lines).encode(), tmp)


def _dump(tmp: Path, kind: str, value: Mapping[str, Any]) -> Path:
    path = tmp / f"{kind}_{uuid.uuid4().hex[:8]}.json"
    path.write_text(json.dumps(value))
    return path


class CommandRunner(Runner):
    """A command line, e.g. ``CommandRunner([sys.executable, "main.py"])`` or ``CommandRunner(["destination-x"])``."""

    def __init__(self, command: Sequence[str], *, timeout: float = 120) -> None:
        self.command, self.timeout = list(command), timeout

    def __call__(self, argv: Sequence[str], stdin: bytes, cwd: Path) -> Run:
        done = subprocess.run([*self.command, *argv], input=stdin, capture_output=True, timeout=self.timeout, cwd=cwd)
        return Run(done.returncode, done.stdout, done.stderr.decode(errors="replace"))


class DestinationRunner(Runner):
    """A :class:`Destination` run in-process; ``make`` builds a fresh one per command (connectors keep state)."""

    def __init__(self, make: Callable[[], Destination]) -> None:
        self.make = make

    def __call__(self, argv: Sequence[str], stdin: bytes, cwd: Path) -> Run:
        out = io.BytesIO()
        with _stdin(stdin):
            code = execute(self.make(), argv, stdout=out)
        return Run(code, out.getvalue())


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


@contextmanager
def _stdin(data: bytes) -> Iterator[None]:
    """``sys.stdin`` reads ``data`` for the time of one in-process command."""
    saved = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(data))
    try:
        yield
    finally:
        sys.stdin = saved
