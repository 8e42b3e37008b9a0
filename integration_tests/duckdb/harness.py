"""Black-box harness for destination-duckdb: run the real CLI as a subprocess, read the DuckDB file back.

Messages come from the shipped builders (``airbyte_dest_kit.testing.builders``); this module adds the suite's
catalog defaults (``configured_stream``), compact raw lines (``dumps``, ``encode``) and the runs:
``Destination.write`` feeds messages (or raw text lines) to ``main.py write`` and returns a :class:`Run` with the
parsed stdout messages; ``Destination.rows`` reads a table back as a list of dicts.
"""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import duckdb

from airbyte_dest_kit.testing import builders
from airbyte_dest_kit.testing.builders import stream_status
from airbyte_dest_kit.testing.output import ConnectorOutput

REPO = Path(__file__).resolve().parents[2]
# DUCKDB_DEST_ROOT: run the destination from another checkout of the product (e.g. a `git archive` of a
# commit) instead of this working tree; its package then shadows the installed one.
PRODUCT = Path(os.environ.get("DUCKDB_DEST_ROOT") or REPO)
MAIN = PRODUCT / "destinations" / "destination-duckdb" / "main.py"
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(PRODUCT), os.environ.get("PYTHONPATH")]))}
SCENARIOS = Path(__file__).resolve().parent / "scenarios"
META_COLUMNS = (
    "_airbyte_raw_id",
    "_airbyte_extracted_at",
    "_airbyte_meta",
    "_airbyte_generation_id",
    "_airbyte_additional_properties",
)
EMITTED_AT = 1_700_000_000_000


# -- message builders -----------------------------------------------------------------------------------


def dumps(message: Any) -> str:
    """Compact JSON, the shape the platform sends (and the one the router's fast path recognises)."""
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)


def status(stream: str, value: str, *, namespace: str | None = None) -> dict[str, Any]:
    return stream_status(stream, value, namespace=namespace, emitted_at=float(EMITTED_AT))


INT_SCHEMA = {"type": "integer"}
STR_SCHEMA = {"type": "string"}


def configured_stream(name: str, properties: dict[str, Any], **options: Any) -> dict[str, Any]:
    """The shipped builder with this suite's defaults: generation 0, minimum generation 0, sync id 1."""
    return builders.configured_stream(
        name, properties, **{"generation_id": 0, "minimum_generation_id": 0, "sync_id": 1, **options}
    )


# -- running the destination ----------------------------------------------------------------------------


class Run(ConnectorOutput):
    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        super().__init__(stdout.splitlines())
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr

    def batches(self, stream: str) -> int:
        """How many batches the destination reports for ``stream`` in its summary LOG."""
        for text in self.logs():
            found = re.match(rf"stream {re.escape(stream)}: [\d,]+ records committed in ([\d,]+) batch", text)
            if found:
                return int(found.group(1).replace(",", ""))
        raise AssertionError(f"no summary LOG for stream {stream!r}")

    def assert_ok(self) -> Run:
        assert self.returncode == 0, f"exit {self.returncode}\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}"
        assert not self.errors(), self.errors()
        return self

    def assert_failed(self) -> dict[str, Any]:
        """The run failed the way a failed write must: non-zero exit and exactly one TRACE ERROR."""
        assert self.returncode != 0, f"expected failure, got exit 0\nstdout:\n{self.stdout}"
        errors = self.errors()
        assert len(errors) == 1, self.stdout
        return errors[0]


def encode(messages: Iterable[dict[str, Any] | str]) -> bytes:
    """JSONL input: dicts are serialised compactly, strings are taken as raw lines."""
    return "".join((m if isinstance(m, str) else dumps(m)) + "\n" for m in messages).encode()


def command(kind: str, *args: str) -> list[str]:
    return [sys.executable, str(MAIN), kind, *args]


