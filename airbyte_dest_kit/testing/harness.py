"""Run a connector in-process from Python values and get its parsed output, for connector tests::

    run = run_connector(SourceShop(), "read", config={...}, catalog=catalog(...), state=[...])
    run.assert_ok()
    run.records("customers"), run.states(), run.logs(), run.errors()

    run = run_connector(DestinationMine(), "write", config={...}, catalog=..., messages=[record(...), ...])
    run = run_connector(DestinationMine(), "check", config={...})
    assert run.status() == {"status": "SUCCEEDED"}

Config, catalog and state go to JSON files as the platform passes them (:func:`command_line`); ``messages``
are the stdin lines (:func:`~airbyte_dest_kit.testing.builders.stdin_lines`: a ``str`` or ``bytes`` item is
sent as the raw line). The connector runs its real command line (:func:`airbyte_dest_kit.execute`).

A connector run as a process gives the same :class:`Run`: ``Run.from_completed(subprocess.run(...))``, or a
:class:`~airbyte_dest_kit.testing.acceptance.CommandRunner`.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from airbyte_dest_kit.runtime.connector import Connector
from airbyte_dest_kit.runtime.entrypoint import execute
from airbyte_dest_kit.testing.builders import Message, stdin_lines
from airbyte_dest_kit.testing.output import ConnectorOutput


class Run(ConnectorOutput):
    """One run of a command: its exit code (``returncode``), its stdout parsed (a line that is not JSON fails at
    once; ``stdout`` is the text), its ``stderr`` text (empty when it was not captured)."""

    def __init__(self, returncode: int, stdout: bytes, stderr: bytes | str = "") -> None:
        super().__init__(stdout.splitlines())
        self.returncode = returncode
        self.stdout = stdout.decode(errors="replace")
        self.stderr = stderr if isinstance(stderr, str) else stderr.decode(errors="replace")

    @classmethod
    def from_completed(cls, process: subprocess.CompletedProcess[bytes]) -> Run:
        """A finished ``subprocess.run(..., capture_output=True)`` (bytes, not text) as a Run."""
        return cls(process.returncode, process.stdout, process.stderr or b"")

    def assert_ok(self) -> Run:
        """The run succeeded: exit code 0 and no TRACE ERROR. Returns the run, for chaining."""
        assert self.returncode == 0, f"exit {self.returncode}\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}"
        assert not self.errors(), self.errors()
        return self

    def assert_failed(self) -> dict[str, Any]:
        """The run failed the way a failed command must: a non-zero exit and exactly one TRACE ERROR, returned
        (``failure_type``, ``message``, …) for the test to check."""
        assert self.returncode != 0, f"expected a failure, got exit 0\nstdout:\n{self.stdout}"
        errors = self.errors()
        assert len(errors) == 1, f"{len(errors)} TRACE ERROR messages, not one\nstdout:\n{self.stdout}"
        return errors[0]


def json_file(folder: Path, kind: str, value: Any) -> Path:
    """``value`` as a new JSON file in ``folder``, named after its ``kind`` (config, catalog, state)."""
    path = folder / f"{kind}_{uuid.uuid4().hex[:8]}.json"
    path.write_text(json.dumps(value))
    return path


def command_line(command: str, folder: Path, **inputs: Any) -> list[str]:
    """``command`` and a ``--<name> <file>`` pair for each of ``inputs`` (``config=``, ``catalog=``, ``state=``,
    …) that is not None: a value as a new JSON file in ``folder``, a :class:`~pathlib.Path` as it is (a file the
    test prepared, or one that is missing on purpose)."""
    argv = [command]
    for flag, value in inputs.items():
        if value is not None:
            path = value if isinstance(value, Path) else json_file(folder, flag, value)
            argv += [f"--{flag}", str(path)]
    return argv


def run_in_process(connector: Connector, argv: Sequence[str], stdin: bytes = b"") -> Run:
    """``connector`` run with the command line ``argv``, ``stdin`` as its standard input."""
    out = io.BytesIO()
    with _stdin(stdin):
        code = execute(connector, argv, stdout=out)
    return Run(code, out.getvalue())


def run_connector(
    connector: Connector,
    command: str,
    *,
    config: Mapping[str, Any] | None = None,
    catalog: Mapping[str, Any] | None = None,
    state: Any = None,
    messages: Iterable[Message] = (),
) -> Run:
    """``connector``'s ``command`` (spec, check, discover, read, write) with these inputs; see the module."""
    with tempfile.TemporaryDirectory(prefix="dest-kit-harness-") as folder:
        argv = command_line(command, Path(folder), config=config, catalog=catalog, state=state)
        return run_in_process(connector, argv, stdin_lines(messages))


@contextmanager
def _stdin(data: bytes) -> Iterator[None]:
    """``sys.stdin`` reads ``data`` for the time of one in-process command."""
    saved = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(data))
    try:
        yield
    finally:
        sys.stdin = saved
