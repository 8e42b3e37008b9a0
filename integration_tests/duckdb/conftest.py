from __future__ import annotations

from pathlib import Path

import pytest

from integration_tests.duckdb.harness import Destination


@pytest.fixture
def dest(tmp_path: Path) -> Destination:
    """A fresh DuckDB file in this test's tmp_path, and the destination CLI pointed at it."""
    return Destination(tmp_path)
