"""Fixtures running the example sources as subprocesses."""

from __future__ import annotations

from pathlib import Path

import pytest
from source_runner import RunSource, runner


@pytest.fixture
def sample_source(tmp_path: Path) -> RunSource:
    return runner("source-sample", tmp_path)


@pytest.fixture
def http_example_source(tmp_path: Path) -> RunSource:
    return runner("source-http-example", tmp_path)


@pytest.fixture
def manifest_source(tmp_path: Path) -> RunSource:
    return runner("source-declarative-manifest", tmp_path)
