"""The guide-style key-value destination (written for airbyte-cdk) on the kit, against a local store."""

from __future__ import annotations

import json
from typing import Any

import orjson

from airbyte_dest_kit.testing.builders import catalog, configured_stream, echoed, record, stream_state
from airbyte_dest_kit.testing.kv_api import LocalKeyValueStore
from integration_tests.cdk_compat.conftest import GUIDE_CONNECTORS, RunConnector


def config_for(store: LocalKeyValueStore, **overrides: str) -> dict[str, str]:
    return {"base_url": store.base_url, "bucket_id": store.bucket, "secret_key": store.secret_key, **overrides}


def lines(*messages: dict[str, Any]) -> bytes:
    return b"".join(orjson.dumps(message) + b"\n" for message in messages)


CATALOG = catalog(
    configured_stream("users", {"id": {"type": "integer"}}, mode="append"),
    configured_stream("snapshots", {"id": {"type": "integer"}}, mode="overwrite"),
)


def test_spec_is_the_packages_spec_json(destination: RunConnector) -> None:
    run = destination("spec")
    assert run.returncode == 0
    spec_file = GUIDE_CONNECTORS / "destination-keyvalue" / "destination_keyvalue" / "spec.json"
    # with the protocol's defaults, as airbyte-cdk 6 and 7 print them
    expected = {**json.loads(spec_file.read_text()), "supportsNormalization": False, "supportsDBT": False}
    assert run.of_type("SPEC") == [{"type": "SPEC", "spec": expected}]


def test_a_returned_failed_status_prints_failed_with_the_key_masked(
    destination: RunConnector, kv_store: LocalKeyValueStore
) -> None:
    good = destination("check", config=config_for(kv_store))
    assert (good.returncode, good.status()) == (0, {"status": "SUCCEEDED"})
    assert "Checking bucket guide-bucket" in good.logs()  # the logger handed to check() prints LOG messages

    bad = destination("check", config=config_for(kv_store, secret_key="wrong-key-5e1d"))
    assert bad.returncode == 0
    status = bad.status()
    assert status["status"] == "FAILED"
    # The store quotes the token in its 401 body and the connector quotes the body: the kit masks it.
    assert "answered 401" in status["message"] and "****" in status["message"]
    assert "wrong-key-5e1d" not in bad.stdout
    assert kv_store.items == {}


def test_write_stores_records_and_echoes_states_with_destination_stats(
    destination: RunConnector, kv_store: LocalKeyValueStore
) -> None:
    kv_store.items["snapshots__old"] = {"id": 0}
    first = stream_state("users", {"cursor": 2}, source_count=2, id=11)
    second = stream_state("snapshots", {"taken": "today"}, source_count=1, id=12)
    third = stream_state("users", {"cursor": 3}, source_count=1, id=13)
    stdin = lines(
        record("users", {"id": 1}),
        record("snapshots", {"id": 10}),
        record("users", {"id": 2}),
        first,
        second,
        record("users", {"id": 3}),
        third,
    )
    run = destination("write", stdin, config=config_for(kv_store), catalog=CATALOG)
    assert run.returncode == 0, run.stdout
    assert run.of_type("STATE") == [echoed(first, 2), echoed(second, 1), echoed(third, 1)]
    assert sorted(value["id"] for value in kv_store.values("users__")) == [1, 2, 3]
    assert kv_store.values("snapshots__") == [{"id": 10}]  # overwrite: the old key went first

    again = destination("write", lines(record("users", {"id": 4})), config=config_for(kv_store), catalog=CATALOG)
    assert again.returncode == 0
    assert sorted(value["id"] for value in kv_store.values("users__")) == [1, 2, 3, 4]  # append keeps
    assert kv_store.values("snapshots__") == []  # overwrite with no records leaves the stream empty


def test_a_bad_line_is_a_trace_error_after_the_states_before_it(
    destination: RunConnector, kv_store: LocalKeyValueStore
) -> None:
    before = stream_state("users", {"cursor": 1})
    after = stream_state("users", {"cursor": 2})
    stdin = lines(record("users", {"id": 1}), before, record("users", {"id": 2})) + b"{not json\n" + lines(after)
    run = destination("write", stdin, config=config_for(kv_store), catalog=CATALOG)
    assert run.returncode == 1
    assert run.of_type("STATE") == [echoed(before, 1)]
    [error] = run.errors()
    assert error["failure_type"] == "system_error"
    assert error["message"].startswith("line 4: not valid JSON")
    assert [value["id"] for value in kv_store.values("users__")] == [1]  # nothing after the last echoed state
