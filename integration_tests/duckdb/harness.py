"""Black-box harness for destination-duckdb: run the real CLI as a subprocess, read the DuckDB file back.

Builders (``record``, ``stream_state``, ``catalog``, …) return plain dicts shaped like the protocol;
``Destination.write`` feeds them (or raw text lines) to ``main.py write`` and returns a :class:`Run` with the
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

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


def record(
    stream: str,
    data: Any,
    *,
    emitted_at: int = EMITTED_AT,
    namespace: str | None = None,
    meta: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"stream": stream}
    if namespace is not None:
        body["namespace"] = namespace
    body["data"] = data
    body["emitted_at"] = emitted_at
    if meta is not None:
        body["meta"] = meta
    return {"type": "RECORD", "record": body}


def stream_state(
    stream: str,
    value: Any,
    *,
    namespace: str | None = None,
    id: int | None = None,
    source_count: float | None = None,
) -> dict[str, Any]:
    descriptor: dict[str, Any] = {"name": stream}
    if namespace is not None:
        descriptor["namespace"] = namespace
    state: dict[str, Any] = {"type": "STREAM", "stream": {"stream_descriptor": descriptor, "stream_state": value}}
    if source_count is not None:
        state["sourceStats"] = {"recordCount": float(source_count)}
    if id is not None:
        state["id"] = id
    return {"type": "STATE", "state": state}


def global_state(shared: Any, streams: dict[str, Any], *, id: int | None = None) -> dict[str, Any]:
    state: dict[str, Any] = {
        "type": "GLOBAL",
        "global": {
            "shared_state": shared,
            "stream_states": [{"stream_descriptor": {"name": n}, "stream_state": v} for n, v in streams.items()],
        },
    }
    if id is not None:
        state["id"] = id
    return {"type": "STATE", "state": state}


def legacy_state(data: Any, *, id: int | None = None) -> dict[str, Any]:
    state: dict[str, Any] = {"data": data}
    if id is not None:
        state["id"] = id
    return {"type": "STATE", "state": state}


def status(stream: str, value: str, *, namespace: str | None = None) -> dict[str, Any]:
    descriptor: dict[str, Any] = {"name": stream}
    if namespace is not None:
        descriptor["namespace"] = namespace
    return {
        "type": "TRACE",
        "trace": {
            "type": "STREAM_STATUS",
            "emitted_at": float(EMITTED_AT),
            "stream_status": {"stream_descriptor": descriptor, "status": value},
        },
    }


def log(text: str) -> dict[str, Any]:
    return {"type": "LOG", "log": {"level": "INFO", "message": text}}


def echoed(state_message: dict[str, Any], count: float) -> dict[str, Any]:
    """What the destination must print for ``state_message``: it verbatim plus destinationStats.recordCount."""
    out = json.loads(json.dumps(state_message))
    out["state"]["destinationStats"] = {"recordCount": float(count)}
    return out


INT_SCHEMA = {"type": "integer"}
STR_SCHEMA = {"type": "string"}


def configured_stream(
    name: str,
    properties: dict[str, Any],
    *,
    mode: str = "append",
    namespace: str | None = None,
    primary_key: Sequence[str] | None = None,
    cursor: str | None = None,
    generation_id: int | None = 0,
    minimum_generation_id: int | None = 0,
    sync_id: int = 1,
) -> dict[str, Any]:
    stream: dict[str, Any] = {
        "name": name,
        "json_schema": {"type": "object", "properties": properties},
        "supported_sync_modes": ["full_refresh", "incremental"],
    }
    if namespace is not None:
        stream["namespace"] = namespace
    configured: dict[str, Any] = {
        "stream": stream,
        "sync_mode": "incremental" if mode == "append_dedup" else "full_refresh",
        "destination_sync_mode": mode,
        "sync_id": sync_id,
    }
    if generation_id is not None:
        configured["generation_id"] = generation_id
    if minimum_generation_id is not None:
        configured["minimum_generation_id"] = minimum_generation_id
    if primary_key:
        configured["primary_key"] = [[k] for k in primary_key]
    if cursor:
        configured["cursor_field"] = [cursor]
    return configured


def catalog(*streams: dict[str, Any]) -> dict[str, Any]:
    return {"streams": list(streams)}


# -- running the destination ----------------------------------------------------------------------------


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str

    @property
    def messages(self) -> list[dict[str, Any]]:
        out = []
        for line in self.stdout.splitlines():
            if line.strip():
                out.append(json.loads(line))  # every stdout line must be a JSON message
        return out

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["type"] == kind]

    @property
    def states(self) -> list[dict[str, Any]]:
        return self.of_type("STATE")

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [m["trace"]["error"] for m in self.of_type("TRACE") if m["trace"]["type"] == "ERROR"]

    def batches(self, stream: str) -> int:
        """How many batches the destination reports for ``stream`` in its summary LOG."""
        for message in self.of_type("LOG"):
            found = re.match(
                rf"stream {re.escape(stream)}: [\d,]+ records committed in ([\d,]+) batch", message["log"]["message"]
            )
            if found:
                return int(found.group(1).replace(",", ""))
        raise AssertionError(f"no summary LOG for stream {stream!r}")

    def assert_ok(self) -> Run:
        assert self.returncode == 0, f"exit {self.returncode}\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}"
        assert not self.errors, self.errors
        return self

    def assert_failed(self) -> dict[str, Any]:
        """The run failed the way a failed write must: non-zero exit and exactly one TRACE ERROR."""
        assert self.returncode != 0, f"expected failure, got exit 0\nstdout:\n{self.stdout}"
        assert len(self.errors) == 1, self.stdout
        return self.errors[0]


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
