"""HttpClient retries and errors, and HttpStream paging, against httpx.MockTransport (no sockets)."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from typing import Any, ClassVar

import httpx
import pytest

from airbyte_dest_kit.errors import ConfigError, SystemFailure, TransientError
from airbyte_dest_kit.sources import SourceEvents
from airbyte_dest_kit.sources.http import HttpClient, HttpStream, RetryPolicy, retry_after_seconds
from airbyte_dest_kit.sources.pagination import PageNumberPagination


class Scripted:
    """A transport answering from a list of (status, headers, body) or exceptions, recording requests."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        status, headers, body = answer
        return httpx.Response(status, headers=headers, json=body)


def client_for(
    script: Scripted, events: SourceEvents | None = None, max_retries: int = 3
) -> tuple[HttpClient, list[float]]:
    sleeps: list[float] = []
    client = HttpClient(
        "https://api.example.test",
        events=events,
        retry=RetryPolicy(max_retries=max_retries, min_wait=0.5, max_wait=30),
        transport=httpx.MockTransport(script),
        sleep=sleeps.append,
    )
    return client, sleeps


def bound_events(stream: str = "users") -> tuple[SourceEvents, list[dict[str, Any]]]:
    events, sent = SourceEvents(), []
    events.bind(sent.append, lambda secret: None)
    events.current_stream = (stream, None)
    return events, sent


def test_429_waits_for_retry_after_and_reports_rate_limited() -> None:
    events, sent = bound_events()
    script = Scripted((429, {"Retry-After": "7"}, {}), (200, {}, {"ok": True}))
    client, sleeps = client_for(script, events)
    before = time.time()
    assert client.request("GET", "/users").json() == {"ok": True}
    assert sleeps == [7.0]
    (status,) = sent
    payload = status["trace"]["stream_status"]
    assert payload["status"] == "RUNNING" and payload["stream_descriptor"] == {"name": "users"}
    (reason,) = payload["reasons"]
    assert reason["type"] == "RATE_LIMITED"
    quota_reset = reason["rate_limited"]["quota_reset"]
    assert isinstance(quota_reset, int)
    assert int(before * 1000) + 7000 - 1 <= quota_reset <= time.time() * 1000 + 7000  # int ms, truncated


def test_retry_after_as_an_http_date_and_capped_at_max_wait() -> None:
    in_ten = email.utils.formatdate(time.time() + 10, usegmt=True)
    script = Scripted((503, {"Retry-After": in_ten}, {}), (429, {"Retry-After": "3600"}, {}), (200, {}, {}))
    client, sleeps = client_for(script)
    client.request("GET", "/x")
    assert 8 <= sleeps[0] <= 10.5
    assert sleeps[1] == 30  # max_wait


def test_5xx_without_retry_after_backs_off_exponentially_then_gives_up_as_transient() -> None:
    events, sent = bound_events()
    script = Scripted(*[(500, {}, {"error": "db down"})] * 4)
    client, sleeps = client_for(script, events)
    with pytest.raises(
        TransientError, match=r"GET https://api.example.test/x answered HTTP 500: still failing after 3 retries"
    ) as caught:
        client.request("GET", "/x", params={"token": "secret-in-query"})
    assert sleeps == [0.5, 1.0, 2.0]
    assert len(script.requests) == 4
    assert sent == []  # 5xx is not rate limiting
    assert "secret-in-query" not in caught.value.message  # the query is left out of the message
    assert "db down" in (caught.value.internal_message or "")


def test_transport_errors_are_retried_then_transient() -> None:
    script = Scripted(httpx.ConnectError("refused"), (200, {}, {"ok": 1}))
    client, sleeps = client_for(script)
    assert client.request("GET", "/x").json() == {"ok": 1}
    script = Scripted(*[httpx.ReadTimeout("slow")] * 2)
    client, sleeps = client_for(script, max_retries=1)
    with pytest.raises(TransientError, match="failed after 1 retries: ReadTimeout"):
        client.request("GET", "/x")


@pytest.mark.parametrize(
    ("status", "error"), [(401, ConfigError), (403, ConfigError), (404, SystemFailure), (400, SystemFailure)]
)
def test_client_errors_are_not_retried(status: int, error: type[Exception]) -> None:
    script = Scripted((status, {}, {"error": "no"}))
    client, sleeps = client_for(script)
    with pytest.raises(error, match=f"HTTP {status}"):
        client.request("GET", "/x")
    assert sleeps == [] and len(script.requests) == 1


@pytest.mark.parametrize(
    ("value", "expected"), [(None, None), ("", None), ("3", 3.0), ("0.25", 0.25), ("-4", 0.0), ("soon", None)]
)
def test_retry_after_parsing(value: str | None, expected: float | None) -> None:
    assert retry_after_seconds(value, time.time()) == expected


class Items(HttpStream):
    name = "items"
    path = "/items"
    records_path: ClassVar[tuple[str, ...]] = ("data", "items")

    def __init__(self, client: HttpClient) -> None:
        super().__init__(client)
        self.paginator = PageNumberPagination(2)

    def json_schema(self) -> dict[str, Any]:
        return {"type": "object"}

    def request_params(self, stream_slice: Any) -> dict[str, Any]:
        return {"sort": "id"}


def pages(*sizes: int) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        first = sum(sizes[: page - 1])
        return httpx.Response(200, json={"data": {"items": [{"id": first + k} for k in range(sizes[page - 1])]}})

    return answer


def test_http_stream_reads_every_page_with_its_params() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url.params))
        return pages(2, 2, 1)(request)

    client = HttpClient("https://api.example.test", transport=httpx.MockTransport(handler))
    assert [r["id"] for r in Items(client).read(None)] == [0, 1, 2, 3, 4]
    assert seen == ["sort=id&page=1&per_page=2", "sort=id&page=2&per_page=2", "sort=id&page=3&per_page=2"]


def test_http_stream_complains_when_records_are_not_where_it_looks() -> None:
    client = HttpClient(
        "https://api.example.test", transport=httpx.MockTransport(lambda r: httpx.Response(200, json={"data": {}}))
    )
    with pytest.raises(SystemFailure, match="expected a list of records at data.items"):
        list(Items(client).read(None))
