"""Guide-style connectors written for airbyte-cdk, ported by changing their imports only, run as processes."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from airbyte_dest_kit.testing import CommandRunner, Run
from airbyte_dest_kit.testing.harness import command_line
from airbyte_dest_kit.testing.http_api import LocalShopApi
from airbyte_dest_kit.testing.kv_api import LocalKeyValueStore
from integration_tests.cdk_compat.port import port_to_kit

GUIDE_CONNECTORS = Path(__file__).resolve().parent / "guide_connectors"
REPO = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}

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
    """``run(command, stdin=b"", config=..., catalog=...)``: the connector's ``main.py`` in ``folder``."""
    cli = CommandRunner([sys.executable, "main.py"], cwd=folder, env=ENV, timeout=60)

    def run(command: str, stdin: bytes = b"", **files: Any) -> Run:
        return cli(command_line(command, tmp_path, **files), stdin, tmp_path)

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
