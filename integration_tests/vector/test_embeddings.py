"""OpenAI-compatible embeddings against the local embeddings server: batches by the provider's limits,
429 with Retry-After then success (and a RATE_LIMITED status), 500s until the retries run out (a clear
error, no state echoed for chunks not stored), a wrong key."""

from __future__ import annotations

import pytest

from airbyte_dest_kit.testing.builders import catalog, record, stream_state, stream_status
from airbyte_dest_kit.testing.embeddings_api import EmbeddingsApi
from airbyte_dest_kit.writers.vector.embeddings import FakeEmbedder
from airbyte_dest_kit.writers.vector.openai import MAX_INPUTS, MAX_REQUEST_CHARS, OpenAIEmbedder
from integration_tests.vector.harness import DIMENSIONS, DuckDBTarget, VectorTarget, doc, per_record, stream


@pytest.fixture
def api(embeddings_api: EmbeddingsApi, target: VectorTarget) -> EmbeddingsApi:
    embeddings_api.fail_next(200, times=0)  # no failure left from another test
    embeddings_api.batches.clear()
    embeddings_api.statuses.clear()
    target.embedding = {
        "mode": "openai_compatible",
        "base_url": embeddings_api.base_url + "/v1",
        "dimensions": DIMENSIONS,
    }
    return embeddings_api


def test_texts_go_in_requests_within_the_provider_limits(embeddings_api: EmbeddingsApi) -> None:
    embeddings_api.batches.clear()
    embedder = OpenAIEmbedder(embeddings_api.base_url + "/v1", "m", DIMENSIONS, "", key_name="embedding.api_key")
    try:
        vectors = embedder.embed([f"text {i}" for i in range(MAX_INPUTS + 100)])
        assert embeddings_api.batches == [MAX_INPUTS, 100] and len(vectors) == MAX_INPUTS + 100
        assert (vectors[5] == FakeEmbedder(DIMENSIONS).embed(["text 5"])[0]).all()  # in the order sent
        embeddings_api.batches.clear()
        embedder.embed(["x" * (MAX_REQUEST_CHARS // 2)] * 3)  # characters, not count, limit these
        assert embeddings_api.batches == [2, 1]
    finally:
        embedder.close()


def test_429_with_retry_after_waits_reports_rate_limited_and_succeeds(target: VectorTarget, api: EmbeddingsApi) -> None:
    api.fail_next(429, times=2, retry_after=0.05)
    run = target.write(catalog(stream("append_dedup")), [record("docs", doc(1, 2)), stream_state("docs", {"n": 1})])
    run.assert_ok()
    assert api.statuses == [429, 429, 200] and per_record(target) == {1: 3}
    statuses = [t["trace"]["stream_status"] for t in run.of_type("TRACE") if t["trace"]["type"] == "STREAM_STATUS"]
    assert [s["reasons"][0]["type"] for s in statuses] == ["RATE_LIMITED", "RATE_LIMITED"]
    assert statuses[0]["stream_descriptor"] == {"name": "docs"} and statuses[0]["status"] == "RUNNING"


def test_500s_past_the_retries_fail_clearly_and_echo_no_state_for_chunks_not_stored(
    target: VectorTarget, api: EmbeddingsApi
) -> None:
    first = [record("docs", doc(1, 1)), stream_state("docs", {"n": 1}), stream_status("docs", "COMPLETE")]
    target.write(catalog(stream("append_dedup")), first).assert_ok()
    api.fail_next(500, times=20, retry_after=0)
    messages = [record("docs", doc(i, 1, updated=2)) for i in (1, 2, 3)] + [stream_state("docs", {"n": 3})]
    run = target.write(catalog(stream("append_dedup")), messages)
    error = run.assert_failed()
    assert error["failure_type"] == "transient_error"
    assert (
        "/v1/embeddings answered HTTP 500" in error["message"] and "still failing after 6 retries" in error["message"]
    )
    assert run.states() == [] and api.statuses.count(500) == 7
    chunks = target.chunks("docs")
    assert per_record(target) == {1: 2} and {c["metadata"]["_ab_cursor"] for c in chunks} == {1}  # the old version


def test_a_refused_api_key_is_a_config_error_naming_its_key(target: VectorTarget, api: EmbeddingsApi) -> None:
    if not isinstance(target, DuckDBTarget):
        pytest.skip("the embedder's errors are the same whatever the store: DuckDB's run shows it")
    api.api_key = "right"
    try:
        target.embedding = {**target.embedding, "api_key": "wrong-key-123"}
        run = target.write(catalog(stream("append")), [record("docs", doc(1, 1))])
    finally:
        api.api_key = ""
    error = run.assert_failed()
    assert error["failure_type"] == "config_error" and "'embedding.api_key'" in error["message"]
    assert "wrong-key-123" not in run.stdout
