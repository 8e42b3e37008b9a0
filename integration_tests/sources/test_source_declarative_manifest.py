"""sources/source-declarative-manifest against the local shop API on 127.0.0.1: the example manifests in
both command forms, records and states checked against what each manifest's semantics require of the
API's data, and the errors a user acts on."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from source_runner import ROOT, RunSource

from airbyte_dest_kit.sources.declarative.source import ManifestSource
from airbyte_dest_kit.testing import run_connector
from airbyte_dest_kit.testing.http_api import EPOCH, PLANS, LocalShopApi

EXAMPLES = ROOT / "sources" / "source-declarative-manifest" / "examples"
INJECTED = "__injected_declarative_manifest"


def manifest(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text())
    return loaded


def catalog(*streams: str, mode: str = "full_refresh") -> dict[str, Any]:
    return {
        "streams": [
            {
                "stream": {"name": name, "json_schema": {}, "supported_sync_modes": ["full_refresh", "incremental"]},
                "sync_mode": mode,
                "destination_sync_mode": "append",
            }
            for name in streams
        ]
    }


def at(minutes: int, seconds: int = 0) -> str:
    return (EPOCH + dt.timedelta(minutes=minutes, seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def api() -> Iterator[LocalShopApi]:
    with LocalShopApi(api_key="key-5f4e3d2c1b0a") as running:
        yield running


# -- a single request, both command forms ----------------------------------------------------------------


def test_single_request_filters_and_transforms_in_both_command_forms(
    manifest_source: RunSource, api: LocalShopApi
) -> None:
    config = {"base_url": api.base_url, "api_key": api.api_key, "region": "eu", "min_price": 10}
    from_file = manifest_source("read", config, catalog("plans"), manifest=EXAMPLES / "shop-plans.yaml")
    injected = manifest_source("read", {**config, INJECTED: manifest("shop-plans")}, catalog("plans"))
    expected = [
        {
            "id": p["id"],
            "price": p["price"],
            "active": True,
            "price_cents": p["price"] * 100,
            "source": {"region": "eu"},
        }
        for p in PLANS
        if p["active"] and p["price"] >= 10
    ]
    assert from_file.returncode == 0, from_file.errors()
    assert from_file.records("plans") == expected == injected.records("plans")
    assert from_file.statuses("plans") == ["STARTED", "RUNNING", "COMPLETE"]
    assert [s["stream"]["stream_state"] for s in from_file.states("plans")] == [{}]
    assert {r.query.get("api_key") for r in api.requests_to("/plans")} == {None}  # it went in the X-Api-Key header
    assert api.api_key not in from_file.stdout + injected.stdout


def test_spec_with_manifest_prints_its_spec_and_without_the_runners(manifest_source: RunSource) -> None:
    spec = manifest_source("spec", manifest=EXAMPLES / "shop-plans.yaml").of_type("SPEC")[0]["spec"]
    assert spec["connectionSpecification"]["properties"]["api_key"]["airbyte_secret"] is True
    assert spec["documentationUrl"] == "https://example.com/docs/shop"
    runner = manifest_source("spec").of_type("SPEC")[0]["spec"]["connectionSpecification"]
    assert runner["required"] == [INJECTED]
    missing = manifest_source("spec", manifest=EXAMPLES / "no-such.yaml")
    assert missing.returncode == 1
    assert (
        missing.errors()[0]["message"]
        == f"manifest file '{EXAMPLES / 'no-such.yaml'}' cannot be read: No such file or directory"
    )


def test_config_is_validated_against_the_manifests_spec(manifest_source: RunSource, api: LocalShopApi) -> None:
    run = manifest_source(
        "check", {INJECTED: manifest("shop-plans"), "base_url": api.base_url, "api_key": "key-1234567"}
    )
    status = run.of_type("CONNECTION_STATUS")[0]["connectionStatus"]
    assert status["status"] == "FAILED" and "key 'region'" in status["message"]
    missing = manifest_source("check", {"base_url": api.base_url})
    assert INJECTED in missing.of_type("CONNECTION_STATUS")[0]["connectionStatus"]["message"]


# -- pagination ------------------------------------------------------------------------------------------


def test_cursor_page_and_offset_pagination_read_every_record_once_despite_429s(
    manifest_source: RunSource, api: LocalShopApi
) -> None:
    api.rate_limit_every = 4
    config = {"base_url": api.base_url, "api_key": api.api_key, "page_size": 20}
    run = manifest_source(
        "read", config, catalog("customers", "orders", "events"), manifest=EXAMPLES / "shop-paginated.yaml"
    )
    assert run.returncode == 0, run.errors()
    assert run.records("customers") == [api.customer(i) for i in range(1, api.customers + 1)]
    assert run.records("orders") == [api.order(i) for i in range(1, api.orders + 1)]
    assert run.records("events") == [api.event(i) for i in range(1, api.events + 1)]
    ok = [r for r in api.served if r.status == 200]
    # customers: cursor pages of 20 (5 requests for 95); orders: pages 1..3, plus the empty page 4 that ends
    # a run of full pages; events: offsets 0..120 by 20, the last one short
    assert [r.query.get("cursor") for r in ok if r.path == "/customers"] == [None, "21", "41", "61", "81"]
    assert [r.query["page"] for r in ok if r.path == "/orders"] == ["1", "2", "3", "4"]
    assert [r.query.get("offset") for r in ok if r.path == "/events"] == [None, "20", "40", "60", "80", "100", "120"]
    assert all(r.query["limit" if r.path != "/orders" else "per_page"] == "20" for r in ok)
    rate_limited = [m for m in run.of_type("TRACE") if m["trace"].get("stream_status", {}).get("reasons")]
    assert len(rate_limited) == len([r for r in api.served if r.status == 429]) > 0


def test_a_failing_page_names_the_stream_the_url_and_the_status(manifest_source: RunSource, api: LocalShopApi) -> None:
    api.failing_pages = {("/events", 40)}
    config = {"base_url": api.base_url, "api_key": api.api_key, "page_size": 20}
    run = manifest_source("read", config, catalog("orders", "events"), manifest=EXAMPLES / "shop-paginated.yaml")
    assert run.returncode == 1
    assert run.statuses("orders")[-1] == "COMPLETE" and run.statuses("events")[-1] == "INCOMPLETE"
    assert run.records("events") == [api.event(i) for i in range(1, 41)]
    error = next(e for e in run.errors() if e.get("stream_descriptor") == {"name": "events"})
    assert error["failure_type"] == "transient_error"
    assert error["message"] == (
        f"stream 'events': GET {api.base_url}/events answered HTTP 500: still failing after 3 retries; try again later"
    )
    assert len([r for r in api.requests_to("/events") if r.query.get("offset") == "40"]) == 4
    assert api.api_key not in run.stdout


# -- incremental -----------------------------------------------------------------------------------------


def window_states(api: LocalShopApi, windows: list[tuple[str, str]], before: str | None) -> list[dict[str, str]]:
    """The state after each window: the latest ``at`` read so far, never moving back."""
    states, latest = [], before
    for start, end in windows:
        inside = [e["at"] for e in map(api.event, range(1, api.events + 1)) if start <= e["at"] <= end]
        latest = max([*inside, *([latest] if latest else [])], default=None)
        states.append({"at": latest} if latest else {})
    return states


def test_incremental_windows_states_and_a_resumed_sync(manifest_source: RunSource, api: LocalShopApi) -> None:
    config = {"base_url": api.base_url, "api_key": api.api_key, "start_date": at(30), "end_date": at(360)}
    events = catalog("events", mode="incremental")
    first = manifest_source("read", config, events, manifest=EXAMPLES / "shop-events-incremental.yaml")
    assert first.returncode == 0, first.errors()
    # one-hour windows from the start date, each ending a second before the next (cursor_granularity); the
    # last one stops at end_date
    windows = [(at(30 + 60 * h), at(90 + 60 * h, seconds=-1)) for h in range(6)]
    windows[-1] = (at(330), at(360))
    served = [(r.query["since"], r.query["until"]) for r in api.requests_to("/events")]
    assert sorted(set(served)) == windows
    assert all(r.query["api_key"] == api.api_key for r in api.requests_to("/events"))
    expected = [api.event(i) for i in range(1, api.events + 1) if api.event(i)["at"] >= at(30)]
    assert first.records("events") == expected
    states = [s["stream"]["stream_state"] for s in first.states("events")]
    assert states == window_states(api, windows, None)
    assert [s["sourceStats"]["recordCount"] for s in first.states("events")] == [30.0, 30.0, 30.0, 26.0, 0.0, 0.0]

    api.events = 150  # 20 new events, up to 05:00
    served_before = len(api.served)
    second = manifest_source(
        "read", config, events, [first.states("events")[-1]], manifest=EXAMPLES / "shop-events-incremental.yaml"
    )
    assert second.returncode == 0, second.errors()
    # the cursor is inclusive, as in Airbyte: the event at the saved cursor value (130) comes again
    assert [e["id"] for e in second.records("events")] == list(range(130, 151))
    resumed = [(r.query["since"], r.query["until"]) for r in api.served[served_before:]]
    assert sorted(set(resumed)) == [(at(260), at(320, seconds=-1)), (at(320), at(360))]
    assert second.states("events")[-1]["stream"]["stream_state"] == {"at": at(300)}


def client_side(manifest_doc: dict[str, Any]) -> dict[str, Any]:
    """The incremental example for an API that cannot filter by date: every page of every event, one window."""
    cursor = manifest_doc["streams"][0]["incremental_sync"]
    for key in ("step", "cursor_granularity", "start_time_option", "end_time_option"):
        del cursor[key]
    cursor["is_client_side_incremental"] = True
    return manifest_doc


def test_client_side_incremental_drops_the_records_before_the_saved_cursor(
    manifest_source: RunSource, api: LocalShopApi
) -> None:
    config = {
        INJECTED: client_side(manifest("shop-events-incremental")),
        "base_url": api.base_url,
        "api_key": api.api_key,
        "start_date": at(30),
        "end_date": at(360),
    }
    first = manifest_source("read", config, catalog("events", mode="incremental"))
    assert [e["id"] for e in first.records("events")] == list(range(15, 131))
    assert {r.query.get("since") for r in api.requests_to("/events")} == {None}  # the API filtered nothing
    api.events = 150
    second = manifest_source("read", config, catalog("events", mode="incremental"), [first.states("events")[-1]])
    assert [e["id"] for e in second.records("events")] == list(range(130, 151))
    assert second.states("events")[-1]["stream"]["stream_state"] == {"at": at(300)}


def test_a_full_refresh_of_an_incremental_stream_reads_from_the_start_date(
    manifest_source: RunSource, api: LocalShopApi
) -> None:
    config = {"base_url": api.base_url, "api_key": api.api_key, "start_date": at(200), "end_date": at(230)}
    run = manifest_source(
        "read",
        config,
        catalog("events"),
        [{"type": "STREAM", "stream": {"stream_descriptor": {"name": "events"}, "stream_state": {"at": at(220)}}}],
        manifest=EXAMPLES / "shop-events-incremental.yaml",
    )
    assert [e["id"] for e in run.records("events")] == list(range(100, 116))


# -- parent and child, list partitions, OAuth ------------------------------------------------------------


def test_substream_list_partitions_and_oauth_with_a_rotating_refresh_token(
    manifest_source: RunSource, tmp_path: Path
) -> None:
    with LocalShopApi(customers=12, orders=40, rate_limit_every=5) as api:
        credentials = {
            "client_id": api.client_id,
            "client_secret": api.client_secret,
            "refresh_token": api.refresh_token,
        }
        config = {"base_url": api.base_url, "kinds": ["click", "purchase", "unknown"], "credentials": credentials}
        streams = catalog("customers", "customer_orders", "events_by_kind")
        run = manifest_source("read", config, streams, manifest=EXAMPLES / "shop-customer-orders.yaml")
        assert run.returncode == 0, run.errors()
        assert run.records("customers") == [api.customer(i) for i in range(1, 13)]
        expected_orders = [
            {**api.order(i), "ordered_by": customer}
            for customer in range(1, 13)
            for i in range(1, 41)
            if api.order(i)["customer_id"] == customer
        ]
        assert run.records("customer_orders") == expected_orders
        kinds = Counter(e["kind"] for e in run.records("events_by_kind"))
        assert kinds == Counter(
            api.event(i)["kind"] for i in range(1, api.events + 1) if api.event(i)["kind"] != "view"
        )
        # one refresh for all streams; the rotated refresh token reaches the platform in a CONTROL message
        assert len(api.requests_to("/oauth/token")) == 1
        (control,) = run.of_type("CONTROL")
        stored = control["control"]["connectorConfig"]["config"]["credentials"]
        assert stored["refresh_token"] == api.refresh_token == "refresh-1" and stored["access_token"] == "access-1"
        assert stored["token_expiry_date"].endswith("Z")
        other_lines = [line for line in run.lines if b'"type":"CONTROL"' not in line]
        assert not any(
            secret in line for line in other_lines for secret in (b"access-1", b"refresh-1", api.client_secret.encode())
        )
        # discover reads the child's schema file next to the manifest
        discovered = manifest_source("discover", config, manifest=EXAMPLES / "shop-customer-orders.yaml")
        schemas = {s["name"]: s for s in discovered.of_type("CATALOG")[0]["catalog"]["streams"]}
        assert "ordered_by" in schemas["customer_orders"]["json_schema"]["properties"]
        assert schemas["customer_orders"]["source_defined_primary_key"] == [["customer_id"], ["id"]]


# -- errors a user acts on -------------------------------------------------------------------------------


def test_an_unsupported_component_fails_check_and_discover_naming_it_and_its_path(
    manifest_source: RunSource, api: LocalShopApi
) -> None:
    broken = manifest("shop-paginated")
    broken["streams"][1]["retriever"]["paginator"]["pagination_strategy"] = {
        "type": "StopConditionPaginationStrategyDecorator"
    }
    config = {INJECTED: broken, "base_url": api.base_url, "api_key": api.api_key}
    check = manifest_source("check", config).of_type("CONNECTION_STATUS")[0]["connectionStatus"]
    assert check["status"] == "FAILED"
    assert check["message"] == (
        "manifest: streams[1].retriever.paginator.pagination_strategy: component type "
        "'StopConditionPaginationStrategyDecorator' is not supported as a pagination strategy by this runtime "
        "(supported here: PageIncrement, OffsetIncrement, CursorPagination)"
    )
    discover = manifest_source("discover", config)
    assert discover.returncode == 1 and discover.errors()[0]["failure_type"] == "config_error"
    assert "streams[1].retriever.paginator.pagination_strategy" in discover.errors()[0]["message"]


def test_jinja_errors_name_the_field_and_its_place_in_the_manifest(
    manifest_source: RunSource, api: LocalShopApi
) -> None:
    config = {"base_url": api.base_url, "api_key": api.api_key, "region": "eu"}
    syntax = manifest("shop-plans")
    syntax["streams"][0]["retriever"]["requester"]["path"] = "/plans/{{ config['region' }}"
    status = manifest_source("check", {**config, INJECTED: syntax}).of_type("CONNECTION_STATUS")[0]["connectionStatus"]
    assert status["message"].startswith("manifest: streams[0].retriever.requester.path: Jinja syntax error in")

    unknown_filter = manifest("shop-plans")
    unknown_filter["streams"][0]["retriever"]["requester"]["path"] = "/plans/{{ config['region'] | upcase }}"
    check = manifest_source("check", {**config, INJECTED: unknown_filter})
    assert check.of_type("CONNECTION_STATUS")[0]["connectionStatus"]["message"] == (
        "manifest: streams[0].retriever.requester.path: Jinja error in \"/plans/{{ config['region'] | upcase }}\": "
        "No filter named 'upcase'."
    )

    # a typo in a config key fails check at the field, not with a 404 from a request made without the value
    config_typo = manifest("shop-plans")
    config_typo["streams"][0]["retriever"]["requester"]["path"] = "/plans{{ config['regoin']['suffix'] }}"
    check = manifest_source("check", {**config, INJECTED: config_typo})
    assert check.of_type("CONNECTION_STATUS")[0]["connectionStatus"]["message"] == (
        "manifest: streams[0].retriever.requester.path: \"/plans{{ config['regoin']['suffix'] }}\": "
        "config['regoin'] is not in the config, and the spec does not declare it "
        "(keys here: api_key, base_url, min_price, region): "
        "fix the name, or ask for a value that may be missing with .get() or | default()"
    )
    assert api.requests_to("/plans") == []

    # a key the spec declares and the config leaves out is an optional value: empty, so the parameter is left out
    optional = manifest("shop-plans")
    optional["spec"]["connection_specification"]["properties"]["currency"] = {"type": "string"}
    optional["streams"][0]["retriever"]["requester"]["request_parameters"] = {"currency": "{{ config['currency'] }}"}
    check = manifest_source("check", {**config, INJECTED: optional})
    assert check.of_type("CONNECTION_STATUS")[0]["connectionStatus"] == {"status": "SUCCEEDED"}
    assert [request.query for request in api.requests_to("/plans")] == [{}]

    runtime = manifest("shop-plans")
    runtime["streams"][0]["transformations"][0]["fields"][0]["value"] = "{{ record['price'] / 0 }}"
    run = manifest_source("read", {**config, INJECTED: runtime}, catalog("plans"))
    (error,) = [e for e in run.errors() if e.get("stream_descriptor")]
    assert error["message"] == (
        "manifest: streams[0].transformations[0].fields[0].value: \"{{ record['price'] / 0 }}\" failed: "
        "ZeroDivisionError: division by zero"
    )
    typo = manifest("shop-plans")
    typo["streams"][0]["retriever"]["record_selector"]["record_filter"]["condition"] = "{{ recrod['active'] }}"
    message = manifest_source("read", {**config, INJECTED: typo}, catalog("plans")).errors()[0]["message"]
    assert (
        "record_selector.record_filter.condition" in message
        and "uses recrod, which this field does not have" in message
    )


def test_a_rejected_key_names_the_url_without_the_key(manifest_source: RunSource, api: LocalShopApi) -> None:
    config = {"base_url": api.base_url, "api_key": "wrong-key-0987654321", "start_date": at(0), "end_date": at(60)}
    check = manifest_source("check", config, manifest=EXAMPLES / "shop-events-incremental.yaml")
    message = check.of_type("CONNECTION_STATUS")[0]["connectionStatus"]["message"]
    assert message == (
        f"stream 'events': GET {api.base_url}/events answered HTTP 401: "
        "check the credentials in the config and their permissions"
    )
    assert "wrong-key-0987654321" not in check.stdout


def test_fields_airbyte_defines_but_the_kit_does_not_implement_are_refused_not_ignored(
    manifest_source: RunSource, api: LocalShopApi
) -> None:
    extra = copy.deepcopy(manifest("shop-events-incremental"))
    extra["streams"][0]["incremental_sync"]["clamping"] = {"target": "DAY"}
    config = {INJECTED: extra, "base_url": api.base_url, "api_key": api.api_key, "start_date": at(0)}
    status = manifest_source("check", config).of_type("CONNECTION_STATUS")[0]["connectionStatus"]
    assert status["message"] == (
        "manifest: streams[0].incremental_sync.clamping: field 'clamping' of "
        "DatetimeBasedCursor is not supported by this runtime; remove it"
    )


# -- documented differences from airbyte-cdk (README) ----------------------------------------------------


def test_spec_defaults_fill_the_config_and_full_refresh_streams_cannot_be_read_incrementally(
    manifest_source: RunSource, api: LocalShopApi
) -> None:
    config = {"base_url": api.base_url, "api_key": api.api_key}  # no page_size: the spec's default is 20
    run = manifest_source("read", config, catalog("events"), manifest=EXAMPLES / "shop-paginated.yaml")
    assert len(run.records("events")) == api.events
    assert {r.query["limit"] for r in api.requests_to("/events")} == {"20"}
    incremental = manifest_source(
        "read", config, catalog("orders", mode="incremental"), manifest=EXAMPLES / "shop-paginated.yaml"
    )
    assert incremental.returncode == 1
    assert incremental.errors()[0]["message"] == "stream 'orders' has no cursor, so it cannot be read incrementally"


# -- a POST search with the page in the JSON body, Basic auth ----------------------------------------------


def test_post_search_pages_through_the_json_body_with_basic_auth(manifest_source: RunSource, api: LocalShopApi) -> None:
    config = {
        "base_url": api.base_url,
        "username": api.basic_username,
        "password": api.api_key,
        "kinds": ["view", "purchase"],
    }
    run = manifest_source("read", config, catalog("event_search"), manifest=EXAMPLES / "shop-event-search.yaml")
    assert run.returncode == 0, run.errors()
    expected = [
        {"id": e["id"], "at": e["at"], "meta": {"kind": e["kind"], "searched": "view,purchase"}}
        for e in map(api.event, range(1, api.events + 1))
        if e["kind"] != "click"
    ]
    assert run.records("event_search") == expected
    bodies = [json.loads(r.body) for r in api.requests_to("/events/search")]
    assert bodies == [{"kinds": ["view", "purchase"], "page": {"offset": n, "limit": 25}} for n in range(0, 100, 25)]
    assert {r.method for r in api.requests_to("/events/search")} == {"POST"}
    wrong = manifest_source(
        "check", {**config, "password": "not-the-key-42"}, manifest=EXAMPLES / "shop-event-search.yaml"
    )
    assert "answered HTTP 401" in wrong.of_type("CONNECTION_STATUS")[0]["connectionStatus"]["message"]
    assert "not-the-key-42" not in wrong.stdout


def test_per_partition_incremental_resumes_each_partition_and_starts_new_ones_from_the_global_state(
    manifest_source: RunSource, api: LocalShopApi
) -> None:
    per_kind = manifest("shop-events-incremental")
    per_kind["streams"][0]["retriever"]["partition_router"] = {
        "type": "ListPartitionRouter",
        "cursor_field": "kind",
        "values": "{{ config['kinds'] }}",
        "request_option": {"type": "RequestOption", "inject_into": "request_parameter", "field_name": "kind"},
    }
    config = {INJECTED: per_kind, "base_url": api.base_url, "api_key": api.api_key, "start_date": at(30)}
    config |= {"end_date": at(360), "kinds": ["click", "purchase"]}
    first = manifest_source("read", config, catalog("events", mode="incremental"))
    assert first.returncode == 0, first.errors()

    def events(kind: str, since: str) -> list[dict[str, Any]]:
        return [e for e in map(api.event, range(1, api.events + 1)) if e["kind"] == kind and e["at"] >= since]

    assert first.records("events") == events("click", at(30)) + events("purchase", at(30))
    final = first.states("events")[-1]["stream"]["stream_state"]
    latest = {kind: events(kind, at(30))[-1]["at"] for kind in ("click", "purchase")}
    assert final["states"] == [{"partition": {"kind": k}, "cursor": {"at": latest[k]}} for k in ("click", "purchase")]
    assert final["state"] == {"at": max(latest.values())} and final["use_global_cursor"] is False
    # until every partition is read there is no global state: an unread partition must not skip ahead
    assert all("state" not in s["stream"]["stream_state"] for s in first.states("events")[:-1])

    api.events = 150
    config["kinds"] = ["click", "purchase", "view"]  # view is new: it starts from the global state
    second = manifest_source("read", config, catalog("events", mode="incremental"), [first.states("events")[-1]])
    assert second.returncode == 0, second.errors()
    lookback = dt.timedelta(seconds=final["lookback_window"])
    view_from = (dt.datetime.fromisoformat(final["state"]["at"][:-1]) - lookback).strftime("%Y-%m-%dT%H:%M:%SZ")
    expected = events("click", latest["click"]) + events("purchase", latest["purchase"]) + events("view", view_from)
    assert second.records("events") == expected


# -- concurrency -----------------------------------------------------------------------------------------


def with_concurrency(level: Any, ceiling: int | None = None) -> dict[str, Any]:
    doc = manifest("shop-events-incremental")
    doc["concurrency_level"] = {"type": "ConcurrencyLevel", "default_concurrency": level}
    if ceiling is not None:
        doc["concurrency_level"]["max_concurrency"] = ceiling
    return doc


def test_concurrent_windows_give_the_sequential_records_and_final_state(api: LocalShopApi) -> None:
    config = {"base_url": api.base_url, "api_key": api.api_key, "start_date": at(30), "end_date": at(360)}
    events = catalog("events", mode="incremental")
    runs = {}
    for level in ("1", "{{ config.get('num_workers', 6) }}"):
        source = ManifestSource(with_concurrency(level, ceiling=4))
        runs[level] = run_connector(source, "read", config=config, catalog=events).assert_ok()
        assert source.concurrency_level(config) == (1 if level == "1" else 4)  # the ceiling applies
    sequential, concurrent = runs.values()
    key = lambda record: record["id"]  # noqa: E731
    assert sorted(concurrent.records("events"), key=key) == sequential.records("events")
    assert (
        concurrent.states("events")[-1]["stream"]["stream_state"]
        == sequential.states("events")[-1]["stream"]["stream_state"]
    )
    assert sum(s["sourceStats"]["recordCount"] for s in concurrent.states("events")) == len(sequential.records())


def test_a_concurrency_level_out_of_range_names_the_manifest_field(api: LocalShopApi) -> None:
    config = {"base_url": api.base_url, "api_key": api.api_key, "start_date": at(30)}
    run = run_connector(ManifestSource(with_concurrency(0)), "read", config=config, catalog=catalog("events"))
    assert run.returncode == 1
    message = run.errors()[0]["message"]
    assert "concurrency_level.default_concurrency: the concurrency level must be a whole number from 1 to 64" in message
