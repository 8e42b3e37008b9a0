"""Black-box harness for destination-duckdb: run the real CLI as a subprocess, read the DuckDB file back.

Messages come from the shipped builders (``airbyte_dest_kit.testing.builders``) and runs are the shipped
testing kit's: ``Destination.write`` feeds messages (or raw lines) to ``main.py write`` and returns a
:class:`~airbyte_dest_kit.testing.Run`, ``Destination.start_write`` a :class:`~airbyte_dest_kit.testing.LiveWrite`;
``Destination.rows`` reads a table back as a list of dicts.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import duckdb

from airbyte_dest_kit.testing import CommandRunner, LiveWrite, Run, builders
from airbyte_dest_kit.testing.builders import Message, stdin_lines, stream_status
from airbyte_dest_kit.testing.harness import command_line

REPO = Path(__file__).resolve().parents[2]
# DUCKDB_DEST_ROOT: run the destination from another checkout of the product (e.g. a `git archive` of a
# commit) instead of this working tree; its package then shadows the installed one.
PRODUCT = Path(os.environ.get("DUCKDB_DEST_ROOT") or REPO)
MAIN = PRODUCT / "destinations" / "destination-duckdb" / "main.py"
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(PRODUCT), os.environ.get("PYTHONPATH")]))}
CLI = CommandRunner([sys.executable, str(MAIN)], env=ENV, timeout=60)
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


def status(stream: str, value: str, *, namespace: str | None = None) -> dict[str, Any]:
    return stream_status(stream, value, namespace=namespace, emitted_at=float(EMITTED_AT))


INT_SCHEMA = {"type": "integer"}
STR_SCHEMA = {"type": "string"}

# The shipped builder with the ids a platform sends for a first sync (generation 0, minimum generation 0,
# sync 1): the suite's catalogs have the platform's shape. A test overrides any of them by keyword.
configured_stream = partial(builders.configured_stream, generation_id=0, minimum_generation_id=0, sync_id=1)


# -- running the destination ----------------------------------------------------------------------------


class Destination:
    """One DuckDB file in ``tmp_path`` and the CLI pointed at it."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.path = tmp_path / "dest.duckdb"
        self.config: dict[str, Any] = {"destination_path": str(self.path)}

    def with_config(self, overrides: dict[str, Any] | None) -> dict[str, Any]:
        """This destination's config with ``overrides`` on top."""
        return {**self.config, **(overrides or {})}

    def write(
        self, cat: dict[str, Any], messages: Iterable[Message] | bytes, config: dict[str, Any] | None = None
    ) -> Run:
        """A ``write`` of ``messages`` (or of stdin bytes as they are, for input without a last newline)."""
        argv = command_line("write", self.tmp_path, config=self.with_config(config), catalog=cat)
        return CLI(argv, messages if isinstance(messages, bytes) else stdin_lines(messages), self.tmp_path)

    def check(self, config: dict[str, Any] | None = None) -> Run:
        return CLI.check(self.with_config(config), self.tmp_path)

    def start_write(self, cat: dict[str, Any], config: dict[str, Any] | None = None) -> LiveWrite:
        return CLI.start_write(self.with_config(config), cat, self.tmp_path)

    def write_in_pieces(
        self,
        cat: dict[str, Any],
        messages: Sequence[Message],
        piece: int,
        config: dict[str, Any] | None = None,
        pause: float = 0.03,
    ) -> Run:
        """Like :meth:`write`, but stdin arrives ``piece`` lines at a time with a pause in between, so the
        destination sees many small chunks (and, with a small ``buffering.max_rows``, writes many batches)."""
        live = self.start_write(cat, config)
        # The first LOG line says the destination is set up and reading: pieces sent earlier would only
        # pile up in the pipe while it starts (slowly, on a busy machine) and arrive as one chunk.
        live.wait_for("LOG", 1, timeout=60)
        for start in range(0, len(messages), piece):
            live.send(messages[start : start + piece])
            time.sleep(pause)
        return live.finish()

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
