"""Guide-style connectors written for airbyte-cdk, ported by changing their imports only, run as processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from airbyte_dest_kit.testing.http_api import LocalShopApi
from airbyte_dest_kit.testing.kv_api import LocalKeyValueStore
from airbyte_dest_kit.testing.output import ConnectorOutput
from integration_tests.cdk_compat.port import port_to_kit

GUIDE_CONNECTORS = Path(__file__).resolve().parent / "guide_connectors"
REPO = Path(__file__).resolve().parents[2]


class Run(ConnectorOutput):
    def __init__(self, process: subprocess.CompletedProcess[bytes]) -> None:
        super().__init__(process.stdout.splitlines())
        self.exit_code = process.returncode
        self.stdout = process.stdout.decode()
        self.stderr = process.stderr.decode()

    def status(self) -> dict[str, Any]:
        [message] = self.of_type("CONNECTION_STATUS")
        return dict(message["connectionStatus"])


RunConnector = Callable[..., Run]


@pytest.fixture(scope="session")
def ported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each guide connector, ported to the kit (imports only)."""
    root = tmp_path_factory.mktemp("ported")
    folders = {}
    for connector in ("destination-keyvalue", "source-shop"):
        port_to_kit(GUIDE_CONNECTORS / connector, root / connector)
        folders[connector] = root / connector
    return folders


def runner(folder: Path, tmp_path: Path) -> RunConnector:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}

    def run(command: str, stdin: bytes = b"", **files: Any) -> Run:
        argv = [sys.executable, "main.py", command]
        for flag, value in files.items():
            path = tmp_path / f"{flag}-{len(list(tmp_path.iterdir()))}.json"
            path.write_text(json.dumps(value))
            argv += [f"--{flag}", str(path)]
        return Run(subprocess.run(argv, input=stdin, capture_output=True, cwd=folder, env=env, timeout=60))

    return run


@pytest.fixture
def kv_store() -> Iterator[LocalKeyValueStore]:
    with LocalKeyValueStore() as store:
        yield store


@pytest.fixture
def shop_api() -> Iterator[LocalShopApi]:
    with LocalShopApi() as api:
        yield api


@pytest.fixture
def destination(ported: dict[str, Path], tmp_path: Path) -> RunConnector:
    return runner(ported["destination-keyvalue"], tmp_path)


@pytest.fixture
def source(ported: dict[str, Path], tmp_path: Path) -> RunConnector:
    return runner(ported["source-shop"], tmp_path)
