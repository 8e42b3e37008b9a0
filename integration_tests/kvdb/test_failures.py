"""destination-kvdb when things go wrong: a failing server, a restarted server, a wrong token, kill -9."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

from airbyte_dest_kit.destination.plan import build_stream_specs
from airbyte_dest_kit.destination.writer import Capabilities
from airbyte_dest_kit.protocol.models import ConfiguredAirbyteCatalog
from airbyte_dest_kit.runtime.http import RetryPolicy
from airbyte_dest_kit.store import SwapPair
from airbyte_dest_kit.testing.builders import catalog, record, stream_state
from airbyte_dest_kit.writers.http import RequestLimits
from airbyte_dest_kit.writers.kvdb import SWAP_MARKERS, KvdbClient, KvdbWriter, set_operation
from integration_tests.duckdb.harness import INT_SCHEMA, STR_SCHEMA, configured_stream
from integration_tests.kvdb.harness import KvdbDestination
from integration_tests.kvdb.kvdb_server import KvdbServer

PROPS = {"id": INT_SCHEMA, "v": INT_SCHEMA, "payload": STR_SCHEMA}
TWO_STREAMS = catalog(
    configured_stream("events", PROPS),
    configured_stream("users", PROPS, mode="append_dedup", primary_key=["id"], cursor="v"),
)


def lines(count: int, state_every: int) -> Iterator[dict[str, Any]]:
    """``events`` records 1..count (append) and ``users`` updates of ids 1..count//2 (dedup), with a STREAM
    state for each stream every ``state_every`` records carrying the last id sent."""
    for n in range(1, count + 1):
        yield record("events", {"id": n, "v": 1, "payload": "x" * 30})
        yield record("users", {"id": (n + 1) // 2, "v": n, "payload": f"version {n}"})
        if n % state_every == 0:
            yield stream_state("events", {"last_id": n}, id=n)
            yield stream_state("users", {"last_id": n}, id=n)


def assert_complete(kvdb: KvdbDestination, count: int) -> None:
    """Every event exactly once, and each user at its last version: nothing lost, nothing doubled."""
    events = Counter(v["id"] for v in kvdb.data("events/"))
    assert sorted(events) == list(range(1, count + 1)) and set(events.values()) == {1}
    users = {k: v["v"] for k, v in kvdb.entries("users/").items()}
    assert users == {f"users/{i}": min(2 * i, count) for i in range(1, (count + 1) // 2 + 1)}


def test_a_server_failing_for_a_while_then_recovering_loses_and_doubles_nothing(kvdb: KvdbDestination) -> None:
    faults = {"failure_rate": 0.2, "throttle_rate": 0.15, "retry_after": 0.02, "drop_rate": 0.2, "seed": 7}
    kvdb.server.set_faults(**faults, fault_limit=40)
    run = kvdb.write(TWO_STREAMS, lines(2000, 200), {"request_max_entries": 60}).assert_ok()
    assert len(run.states()) == 20
    stats = kvdb.server.stats()
    assert stats["fault_fail"] > 3 and stats["fault_throttle"] > 3 and stats["fault_drop"] > 3
    assert stats["fault_fail"] + stats["fault_throttle"] + stats["fault_drop"] == 40  # then it recovered
    assert_complete(kvdb, 2000)


def test_a_server_that_never_recovers_fails_the_sync_as_transient(kvdb: KvdbDestination) -> None:
    kvdb.server.set_faults(failure_rate=1.0)
    run = kvdb.write(TWO_STREAMS, lines(10, 5), {"retries": {"max_retries": 2, "min_wait_seconds": 0.01}})
    error = run.assert_failed()
    assert error["failure_type"] == "transient_error"
    assert "HTTP 503" in error["message"] and "injected failure" in error["message"]
    assert run.states() == []


def test_a_server_restarted_mid_sync(kvdb: KvdbDestination) -> None:
    live = kvdb.live(TWO_STREAMS, {"buffering": {"max_rows": 200}, "request_max_entries": 50})
    feeder = threading.Thread(target=lambda: live.send(lines(3000, 150)), daemon=True)
    feeder.start()
    states = [live.next_state(timeout=60) for _ in range(4)]
    assert all(states), live.printed[-3:]
    kvdb.server.restart()  # kill -9 while batches are being written; the same file, the same port
    feeder.join(60)
    run = live.finish()
    assert run.returncode == 0, run.stdout
    assert len(run.states()) == 40
    assert kvdb.server.stats()["transactions"] > 0, "the restart came too late: the new server got no writes"
    assert_complete(kvdb, 3000)


def test_a_wrong_token_is_a_config_error_naming_secret_key(kvdb: KvdbDestination) -> None:
    run = kvdb.write(TWO_STREAMS, lines(10, 5), {"secret_key": "wrong"})
    error = run.assert_failed()
    assert error["failure_type"] == "config_error"
    assert "check 'secret_key' in the config" in error["message"] and "HTTP 401" in error["message"]
    assert "wrong" not in run.stdout  # the secret is masked everywhere
    check = kvdb.check(secret_key="wrong").of_type("CONNECTION_STATUS")
    assert check[0]["connectionStatus"]["status"] == "FAILED"
    assert "'secret_key'" in check[0]["connectionStatus"]["message"]


def test_check_writes_reads_and_deletes_a_probe_and_names_base_url_when_unreachable(
    kvdb: KvdbDestination, tmp_path: Any
) -> None:
    (status,) = kvdb.check().of_type("CONNECTION_STATUS")
    assert status["connectionStatus"] == {"status": "SUCCEEDED"}
    assert kvdb.entries() == {}
    assert kvdb.server.stats()["sets"] == kvdb.server.stats()["deletes"] == 1
    with KvdbServer(tmp_path / "other.sqlite") as other:
        closed = other.base_url  # a port nobody listens on once this server stops
    (status,) = kvdb.check(base_url=closed, retries={"max_retries": 1, "min_wait_seconds": 0.01}).of_type(
        "CONNECTION_STATUS"
    )
    assert status["connectionStatus"]["status"] == "FAILED"
    assert "config key 'base_url'" in status["connectionStatus"]["message"]


def test_kill_9_mid_sync_every_echoed_state_is_covered_by_keys(kvdb: KvdbDestination) -> None:
    live = kvdb.live(TWO_STREAMS, {"buffering": {"max_rows": 500}, "request_max_entries": 200})

    def pump() -> None:
        try:
            live.send(lines(40_000, 250))
        except (BrokenPipeError, OSError, ValueError):
            pass  # the destination was killed

    feeder = threading.Thread(target=pump, daemon=True)
    feeder.start()
    assert all(live.next_state(timeout=60) for _ in range(12)), live.printed[-3:]
    echoed = live.kill().of_type("STATE")  # whatever reached stdout before the kill counts too
    feeder.join(30)
    last: dict[str, int] = {}
    for message in echoed:
        stream = message["state"]["stream"]["stream_descriptor"]["name"]
        last[stream] = message["state"]["stream"]["stream_state"]["last_id"]
    events = Counter(v["id"] for v in kvdb.data("events/"))
    assert len(events) < 40_000, "the kill came too late to test anything"
    assert all(events[n] == 1 for n in range(1, last["events"] + 1)), "an echoed event is missing"
    users = {v["id"]: v["v"] for v in kvdb.data("users/")}
    # Each user id i has versions 2i-1 and 2i; a state with last_id L promises the newest of those sent.
    assert all(users.get(i, 0) >= min(2 * i, last["users"]) for i in range(1, last["users"] // 2 + 1))


def test_a_swap_interrupted_halfway_is_finished_by_the_next_sync(kvdb_server: KvdbServer) -> None:
    configured = ConfiguredAirbyteCatalog.model_validate(catalog(configured_stream("users", PROPS, mode="overwrite")))
    (spec,) = build_stream_specs(configured.streams, "", Capabilities(stores_source_json=True))
    client = KvdbClient(kvdb_server.base_url, "b", kvdb_server.token, retry=RetryPolicy(min_wait=0.01))

    def value(n: int, generation: str) -> str:
        return f'{{"id":{n},"generation":"{generation}"}}'

    # The state a crash inside swap() leaves: old keys, all staged keys, the marker, some keys copied.
    client.apply([set_operation(f"users/old{n}", value(n, "old")) for n in range(3)])
    client.apply([set_operation(f"users_airbyte_tmp/new{n}", value(n, "new")) for n in range(4)])
    client.apply([set_operation(SWAP_MARKERS + "users/", '{"pairs":[["users_airbyte_tmp/","users/"]]}')])
    client.apply([set_operation("users/new0", value(0, "new"))])
    KvdbWriter(client).open([spec])
    assert kvdb_server.entries("b") == [(f"users/new{n}", {"id": n, "generation": "new"}) for n in range(4)]
    client.close()


def test_an_interrupted_swap_of_an_overwrite_without_records_still_empties_the_stream(
    kvdb_server: KvdbServer,
) -> None:
    configured = ConfiguredAirbyteCatalog.model_validate(catalog(configured_stream("users", PROPS, mode="overwrite")))
    (spec,) = build_stream_specs(configured.streams, "", Capabilities(stores_source_json=True))
    client = KvdbClient(kvdb_server.base_url, "b", kvdb_server.token, retry=RetryPolicy(min_wait=0.01))
    # The state a crash inside swap() leaves when nothing was staged: the marker names the emptied final,
    # whose deletion had begun (old0 is gone). An empty staging prefix alone would read as "already swapped".
    client.apply([set_operation(f"users/old{n}", f'{{"id":{n}}}') for n in range(1, 3)])
    marker = '{"pairs":[["users_airbyte_tmp/","users/"]],"emptied":["users/"]}'
    client.apply([set_operation(SWAP_MARKERS + "users/", marker)])
    KvdbWriter(client).open([spec])
    assert kvdb_server.entries("b") == []
    client.close()


def test_a_key_both_generations_hold_stays_readable_through_a_swap(kvdb_server: KvdbServer) -> None:
    """Why kvdb keeps its own swap (see writers/kvdb.py): a truncate refresh of a dedup stream swaps keys
    that are primary keys, in the final prefix before and after. Copied before anything is deleted, each
    such key reads its old value or its new one after every request, never nothing."""
    dedup = configured_stream("users", PROPS, mode="append_dedup", primary_key=["id"], generation_id=2)
    configured = ConfiguredAirbyteCatalog.model_validate(catalog({**dedup, "minimum_generation_id": 2}))
    (spec,) = build_stream_specs(configured.streams, "", Capabilities(stores_source_json=True))
    assert spec.truncate
    client = KvdbClient(kvdb_server.base_url, "b", kvdb_server.token, limits=RequestLimits(max_entries=1))
    client.apply([set_operation(f"users/{n}", f'{{"id":{n},"v":"old"}}') for n in (1, 2, 3)])
    client.apply([set_operation(f"users_airbyte_tmp/{n}", f'{{"id":{n},"v":"new"}}') for n in (2, 3, 4)])
    after_each_request: list[dict[str, str]] = []
    apply = client.apply

    def observed(operations: Sequence[bytes]) -> int:
        sent = apply(operations)
        after_each_request.append({k: v["v"] for k, v in kvdb_server.entries("b", "users/")})
        return sent

    client.apply = observed  # type: ignore[method-assign]
    KvdbWriter(client).swap(spec, [SwapPair(spec.staging_table_name, spec.table_name, spec.previous_table_name)])
    assert len(after_each_request) >= 4  # the marker, copies one key a request, deletes, the marker again
    for seen in after_each_request:
        assert {"users/2", "users/3"} <= set(seen), seen
    assert after_each_request[-1] == {"users/2": "new", "users/3": "new", "users/4": "new"}
    assert kvdb_server.keys("b") == ["users/2", "users/3", "users/4"]  # staging and marker gone
    client.close()
