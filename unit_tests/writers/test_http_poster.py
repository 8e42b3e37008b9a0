"""BatchPoster and the shared HttpClient, against httpx.MockTransport (the real server is in integration_tests)."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import orjson
import pyarrow as pa
import pytest

from airbyte_dest_kit.errors import ConfigError, SystemFailure, TransientError
from airbyte_dest_kit.runtime.http import HttpClient, RetryPolicy
from airbyte_dest_kit.writers.http import JSON_HEADERS, BatchPoster, Envelope, RequestLimits, cut, request_bodies

TXN = Envelope(b'{"txn":[', b"]}")


def entries(count: int, size: int = 10) -> list[bytes]:
    return [orjson.dumps({"set": f"k{i}", "value": "x" * size}) for i in range(count)]


@pytest.mark.parametrize(("max_entries", "max_bytes"), [(1000, 10**9), (7, 10**9), (1000, 200), (3, 120), (1, 1)])
def test_cut_keeps_every_request_within_both_limits_and_every_entry_once(max_entries: int, max_bytes: int) -> None:
    items = entries(50) + [b'{"set":"big","value":"' + b"y" * 300 + b'"}'] + entries(5)
    limits = RequestLimits(max_entries, max_bytes)
    runs = cut([len(item) for item in items], limits, overhead=len(TXN.prefix) + len(TXN.suffix))
    pieces = [items[run.start : run.stop] for run in runs]
    assert [e for piece in pieces for e in piece] == items
    for piece in pieces:
        body = TXN.wrap(piece)
        assert orjson.loads(body)["txn"] == [orjson.loads(e) for e in piece]
        assert len(piece) <= max_entries
        assert len(body) <= max_bytes or len(piece) == 1  # only a lone entry may be larger than the limit
    # As few requests as the limits allow: no piece could have taken the next entry.
    for piece, following in zip(pieces, pieces[1:], strict=False):
        assert len(piece) == max_entries or len(TXN.wrap([*piece, following[0]])) > max_bytes


class Server:
    """Answers from a script of statuses (or exceptions); applies txn bodies to ``keys`` when it answers 200
    or when the script says ``"drop"`` (applied, then the connection is lost)."""

    def __init__(self, *script: Any) -> None:
        self.script = list(script)
        self.keys: dict[str, Any] = {}
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = orjson.loads(request.content)
        self.bodies.append(body)
        step = self.script.pop(0) if self.script else 200
        if step in (200, "drop"):
            for op in body["txn"]:
                self.keys[op["set"]] = op["value"]
        if step == "drop":
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        if isinstance(step, Exception):
            raise step
        if step == 429:
            return httpx.Response(429, headers={"Retry-After": "0.5"}, json={"error": "slow down"})
        return httpx.Response(step, json={"error": f"status {step} from the script"})


def poster_for(server: Server, *, max_retries: int = 4) -> tuple[BatchPoster, list[float]]:
    sleeps: list[float] = []
    client = HttpClient(
        "http://kv.test",
        headers=JSON_HEADERS,
        transport=httpx.MockTransport(server),
        retry=RetryPolicy(max_retries=max_retries, min_wait=0.1, max_wait=5, jitter=0.05),
        sleep=sleeps.append,
        credentials_key="secret_key",
    )
    return BatchPoster(client, RequestLimits(3, 10**6)), sleeps


def test_failures_for_a_while_are_retried_with_backoff_and_jitter_until_acknowledged() -> None:
    server = Server(503, "drop", 429, httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), 500)
    poster, sleeps = poster_for(server, max_retries=6)
    assert poster.post("/b", entries(7), TXN) == 3
    assert server.keys == {f"k{i}": "x" * 10 for i in range(7)}
    assert poster.client.requests_sent == 9  # 3 requests, 6 of their attempts failed
    assert sleeps[2] == 0.5  # Retry-After, exactly
    backoffs = [s for i, s in enumerate(sleeps) if i != 2]
    for attempt, wait in enumerate(backoffs):
        base = min(0.1 * 2 ** ([0, 1, 3, 4, 5][attempt]), 5)
        assert base <= wait <= base + 0.05
    assert len(set(backoffs)) == len(backoffs)  # jittered


def test_a_dropped_answer_resends_the_same_idempotent_request() -> None:
    server = Server("drop")
    poster, _ = poster_for(server)
    poster.post("/b", entries(2), TXN)
    assert server.bodies[0] == server.bodies[1] and len(server.keys) == 2


def test_still_failing_after_the_retries_is_transient() -> None:
    poster, sleeps = poster_for(Server(*[503] * 3), max_retries=2)
    with pytest.raises(TransientError, match=r"POST http://kv.test/b answered HTTP 503: still failing after 2 retries"):
        poster.post("/b", entries(1), TXN)
    assert len(sleeps) == 2


@pytest.mark.parametrize(
    ("status", "error", "says"),
    [
        (401, ConfigError, "check 'secret_key' in the config"),
        (403, ConfigError, "check 'secret_key' in the config"),
        (400, SystemFailure, "the server refused the request: status 400 from the script"),
        (413, SystemFailure, "status 413 from the script"),
    ],
)
def test_other_4xx_are_terminal_at_once_with_the_servers_message(status: int, error: type, says: str) -> None:
    server = Server(status)
    poster, sleeps = poster_for(server)
    with pytest.raises(error, match=says):
        poster.post("/b", entries(5), TXN)
    assert sleeps == [] and len(server.bodies) == 1  # not retried, and no later request sent


def test_concurrent_requests_all_finish_before_post_returns() -> None:
    server = Server(*[200] * 3, 503)
    client = HttpClient("http://kv.test", transport=httpx.MockTransport(server), sleep=lambda s: None)
    poster = BatchPoster(client, RequestLimits(2, 10**6), concurrency=3)
    assert poster.post("/b", entries(9), TXN) == 5
    assert len(server.keys) == 9
    poster.close()


@pytest.mark.parametrize("text_type", [pa.string(), pa.large_string(), pa.binary()])
def test_entries_in_arrow_make_the_same_bodies_as_entries_in_bytes(text_type: pa.DataType) -> None:
    items = entries(20) + [orjson.dumps({"set": 'é/"ü', "value": "日本" * 40})] + entries(9, size=50)
    arrow = pa.chunked_array([pa.array(items[:7], pa.binary()), pa.array(items[7:], pa.binary())]).cast(text_type)
    for limits in (RequestLimits(1000, 10**9), RequestLimits(4, 10**9), RequestLimits(1000, 150), RequestLimits(1, 1)):
        assert list(request_bodies(arrow, limits, TXN)) == list(request_bodies(items, limits, TXN))
        assert list(request_bodies(arrow.combine_chunks(), limits, TXN)) == list(request_bodies(items, limits, TXN))


class CountedSlices(list[bytes]):
    """Entries that count the requests' shares taken from them (each body is made from one)."""

    taken = 0

    def __getitem__(self, index: Any) -> Any:
        self.taken += isinstance(index, slice)
        return super().__getitem__(index)


