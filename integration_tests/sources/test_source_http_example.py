"""sources/source-http-example against the local shop API on 127.0.0.1: pages, 429s, a failing page."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from source_runner import ROOT, RunSource

from airbyte_dest_kit.testing.http_api import LocalShopApi

CATALOG = json.loads(
    (ROOT / "sources" / "source-http-example" / "sample_files" / "configured_catalog.json").read_text()
)


@pytest.fixture
def api() -> Iterator[LocalShopApi]:
    with LocalShopApi(api_key="key-9d8e7f6a5b", rate_limit_every=4, retry_after="0.05") as running:
        yield running


def config(api: LocalShopApi, **extra: object) -> dict[str, object]:
    return {"base_url": api.base_url, "api_key": api.api_key, "page_size": 20, **extra}


def test_one_failing_page_fails_only_its_stream_and_the_run(http_example_source: RunSource, api: LocalShopApi) -> None:
    api.failing_pages = {("/orders", 2)}
    run = http_example_source("read", config(api, max_retries=2), CATALOG)
    assert run.returncode == 1
    assert run.statuses("orders")[0] == "STARTED" and run.statuses("orders")[-1] == "INCOMPLETE"
    assert run.statuses("customers")[-1] == "COMPLETE" and run.statuses("events")[-1] == "COMPLETE"
    # every record exactly once despite the 429s
    assert [c["id"] for c in run.records("customers")] == list(range(1, api.customers + 1))
    assert [e["id"] for e in run.records("events")] == list(range(1, api.events + 1))
    assert [o["id"] for o in run.records("orders")] == list(range(1, 21))  # page 1 only
    stream_error = next(e for e in run.errors() if e.get("stream_descriptor") == {"name": "orders"})
    assert stream_error["failure_type"] == "transient_error"
    assert "/orders answered HTTP 500" in stream_error["message"]
    assert len([r for r in api.requests_to("/orders") if r.query.get("page") == "2"]) == 3  # 1 + 2 retries
    assert "orders" in run.errors()[-1]["message"]
    assert api.api_key not in run.stdout


def test_rate_limits_are_waited_out_and_reported(http_example_source: RunSource, api: LocalShopApi) -> None:
    run = http_example_source("read", config(api), CATALOG)
    assert run.returncode == 0, run.errors()
    served_429 = [r for r in api.served if r.status == 429]
    assert served_429
    rate_limited = [
        m["trace"]["stream_status"]
        for m in run.of_type("TRACE")
        if m["trace"]["type"] == "STREAM_STATUS" and m["trace"]["stream_status"].get("reasons")
    ]
    assert len(rate_limited) == len(served_429)
    assert all(s["status"] == "RUNNING" and s["reasons"][0]["type"] == "RATE_LIMITED" for s in rate_limited)
    assert all(isinstance(s["reasons"][0]["rate_limited"]["quota_reset"], int) for s in rate_limited)
    assert len(run.records("orders")) == api.orders


def test_incremental_customers_resume_after_the_saved_cursor(http_example_source: RunSource, api: LocalShopApi) -> None:
    first = http_example_source("read", config(api), CATALOG)
    state = first.states("customers")[-1]
    api.customers = 103
    second = http_example_source("read", config(api), CATALOG, [state])
    assert [c["id"] for c in second.records("customers")] == [96, 97, 98, 99, 100, 101, 102, 103]
    assert len(second.records("orders")) == api.orders  # full refresh streams read everything again


def test_check_reports_a_wrong_key_without_showing_it(http_example_source: RunSource, api: LocalShopApi) -> None:
    run = http_example_source("check", {**config(api), "api_key": "wrong-key-123456"})
    status = run.of_type("CONNECTION_STATUS")[0]["connectionStatus"]
    assert status["status"] == "FAILED" and "HTTP 401" in status["message"]
    assert "wrong-key-123456" not in run.stdout
    assert (
        http_example_source("check", config(api)).of_type("CONNECTION_STATUS")[0]["connectionStatus"]["status"]
        == "SUCCEEDED"
    )
