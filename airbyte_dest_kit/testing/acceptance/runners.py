"""How the suite runs a destination: a :class:`Writer`, a :class:`Destination`, or a command line.

Each runner answers ``spec``, ``check`` and ``write`` with a :class:`Run`: the exit code and the parsed stdout.
In-process runners (a Writer, a Destination) are fast; a command runs the connector as the platform would.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from airbyte_dest_kit.destination import Destination
from airbyte_dest_kit.testing.harness import Message, Run, json_file, run_in_process, stdin_lines
from airbyte_dest_kit.writer import Writer
from airbyte_dest_kit.writer_destination import WriterDestination


class Runner:
    """Runs the destination's ``spec`` / ``check`` / ``write`` commands given their argument files."""

    def __call__(self, argv: Sequence[str], stdin: bytes, cwd: Path) -> Run:
        raise NotImplementedError

    def spec(self, tmp: Path) -> Run:
        return self(["spec"], b"", tmp)

    def check(self, config: Mapping[str, Any], tmp: Path) -> Run:
        return self(["check", "--config", str(json_file(tmp, "config", config))], b"", tmp)

    def write(
        self, config: Mapping[str, Any], catalog: Mapping[str, Any], messages: Sequence[Message], tmp: Path
    ) -> Run:
        config_file, catalog_file = json_file(tmp, "config", config), json_file(tmp, "catalog", catalog)
        return self(["write", "--config", str(config_file), "--catalog", str(catalog_file)], stdin_lines(messages), tmp)


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
        return run_in_process(self.make(), argv, stdin)


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