def test_concurrent_requests_run_together_and_bodies_are_made_as_they_start() -> None:
    """Six requests, three at a time: each waits in the server until three are there together (a poster
    that sent one at a time would time out). When the first three arrive, at most one more body exists."""
    items = CountedSlices(entries(12))
    together = threading.Barrier(3, timeout=10)
    made_at_arrival: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        made_at_arrival.append(items.taken)
        together.wait()
        return httpx.Response(200, json={})

    client = HttpClient("http://kv.test", transport=httpx.MockTransport(answer), sleep=lambda s: None)
    poster = BatchPoster(client, RequestLimits(2, 10**6), concurrency=3)
    assert poster.post("/b", items, TXN) == 6
    assert max(made_at_arrival[:3]) <= 4  # all six bodies were made before the first request, once
    poster.close()


def test_no_request_starts_after_a_concurrent_one_failed() -> None:
    server = Server(400)
    client = HttpClient("http://kv.test", transport=httpx.MockTransport(server), sleep=lambda s: None)
    poster = BatchPoster(client, RequestLimits(1, 10**6), concurrency=2)
    with pytest.raises(SystemFailure, match="status 400 from the script"):
        poster.post("/b", entries(10), TXN)
    assert len(server.bodies) <= 2  # the failed one and at most the one started beside it
    poster.close()
