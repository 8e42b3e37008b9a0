"""Run a Source through the real command line in-process and hand back its messages."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson
import pytest

from airbyte_dest_kit.sources import Source, launch


class SourceRun:
    def __init__(self, exit_code: int, output: bytes) -> None:
        self.exit_code = exit_code
        self.output = output
        self.lines = output.splitlines()
        self.messages = [orjson.loads(line) for line in self.lines]

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["type"] == kind]

    def records(self, stream: str) -> list[dict[str, Any]]:
        return [m["record"]["data"] for m in self.of_type("RECORD") if m["record"]["stream"] == stream]

    def states(self) -> list[dict[str, Any]]:
        return [m["state"] for m in self.of_type("STATE")]

    def statuses(self, stream: str) -> list[str]:
        return [
            m["trace"]["stream_status"]["status"]
            for m in self.of_type("TRACE")
            if m["trace"]["type"] == "STREAM_STATUS"
            and m["trace"]["stream_status"]["stream_descriptor"]["name"] == stream
        ]

    def errors(self) -> list[dict[str, Any]]:
        return [m["trace"]["error"] for m in self.of_type("TRACE") if m["trace"]["type"] == "ERROR"]


def configured_catalog(streams: Sequence[tuple[str, str]], namespace: str | None = None) -> dict[str, Any]:
    """``[(name, sync_mode), ...]`` as a configured catalog."""
    entries = []
    for name, sync_mode in streams:
        stream: dict[str, Any] = {
            "name": name,
            "json_schema": {"type": "object"},
            "supported_sync_modes": ["full_refresh", "incremental"],
        }
        if namespace is not None:
            stream["namespace"] = namespace
        entries.append({"stream": stream, "sync_mode": sync_mode, "destination_sync_mode": "append"})
    return {"streams": entries}


@pytest.fixture
def run_source(tmp_path: Path):  # type: ignore[no-untyped-def]
    def run(
        source: Source,
        command: str,
        config: Mapping[str, Any] | None = None,
        catalog: Mapping[str, Any] | None = None,
        state: Any = None,
    ) -> SourceRun:
        argv = [command]
        for flag, value in (("config", config), ("catalog", catalog), ("state", state)):
            if value is not None:
                path = tmp_path / f"{flag}.json"
                path.write_text(json.dumps(value))
                argv += [f"--{flag}", str(path)]
        stdout = io.BytesIO()
        exit_code = launch(source, argv, stdout=stdout)
        return SourceRun(exit_code, stdout.getvalue())

    return run