class Destination:
    """One DuckDB file in ``tmp_path`` and the CLI pointed at it."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.path = tmp_path / "dest.duckdb"
        self.config: dict[str, Any] = {"destination_path": str(self.path)}
        self._runs = 0

    def _file(self, name: str, content: Any) -> str:
        path = self.tmp_path / name
        path.write_text(json.dumps(content))
        return str(path)

    def files(self, cat: dict[str, Any], config: dict[str, Any] | None = None) -> tuple[str, str]:
        self._runs += 1
        conf = self._file(f"config{self._runs}.json", {**self.config, **(config or {})})
        return conf, self._file(f"catalog{self._runs}.json", cat)

    def write(
        self,
        cat: dict[str, Any],
        messages: Iterable[dict[str, Any] | str] | bytes,
        config: dict[str, Any] | None = None,
        timeout: float = 60,
    ) -> Run:
        conf, cat_path = self.files(cat, config)
        data = messages if isinstance(messages, bytes) else encode(messages)
        proc = subprocess.run(
            command("write", "--config", conf, "--catalog", cat_path),
            input=data,
            capture_output=True,
            timeout=timeout,
            env=ENV,
        )
        return Run(proc.returncode, proc.stdout.decode(), proc.stderr.decode())

    def write_in_pieces(
        self,
        cat: dict[str, Any],
        messages: Sequence[dict[str, Any] | str],
        piece: int,
        config: dict[str, Any] | None = None,
        pause: float = 0.03,
    ) -> Run:
        """Like :meth:`write`, but stdin arrives ``piece`` lines at a time with a pause in between, so the
        destination sees many small chunks (and, with a small ``buffering.max_rows``, writes many batches)."""
        proc = self.popen(cat, config)
        out: list[bytes] = []
        reader = threading.Thread(target=lambda: out.extend(proc.stdout or []), daemon=True)
        reader.start()
        assert proc.stdin is not None
        # The first LOG line says the destination is set up and reading: pieces sent earlier would only
        # pile up in the pipe while it starts (slowly, on a busy machine) and arrive as one chunk.
        deadline = time.monotonic() + 60
        while not out and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        for start in range(0, len(messages), piece):
            proc.stdin.write(encode(messages[start : start + piece]))
            proc.stdin.flush()
            time.sleep(pause)
        proc.stdin.close()
        code = proc.wait(60)
        reader.join(60)
        return Run(code, b"".join(out).decode(), "")

    def popen(
        self, cat: dict[str, Any], config: dict[str, Any] | None = None, stderr: int = subprocess.DEVNULL
    ) -> subprocess.Popen[bytes]:
        conf, cat_path = self.files(cat, config)
        return subprocess.Popen(
            command("write", "--config", conf, "--catalog", cat_path),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=ENV,
        )

    # -- reading back ---------------------------------------------------------------------------------

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        con = duckdb.connect(str(self.path), read_only=True)
        try:
            cursor = con.execute(sql, list(params))
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        finally:
            con.close()

    def rows(self, table: str, schema: str = "main", order_by: str | None = None) -> list[dict[str, Any]]:
        qualified = f'"{schema}"."{table}"'
        order = f" ORDER BY {order_by}" if order_by else ""
        return self.query(f"SELECT * FROM {qualified}{order}")

    def data(self, table: str, schema: str = "main", order_by: str | None = None) -> list[dict[str, Any]]:
        """Rows without the ``_airbyte_*`` columns."""
        return [{k: v for k, v in row.items() if k not in META_COLUMNS} for row in self.rows(table, schema, order_by)]

    def tables(self, schema: str | None = None) -> list[tuple[str, str]]:
        sql = "SELECT table_schema, table_name FROM information_schema.tables"
        params: list[Any] = []
        if schema is not None:
            sql += " WHERE table_schema = ?"
            params.append(schema)
        return sorted((r["table_schema"], r["table_name"]) for r in self.query(sql + " ORDER BY 1, 2", params))

    def columns(self, table: str, schema: str = "main") -> dict[str, str]:
        rows = self.query(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [schema, table],
        )
        return {r["column_name"]: r["data_type"] for r in rows}


def scenario(name: str) -> list[str]:
    """The raw input lines of ``scenarios/<name>.jsonl`` (the leading ``#`` comment lines dropped)."""
    text = (SCENARIOS / f"{name}.jsonl").read_text()
    return [line for line in text.splitlines() if not line.startswith("#")]


def expected_states(name: str) -> list[dict[str, Any]]:
    """``scenarios/<name>.expected.jsonl``: the exact STATE messages the destination must print, in order."""
    text = (SCENARIOS / f"{name}.expected.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines() if line.strip() and not line.startswith("#")]


class LiveRun:
    """A ``write`` process fed message by message, its stdout read line by line as it comes."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            self.lines.put(raw.decode())
        self.lines.put(None)

    def send(self, messages: Iterable[dict[str, Any] | str]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(encode(messages))
        self.proc.stdin.flush()

    def next_state(self, timeout: float) -> dict[str, Any] | None:
        """The next STATE printed within ``timeout`` seconds (other messages are recorded and skipped)."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                return None
            if line is None:
                self.lines.put(None)
                return None
            message = json.loads(line)
            self.seen.append(message)
            if message["type"] == "STATE":
                return message
        return None

    def finish(self, timeout: float = 60) -> tuple[int, list[dict[str, Any]]]:
        """Close stdin, wait for exit; ``(exit code, messages printed since the last next_state)``."""
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        code = self.proc.wait(timeout)
        self._reader.join(timeout)
        rest = []
        while (line := self.lines.get()) is not None:
            rest.append(json.loads(line))
        self.seen.extend(rest)
        return code, rest
