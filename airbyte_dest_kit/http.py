"""A pooled httpx client with timeouts, retries and errors a user can act on, for HTTP sources and writers.

Retries (tenacity) cover transport errors (refused or dropped connections, timeouts) and the statuses in
:attr:`RetryPolicy.retry_statuses` (429 and 5xx). The wait is the response's ``Retry-After`` when it has
one (seconds or an HTTP date, capped at ``max_wait``), else exponential from ``min_wait`` plus up to
``jitter`` seconds at random, so that clients failing together do not retry together. A request is sent
again as it was: only requests the server can apply twice (idempotent ones) belong here. What is still
failing after the retries::

    429 / 5xx / transport error   TransientError   (retry the sync later)
    401 / 403                     ConfigError      (fix the credentials: names their config key when known)
    other 4xx                     SystemFailure    (the server refused the request: its message is quoted)

    client = HttpClient("https://kv.example", headers={"Authorization": f"Bearer {key}"},
                        credentials_key="secret_key", retry=RetryPolicy(jitter=0.25))
    client.request("POST", "/bucket", content=body)   # a 2xx/3xx response, or one of the errors above
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import tenacity

from airbyte_dest_kit.errors import ConfigError, ConnectorError, SystemFailure, TransientError

log = logging.getLogger("airbyte.http")
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
# The longest excerpt of a server's answer quoted in an error message.
MESSAGE_CHARS = 300


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 5
    min_wait: float = 0.25
    max_wait: float = 120.0
    jitter: float = 0.0  # seconds; added at random to each backoff wait (a Retry-After is waited exactly)
    retry_statuses: frozenset[int] = frozenset({429, 500, 502, 503, 504})


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """A ``Retry-After`` header as seconds from ``now``: delay-seconds (fractions accepted) or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError):
        return None


def server_message(response: httpx.Response) -> str:
    """What the server said, short: a JSON body's ``error`` / ``message`` / ``detail``, else its text."""
    text = response.text
    try:
        body = orjson.loads(text)
    except orjson.JSONDecodeError:
        body = None
    if isinstance(body, dict):
        for key in ("error", "message", "detail"):
            if isinstance(body.get(key), str):
                text = body[key]
                break
    text = " ".join(text.split())
    return text if len(text) <= MESSAGE_CHARS else text[:MESSAGE_CHARS] + "…"


class HttpClient:
    """One connection pool per connector; safe to share between threads.

    ``credentials_key`` names the config key holding the credentials, so that a 401 / 403 says what to
    fix. ``sleep`` is replaceable for tests.
    """

    def __init__(
        self,
        base_url: str,
        *,
        auth: httpx.Auth | None = None,
        retry: RetryPolicy = RetryPolicy(),
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        credentials_key: str | None = None,
        max_connections: int = 10,
    ) -> None:
        self.retry, self.credentials_key, self._sleep = retry, credentials_key, sleep
        self._client = httpx.Client(
            base_url=base_url,
            auth=auth,
            timeout=timeout,
            headers=headers,
            transport=transport,
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
        )
        backoff = tenacity.wait_exponential(multiplier=retry.min_wait, max=retry.max_wait)
        self._backoff = backoff + tenacity.wait_random(0, retry.jitter) if retry.jitter > 0 else backoff
        self.requests_sent = 0  # attempts included: what the server saw

    def close(self) -> None:
        self._client.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        accept: Collection[int] = (),
    ) -> httpx.Response:
        """Send with retries; returns a 2xx/3xx response (or one with a status in ``accept``, e.g. a 404 that
        means "no such key") or raises a :class:`ConnectorError` (see the module docstring)."""
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.retry.max_retries + 1),
            wait=self._wait,
            retry=tenacity.retry_if_exception_type(httpx.TransportError) | tenacity.retry_if_result(self._retryable),
            before_sleep=self._before_sleep,
            sleep=self._sleep,
            retry_error_callback=lambda state: state.outcome.result() if state.outcome else None,
        )
        try:
            response: httpx.Response = retrying(
                self._send, method, url, params=params, json=json, content=content, headers=headers
            )
        except httpx.TransportError as exc:
            raise TransientError(
                f"{method} {self._where(url)} failed after {self.retry.max_retries} retries: "
                f"{type(exc).__name__}: {exc}; check that the server is up, or try again later"
            ) from exc
        if response.status_code not in accept:
            self._raise_for_status(response)
        return response

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        self.requests_sent += 1
        return self._client.request(method, url, **kwargs)

    def _where(self, url: str) -> str:
        return str(self._client.base_url.join(url).copy_with(query=None))

    def _retryable(self, response: httpx.Response) -> bool:
        return response.status_code in self.retry.retry_statuses

    def _wait(self, state: tenacity.RetryCallState) -> float:
        outcome = state.outcome
        if outcome is not None and not outcome.failed:
            header = outcome.result().headers.get("Retry-After")
            seconds = retry_after_seconds(header, time.time())
            if seconds is not None:
                return min(seconds, self.retry.max_wait)
        return min(float(self._backoff(state)), self.retry.max_wait)

    def _before_sleep(self, state: tenacity.RetryCallState) -> None:
        wait = state.next_action.sleep if state.next_action else 0.0
        outcome = state.outcome
        if outcome is None:
            return
        response = None if outcome.failed else outcome.result()
        self.retrying(wait, response)
        if response is None:
            problem = f"{type(outcome.exception()).__name__}: {outcome.exception()}"
        else:
            problem = f"HTTP {response.status_code}"
        attempt, attempts = state.attempt_number, self.retry.max_retries + 1
        log.warning("%s; retrying in %.2fs (attempt %d of %d)", problem, wait, attempt + 1, attempts)

    def retrying(self, wait: float, response: httpx.Response | None) -> None:
        """Hook: a request is about to be retried after ``wait`` seconds (``response`` None: no answer)."""

    def _raise_for_status(self, response: httpx.Response) -> None:
        status = response.status_code
        if status < 400:
            return
        request = f"{response.request.method} {response.request.url.copy_with(query=None)}"
        said = server_message(response)
        error: type[ConnectorError]
        if status == 429 or status >= 500:
            error, advice = TransientError, f"still failing after {self.retry.max_retries} retries; try again later"
        elif status in (401, 403):
            error = ConfigError
            if self.credentials_key:
                advice = f"check '{self.credentials_key}' in the config (the server refused it)"
            else:
                advice = "check the credentials in the config and their permissions"
        else:
            error, advice = SystemFailure, "the server refused the request"
        raise error(f"{request} answered HTTP {status}: {advice}: {said}", internal_message=response.text[:2000])
