"""destination-kvdb as a subprocess against a real server process, and the bucket read back."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from airbyte_dest_kit.testing import CommandRunner, LiveWrite, Run
from airbyte_dest_kit.testing.builders import Message
from integration_tests.duckdb.harness import ENV
from integration_tests.kvdb.kvdb_server import KvdbServer

MAIN = Path(__file__).resolve().parents[2] / "destinations" / "destination-kvdb" / "main.py"
CLI = CommandRunner([sys.executable, str(MAIN)], env=ENV)
# Quick retries: the fault tests make the server fail dozens of times.
FAST_RETRIES = {"max_retries": 12, "min_wait_seconds": 0.01, "max_wait_seconds": 0.3}


class KvdbDestination:
    """The CLI pointed at ``server``'s bucket ``bucket``; config files in ``tmp_path``."""

    def __init__(self, tmp_path: Path, server: KvdbServer, bucket: str = "test") -> None:
        self.tmp_path, self.server, self.bucket = tmp_path, server, bucket

    def config(self, **overrides: Any) -> dict[str, Any]:
        return {
            "base_url": self.server.base_url,
            "bucket_id": self.bucket,
            "secret_key": self.server.token,
            "retries": FAST_RETRIES,
            **overrides,
        }

    def write(self, cat: dict[str, Any], messages: Iterable[Message], config: dict[str, Any] | None = None) -> Run:
        return CLI.write(self.config(**(config or {})), cat, messages, self.tmp_path)

    def live(self, cat: dict[str, Any], config: dict[str, Any] | None = None) -> LiveWrite:
        return CLI.start_write(self.config(**(config or {})), cat, self.tmp_path)

    def write_in_pieces(
        self, cat: dict[str, Any], pieces: Iterable[list[dict[str, Any]]], config: dict[str, Any] | None = None
    ) -> Run:
        """Each piece (ending in a STATE) is sent once the previous one's state came back: one batch each."""
        live = self.live(cat, {"buffering": {"max_rows": 1}, **(config or {})})
        for piece in pieces:
            live.send(piece)
            assert live.next_state(timeout=30) is not None, live.printed
        return live.finish().assert_ok()

    def check(self, **config: Any) -> Run:
        return CLI.check(self.config(**config), self.tmp_path)

    # -- the bucket -----------------------------------------------------------------------------------

    def entries(self, prefix: str = "") -> dict[str, Any]:
        return dict(self.server.entries(self.bucket, prefix))

    def data(self, prefix: str) -> list[dict[str, Any]]:
        """The values under ``prefix`` without the ``_airbyte_*`` fields, in key order."""
        return [
            {k: v for k, v in value.items() if not k.startswith("_airbyte_")} for value in self.entries(prefix).values()
        ]
