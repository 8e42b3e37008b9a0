from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from integration_tests.kvdb.harness import KvdbDestination
from integration_tests.kvdb.kvdb_server import KvdbServer

TOKEN = "test-token"


@pytest.fixture
def kvdb_server(tmp_path: Path) -> Iterator[KvdbServer]:
    """A fresh KvDB server process on a free port of 127.0.0.1, with its SQLite file in ``tmp_path``."""
    with KvdbServer(tmp_path / "kv.sqlite", TOKEN) as server:
        yield server


@pytest.fixture
def kvdb(tmp_path: Path, kvdb_server: KvdbServer) -> KvdbDestination:
    """destination-kvdb pointed at a bucket of a fresh server process."""
    return KvdbDestination(tmp_path, kvdb_server)
