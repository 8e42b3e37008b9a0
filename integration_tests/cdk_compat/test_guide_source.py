"""The guide-style HTTP source (written for airbyte-cdk) on the kit, against the shipped LocalShopApi."""

from __future__ import annotations

from typing import Any

import yaml

from airbyte_dest_kit.testing.builders import catalog, configured_stream
from airbyte_dest_kit.testing.http_api import LocalShopApi
from airbyte_dest_kit.testing.kv_api import LocalKeyValueStore
from integration_tests.cdk_compat.conftest import GUIDE_CONNECTORS, RunConnector


def config_for(api: LocalShopApi, **overrides: Any) -> dict[str, Any]:
    return {"base_url": api.base_url, "api_key": api.api_key, "page_size": 25, **overrides}


CATALOG = catalog(
    {**configured_stream("customers", {}, mode="append", cursor="updated_at"), "sync_mode": "incremental"},
    configured_stream("customer_orders", {}, mode="overwrite"),
    configured_stream("events", {}, mode="overwrite"),
)


def test_spec_is_the_packages_spec_yaml(source: RunConnector) -> None:
    run = source("spec")
    spec_file = GUIDE_CONNECTORS / "source-shop" / "source_shop" / "spec.yaml"
    assert run.returncode == 0
    # with the protocol's defaults, as airbyte-cdk 6 and 7 print them
    expected = {**yaml.safe_load(spec_file.read_text()), "supportsNormalization": False, "supportsDBT": False}
    assert run.of_type("SPEC") == [{"type": "SPEC", "spec": expected}]


def test_check_connection_false_prints_failed(source: RunConnector, shop_api: LocalShopApi) -> None:
    good = source("check", config=config_for(shop_api))
    assert (good.returncode, good.status()) == (0, {"status": "SUCCEEDED"})
    bad = source("check", config=config_for(shop_api, api_key="nope-not-this"))
    assert bad.returncode == 0
    assert bad.status() == {"status": "FAILED", "message": "HTTPError: HTTP Error 401: Unauthorized"}


def test_discover_names_streams_after_their_classes_with_schemas_from_the_package(
    source: RunConnector, shop_api: LocalShopApi
) -> None:
    run = source("discover", config=config_for(shop_api))
    assert run.returncode == 0
    [message] = run.of_type("CATALOG")
    streams = {stream["name"]: stream for stream in message["catalog"]["streams"]}
    assert list(streams) == ["customers", "customer_orders", "events"]
    customers = streams["customers"]
    assert customers["supported_sync_modes"] == ["full_refresh", "incremental"]
    assert customers["default_cursor_field"] == ["updated_at"] and customers["source_defined_cursor"] is True
    assert customers["source_defined_primary_key"] == [["id"]]
    assert set(customers["json_schema"]["properties"]) == {"id", "name", "email", "updated_at"}
    assert streams["customer_orders"]["supported_sync_modes"] == ["full_refresh"]


def test_read_pages_through_every_stream_and_resumes_from_its_state(
    source: RunConnector, shop_api: LocalShopApi
) -> None:
    run = source("read", config=config_for(shop_api), catalog=CATALOG)
    assert run.returncode == 0, run.stdout
    assert [r["id"] for r in run.records("customers")] == list(range(1, 96))
    assert [r["id"] for r in run.records("customer_orders")] == list(range(1, 61))
    assert [r["id"] for r in run.records("events")] == list(range(1, 131))
    customer_states = [(s["stream"]["stream_state"], s["sourceStats"]["recordCount"]) for s in run.states("customers")]
    # state_checkpoint_interval = 40, then the end of the stream
    assert customer_states == [
        ({"updated_at": "2024-03-01T00:40:00Z"}, 40.0),
        ({"updated_at": "2024-03-01T01:20:00Z"}, 40.0),
        ({"updated_at": "2024-03-01T01:35:00Z"}, 15.0),
    ]
    assert run.statuses("events") == ["STARTED", "RUNNING", "COMPLETE"]

    shop_api.customers = 100
    last = run.of_type("STATE")[2]
    resumed = source("read", config=config_for(shop_api), catalog=CATALOG, state=[last["state"]])
    assert resumed.returncode == 0
    assert [r["id"] for r in resumed.records("customers")] == [96, 97, 98, 99, 100]
    assert shop_api.requests_to("/customers")[-1].query["updated_after"] == "2024-03-01T01:35:00Z"


def test_a_failed_read_exits_non_zero_after_reporting_each_stream(source: RunConnector, shop_api: LocalShopApi) -> None:
    run = source("read", config=config_for(shop_api, api_key="revoked-key"), catalog=CATALOG)
    assert run.returncode == 1
    errors = run.errors()
    assert [e["stream_descriptor"]["name"] for e in errors[:3]] == ["customers", "customer_orders", "events"]
    assert {e["failure_type"] for e in errors} == {"config_error"}
    assert "check the credentials" in errors[0]["message"]
    assert run.statuses("customers") == ["STARTED", "INCOMPLETE"]
    assert "revoked-key" not in run.stdout


def test_source_to_destination_counts_agree(
    source: RunConnector, destination: RunConnector, shop_api: LocalShopApi, kv_store: LocalKeyValueStore
) -> None:
    read = source("read", config=config_for(shop_api), catalog=CATALOG)
    config = {"base_url": kv_store.base_url, "bucket_id": kv_store.bucket, "secret_key": kv_store.secret_key}
    write = destination("write", read.stdout.encode(), config=config, catalog=CATALOG)
    assert write.returncode == 0, write.stdout
    assert len(kv_store.values("customers__")) == 95 and len(kv_store.values("events__")) == 130
    states = write.states()
    assert len(states) == len(read.states())
    assert all(s["destinationStats"]["recordCount"] == s["sourceStats"]["recordCount"] for s in states)
