"""The ``run_source`` fixture: a Source through the real command line, in-process."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from source_fakes import SourceRun

from airbyte_dest_kit.sources import Source, execute


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
        exit_code = execute(source, argv, stdout=stdout)
        return SourceRun(exit_code, stdout.getvalue())

    return run
