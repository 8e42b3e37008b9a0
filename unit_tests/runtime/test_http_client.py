"""The shared HttpClient with error policies: what the policy decides, what the client adds (credentials key,
the server's message, accepted statuses), and the source client's rate-limit reports following the policy."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest

from airbyte_dest_kit.errors import ConfigError, SystemFailure, TransientError
from airbyte_dest_kit.runtime.http import ErrorPolicy, HttpClient, ResponseAction, RetryPolicy, Verdict
from airbyte_dest_kit.sources.events import SourceEvents
from airbyte_dest_kit.sources.http import HttpClient as SourceHttpClient


class Scripted:
    def __init__(self, *answers: tuple[int, dict[str, Any]]) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        status, body = self.answers.pop(0)
        return httpx.Response(status, json=body)


class QuotaPolicy(ErrorPolicy):
    """An API that says 503 when a quota is used up, and 400 with a code when an id is unknown."""

    max_retries, max_wait = 2, 10.0
    quotes_server = False

    def verdict(self, response: httpx.Response) -> Verdict:
        if response.status_code == 503:
            return Verdict(ResponseAction.RATE_LIMITED)
        if response.status_code == 400:
            return Verdict(ResponseAction.FAIL, ConfigError, "check 'account_id' in the config")
        return RetryPolicy().verdict(response)

    def backoff(self, response: httpx.Response | None, attempt: int) -> float | None:
        return 3.0 * attempt


def client(script: Scripted, **options: Any) -> tuple[HttpClient, list[float]]:
    sleeps: list[float] = []
    made = HttpClient("http://api.test", transport=httpx.MockTransport(script), sleep=sleeps.append, **options)
    return made, sleeps


def test_the_policys_advice_wins_and_it_may_keep_the_servers_message_out() -> None:
    made, sleeps = client(Scripted((400, {"error": "account 7 unknown"})), retry=QuotaPolicy())
    with pytest.raises(ConfigError) as raised:
        made.request("GET", "/items", params={"key": "k-in-query"})
    assert raised.value.message == "GET http://api.test/items answered HTTP 400: check 'account_id' in the config"
    assert "account 7 unknown" in (raised.value.internal_message or "")
    assert sleeps == []


def test_without_advice_a_credentials_failure_names_the_config_key_and_quotes_the_server() -> None:
    made, _ = client(Scripted((403, {"message": "key revoked"})), credentials_key="api_key")
    with pytest.raises(ConfigError) as raised:
        made.request("GET", "/items")
    assert raised.value.message == (
        "GET http://api.test/items answered HTTP 403: check 'api_key' in the config (the server refused it): "
        "key revoked"
    )


def test_an_accepted_status_is_an_answer_under_any_policy_and_every_attempt_is_counted() -> None:
    script = Scripted((503, {}), (404, {"error": "no such key"}), (404, {}))
    made, sleeps = client(script, retry=QuotaPolicy())
    assert made.request("GET", "/k", accept=(404,)).status_code == 404
    assert made.requests_sent == 2 and sleeps == [3.0]  # the policy's backoff, exactly (no jitter)
    with pytest.raises(SystemFailure, match="answered HTTP 404: the server refused the request"):
        made.request("GET", "/k")


def test_a_source_client_reports_what_its_policy_calls_rate_limited_naming_the_stream() -> None:
    events, sent, sleeps = SourceEvents(), [], []
    events.bind(sent.append, lambda secret: None)
    events.current_stream = ("orders", None)
    script = Scripted((503, {}), (429, {}), (503, {}))
    transport = httpx.MockTransport(script)
    source_client = SourceHttpClient(
        "http://api.test", events=events, retry=QuotaPolicy(), transport=transport, sleep=sleeps.append
    )
    with pytest.raises(TransientError, match=r"^stream 'orders': GET http://api.test/o answered HTTP 503: still fail"):
        source_client.request("GET", "/o")
    # 503 is rate limiting for this policy, 429 too (the default verdict): two reports, one per wait
    assert [m["trace"]["stream_status"]["reasons"][0]["type"] for m in sent] == ["RATE_LIMITED"] * 2
    assert sleeps == [3.0, 6.0]


def test_a_rate_limit_one_thread_meets_pauses_the_other_threads_sharing_the_client() -> None:
    # thread A's first request gets a 429 with Retry-After: 5; thread B, starting while A waits it out, must
    # wait out the same pause before its request, instead of spending a request to learn about it
    a_limited, b_sleeps, a_sleeps = threading.Event(), [], []
    answered: list[tuple[str, int]] = []
    lock = threading.Lock()

    def script(request: httpx.Request) -> httpx.Response:
        with lock:
            status = 429 if request.url.path == "/a" and not answered else 200
            answered.append((request.url.path, status))
        return httpx.Response(status, headers={"Retry-After": "5"} if status == 429 else {}, json={})

    def sleep(seconds: float) -> None:
        if threading.current_thread().name == "a":
            a_sleeps.append(seconds)
            a_limited.set()
        else:
            b_sleeps.append(seconds)

    shared = HttpClient("http://api.test", transport=httpx.MockTransport(script), sleep=sleep)

    def thread_b() -> None:
        assert a_limited.wait(10)
        shared.request("GET", "/b")

    threads = [
        threading.Thread(target=lambda: shared.request("GET", "/a"), name="a"),
        threading.Thread(target=thread_b, name="b"),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert a_sleeps == [5.0]  # A's retry waits Retry-After once, not again at the gate
    assert len(b_sleeps) == 1 and 4.0 < b_sleeps[0] <= 5.0  # B waits out what is left of the same pause
    assert [status for _, status in answered] == [429, 200, 200]
