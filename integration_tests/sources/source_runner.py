"""Run a source's main.py as a subprocess, the way a user or the platform does, and read its output."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[2]


class Run:
    def __init__(self, process: subprocess.CompletedProcess[bytes]) -> None:
        self.exit_code = process.returncode
        self.output = process.stdout
        self.stderr = process.stderr
        self.lines = process.stdout.splitlines()
        self.messages = [orjson.loads(line) for line in self.lines]

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["type"] == kind]

    def records(self, stream: str) -> list[dict[str, Any]]:
        return [m["record"]["data"] for m in self.of_type("RECORD") if m["record"]["stream"] == stream]

    def states(self, stream: str) -> list[dict[str, Any]]:
        return [
            m["state"] for m in self.of_type("STATE") if m["state"]["stream"]["stream_descriptor"]["name"] == stream
        ]

    def statuses(self, stream: str) -> list[str]:
        return [
            m["trace"]["stream_status"]["status"]
            for m in self.of_type("TRACE")
            if m["trace"]["type"] == "STREAM_STATUS"
            and m["trace"]["stream_status"]["stream_descriptor"]["name"] == stream
        ]

    def errors(self) -> list[dict[str, Any]]:
        return [m["trace"]["error"] for m in self.of_type("TRACE") if m["trace"]["type"] == "ERROR"]


RunSource = Callable[..., Run]


def runner(source: str, tmp_path: Path) -> RunSource:
    def run(command: str, config: Any = None, catalog: Any = None, state: Any = None) -> Run:
        argv = [sys.executable, str(ROOT / "sources" / source / "main.py"), command]
        for flag, value in (("config", config), ("catalog", catalog), ("state", state)):
            if value is None:
                continue
            if isinstance(value, Path):
                argv += [f"--{flag}", str(value)]
            else:
                path = tmp_path / f"{flag}-{len(list(tmp_path.iterdir()))}.json"
                path.write_text(json.dumps(value))
                argv += [f"--{flag}", str(path)]
        return Run(subprocess.run(argv, capture_output=True, cwd=ROOT, timeout=60))

    return run
