from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from airbyte_dest_kit.testing.embeddings_api import EmbeddingsApi
from integration_tests.vector.harness import DIMENSIONS, ChromaTarget, DuckDBTarget, VectorTarget, chroma_server


@pytest.fixture(scope="module")
def chroma_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """One Chroma server per test module (it takes seconds to start); each test uses collections of its own."""
    with chroma_server(tmp_path_factory.mktemp("chroma")) as port:
        yield port


@pytest.fixture(params=["duckdb", "chroma"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[VectorTarget]:
    if request.param == "duckdb":
        yield DuckDBTarget(tmp_path)
        return
    chroma = ChromaTarget(tmp_path, request.getfixturevalue("chroma_port"))
    yield chroma
    chroma.cleanup()


@pytest.fixture(scope="module")
def embeddings_api() -> Iterator[EmbeddingsApi]:
    with EmbeddingsApi(dimensions=DIMENSIONS) as api:
        yield api
