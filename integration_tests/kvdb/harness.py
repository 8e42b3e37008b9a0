"""destination-kvdb as a subprocess against a real server process, and the bucket read back."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from integration_tests.duckdb.harness import ENV, LiveRun, Run, encode
from integration_tests.kvdb.kvdb_server import KvdbServer

MAIN = Path(__file__).resolve().parents[2] / "destinations" / "destination-kvdb" / "main.py"
# Quick retries: the fault tests make the server fail dozens of times.
FAST_RETRIES = {"max_retries": 12, "min_wait_seconds": 0.01, "max_wait_seconds": 0.3}


class KvdbDestination:
    """The CLI pointed at ``server``'s bucket ``bucket``; config files in ``tmp_path``."""

    def __init__(self, tmp_path: Path, server: KvdbServer, bucket: str = "test") -> None:
        self.tmp_path, self.server, self.bucket = tmp_path, server, bucket
        self._runs = 0

    def config(self, **overrides: Any) -> dict[str, Any]:
        return {
            "base_url": self.server.base_url,
            "bucket_id": self.bucket,
            "secret_key": self.server.token,
            "retries": FAST_RETRIES,
            **overrides,
        }

    def _files(self, cat: dict[str, Any], config: dict[str, Any] | None) -> list[str]:
        self._runs += 1
        paths = []
        for name, content in (("config", self.config(**(config or {}))), ("catalog", cat)):
            path = self.tmp_path / f"{name}{self._runs}.json"
            path.write_text(json.dumps(content))
            paths.append(str(path))
        return ["--config", paths[0], "--catalog", paths[1]]

    def write(
        self, cat: dict[str, Any], messages: Iterable[dict[str, Any] | str], config: dict[str, Any] | None = None
    ) -> Run:
        proc = subprocess.run(
            [sys.executable, str(MAIN), "write", *self._files(cat, config)],
            input=encode(messages),
            capture_output=True,
            timeout=120,
            env=ENV,
        )
        return Run(proc.returncode, proc.stdout.decode(), proc.stderr.decode())

    def live(self, cat: dict[str, Any], config: dict[str, Any] | None = None) -> LiveRun:
        command = [sys.executable, str(MAIN), "write", *self._files(cat, config)]
        return LiveRun(
            subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=ENV)
        )

    def write_in_pieces(
        self, cat: dict[str, Any], pieces: Iterable[list[dict[str, Any]]], config: dict[str, Any] | None = None
    ) -> Run:
        """Each piece (ending in a STATE) is sent once the previous one's state came back: one batch each."""
        live = self.live(cat, {"buffering": {"max_rows": 1}, **(config or {})})
        for piece in pieces:
            live.send(piece)
            assert live.next_state(timeout=30) is not None, live.seen
        code, _ = live.finish()
        return Run(code, "".join(json.dumps(m) + "\n" for m in live.seen), "").assert_ok()

    def check(self, **config: Any) -> Run:
        path = self.tmp_path / "check.json"
        path.write_text(json.dumps(self.config(**config)))
        proc = subprocess.run(
            [sys.executable, str(MAIN), "check", "--config", str(path)], capture_output=True, timeout=60, env=ENV
        )
        return Run(proc.returncode, proc.stdout.decode(), proc.stderr.decode())

    # -- the bucket -----------------------------------------------------------------------------------

    def entries(self, prefix: str = "") -> dict[str, Any]:
        return dict(self.server.entries(self.bucket, prefix))

    def data(self, prefix: str) -> list[dict[str, Any]]:
        """The values under ``prefix`` without the ``_airbyte_*`` fields, in key order."""
        return [
            {k: v for k, v in value.items() if not k.startswith("_airbyte_")} for value in self.entries(prefix).values()
        ]
