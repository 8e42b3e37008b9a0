"""Run a connector in-process from Python values and get its parsed output, for connector tests::

    run = run_connector(SourceShop(), "read", config={...}, catalog=catalog(...), state=[...])
    assert run.returncode == 0
    run.records("customers"), run.states(), run.logs(), run.errors()

    run = run_connector(DestinationMine(), "write", config={...}, catalog=..., messages=[record(...), ...])

Config, catalog and state go to JSON files as the platform passes them; ``messages`` are the stdin lines (a
``str`` is sent as the raw line). The connector runs its real command line (:func:`airbyte_dest_kit.execute`).
"""

from __future__ import annotations

import io
import json
import sys
import tempfile
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from airbyte_dest_kit.runtime.connector import Connector
from airbyte_dest_kit.runtime.entrypoint import execute
from airbyte_dest_kit.testing.output import ConnectorOutput

Message = Mapping[str, Any] | str  # a str is sent as the raw line (for malformed-input tests)


class Run(ConnectorOutput):
    """One run of a command: its exit code, stdout parsed (a line that is not JSON fails at once), stderr."""

    def __init__(self, returncode: int, stdout: bytes, stderr: str = "") -> None:
        super().__init__(stdout.splitlines())
        self.returncode, self.stdout, self.stderr = returncode, stdout.decode(errors="replace"), stderr


def stdin_lines(messages: Sequence[Message]) -> bytes:
    return "".join((m if isinstance(m, str) else json.dumps(m)) + "\n" for m in messages).encode()


def json_file(folder: Path, kind: str, value: Any) -> Path:
    """``value`` as a new JSON file in ``folder``, named after its ``kind`` (config, catalog, state)."""
    path = folder / f"{kind}_{uuid.uuid4().hex[:8]}.json"
    path.write_text(json.dumps(value))
    return path


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
    messages: Sequence[Message] = (),
) -> Run:
    """``connector``'s ``command`` (spec, check, discover, read, write) with these inputs; see the module."""
    with tempfile.TemporaryDirectory(prefix="dest-kit-harness-") as folder:
        argv = [command]
        for flag, value in (("config", config), ("catalog", catalog), ("state", state)):
            if value is not None:
                argv += [f"--{flag}", str(json_file(Path(folder), flag, value))]
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
