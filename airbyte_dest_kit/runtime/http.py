"""A pooled httpx client with timeouts, retries and errors a user can act on, for HTTP sources and writers.

An :class:`ErrorPolicy` says what each response means (a :class:`Verdict`: SUCCESS, RETRY, RATE_LIMITED,
FAIL with the error to raise and the advice to give, or IGNORE) and may choose the wait before a retry;
the default is :class:`RetryPolicy`. Retries (tenacity) cover transport errors (refused or dropped
connections, timeouts) and what the policy says to retry. The wait is the policy's
:meth:`ErrorPolicy.backoff` when it picks one, else the response's ``Retry-After`` when it has one (seconds
or an HTTP date), else exponential from ``min_wait`` plus up to ``jitter`` seconds at random, so that
clients failing together do not retry together; always capped at ``max_wait``. A request is sent again as
it was: only requests the server can apply twice (idempotent ones) belong here. A rate-limited answer
(RATE_LIMITED, a 429 by default) pauses the whole client, not only the request that got it: every thread
sharing the client (the workers of a concurrent read) waits out the same ``Retry-After`` before its next
request, instead of each spending its own request to learn it. With :class:`RetryPolicy`,
what is still failing after the retries::

    429 / 5xx / transport error   TransientError   (retry the sync later)
    401 / 403                     ConfigError      (fix the credentials: names their config key when known)
    other 4xx                     SystemFailure    (the server refused the request)

Errors show the URL without its query string (which often holds a key) and, when the policy
:attr:`~ErrorPolicy.quotes_server` (RetryPolicy does), what the server said; its whole answer goes to the
error's internal message::

    client = HttpClient("https://kv.example", headers={"Authorization": f"Bearer {key}"},
                        credentials_key="secret_key", retry=RetryPolicy(jitter=0.25))
    client.request("POST", "/bucket", content=body)   # a 2xx/3xx response, or one of the errors above
"""

from __future__ import annotations

import abc
import email.utils
import enum
import logging
import random
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx
import orjson
import tenacity

from airbyte_dest_kit.errors import ConfigError, ConnectorError, SystemFailure, TransientError

log = logging.getLogger("airbyte.http")
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
# The longest excerpt of a server's answer quoted in an error message.
MESSAGE_CHARS = 300


class ResponseAction(enum.Enum):
    """What to do with a response (or, for ``RETRY``, a transport error)."""

    SUCCESS = "success"
    RETRY = "retry"
    RATE_LIMITED = "rate_limited"  # a retry that sources report as STREAM_STATUS RUNNING, RATE_LIMITED
    FAIL = "fail"
    IGNORE = "ignore"  # a response the caller skips: it holds no records and ends no sync


@dataclass(frozen=True)
class Verdict:
    action: ResponseAction
    error: type[ConnectorError] = SystemFailure
    """For ``FAIL``: the error raised, which sets the failure_type."""
    advice: str | None = None
    """For ``FAIL``: what the error message tells the user after the request and status; ``None`` for the
    client's own (the credentials' config key for a :class:`ConfigError`, else "the server refused the
    request")."""


class ErrorPolicy(abc.ABC):
    """Decides what a response means and how long to wait before a retry."""

    max_retries: int
    max_wait: float
    min_wait: float = 0.25
    """The first wait of the exponential default, doubled at each retry."""
    jitter: float = 0.0
    """Seconds added at random to each exponential wait (a chosen or ``Retry-After`` wait is exact)."""
    quotes_server: ClassVar[bool] = True
    """Whether error messages quote what the server said (:func:`server_message`)."""

    @abc.abstractmethod
    def verdict(self, response: httpx.Response) -> Verdict:
        """The action for ``response``."""

    def backoff(self, response: httpx.Response | None, attempt: int) -> float | None:
        """Seconds to wait before retry number ``attempt`` (1-based); ``None`` for the client's default wait:
        the response's ``Retry-After`` when it has one, else exponential. ``response`` is ``None`` after a
        transport error."""
        return None


@dataclass(frozen=True)
class RetryPolicy(ErrorPolicy):
    """The default policy: retry 429 and 5xx (see the module doc), fail on any other status >= 400."""

    max_retries: int = 5
    min_wait: float = 0.25
    max_wait: float = 120.0
    jitter: float = 0.0
    retry_statuses: frozenset[int] = frozenset({429, 500, 502, 503, 504})

    def verdict(self, response: httpx.Response) -> Verdict:
        status = response.status_code
        if status in self.retry_statuses:
            return Verdict(ResponseAction.RATE_LIMITED if status == 429 else ResponseAction.RETRY)
        if status < 400:
            return Verdict(ResponseAction.SUCCESS)
        return Verdict(ResponseAction.FAIL, ConfigError if status in (401, 403) else SystemFailure)


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


@dataclass(frozen=True)
class _Attempt:
    response: httpx.Response
    verdict: Verdict


_ACCEPTED = Verdict(ResponseAction.SUCCESS)


class HttpClient:
    """One connection pool per connector; safe to share between threads (a source's streams, a writer's
    concurrent requests).

    ``credentials_key`` names the config key holding the credentials, so that a 401 / 403 says what to
    fix. ``sleep`` is replaceable for tests. Subclasses hear about retries through :meth:`retrying` and
    may start error messages with :meth:`error_prefix`.
    """

    def __init__(
        self,
        base_url: str,
        *,
        auth: httpx.Auth | None = None,
        retry: ErrorPolicy = RetryPolicy(),
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
        self.requests_sent = 0  # attempts included: what the server saw
        self._count_lock = threading.Lock()
        self._paused_until = 0.0  # time.monotonic() before which no request goes out (a rate limit)
        self._waited = threading.local()  # per thread: the pause it already waited out (or is waiting out)

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
        response = self.send(method, url, params=params, json=json, content=content, headers=headers, accept=accept)
        if response is None:
            raise SystemFailure(f"{method} {url}: the error policy ignored a response this caller needs")
        return response

    def send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        policy: ErrorPolicy | None = None,
        accept: Collection[int] = (),
    ) -> httpx.Response | None:
        """:meth:`request` with every part of the request (``data``: a form body), and the response ``None``
        when ``policy`` (by default the client's) says to ignore it."""
        policy = policy or self.retry

        def attempt() -> _Attempt:
            self._wait_out_rate_limit()
            with self._count_lock:
                self.requests_sent += 1
            response = self._client.request(
                method, url, params=params, json=json, data=data, content=content, headers=headers
            )
            return _Attempt(response, _ACCEPTED if response.status_code in accept else policy.verdict(response))

        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(policy.max_retries + 1),
            wait=lambda state: self._wait(state, policy),
            retry=tenacity.retry_if_exception_type(httpx.TransportError) | tenacity.retry_if_result(_retryable),
            before_sleep=lambda state: self._before_sleep(state, policy),
            sleep=self._sleep,
            retry_error_callback=lambda state: state.outcome.result() if state.outcome else None,
        )
        try:
            outcome: _Attempt = retrying(attempt)
        except httpx.TransportError as exc:
            raise TransientError(
                f"{self.error_prefix()}{method} {_without_query(exc.request.url)} failed after "
                f"{policy.max_retries} retries: {type(exc).__name__}: {exc}; "
                "check that the server is up, or try again later"
            ) from exc
        action = outcome.verdict.action
        if action in (ResponseAction.SUCCESS, ResponseAction.IGNORE):
            return outcome.response if action is ResponseAction.SUCCESS else None
        self._raise_failure(outcome, policy)
        raise AssertionError("unreachable")  # pragma: no cover - _raise_failure always raises

    def retrying(self, wait: float, response: httpx.Response | None, action: ResponseAction) -> None:
        """Hook: a request is about to be retried after ``wait`` seconds because of ``response`` with
        ``action`` (RETRY or RATE_LIMITED), or of a transport error (``response`` None, ``action`` RETRY)."""

    def error_prefix(self) -> str:
        """Hook: what error messages and retry logs start with (a source names the stream being read)."""
        return ""

    def _wait_out_rate_limit(self) -> None:
        paused_until = self._paused_until
        if getattr(self._waited, "until", 0.0) >= paused_until:
            return
        self._waited.until = paused_until
        remaining = paused_until - time.monotonic()
        if remaining > 0:
            self._sleep(remaining)

    def _pause(self, seconds: float) -> None:
        """The rate limit another thread's request met holds this one's requests too; the thread that met it
        waits through its retry's own sleep."""
        with self._count_lock:
            self._paused_until = max(self._paused_until, time.monotonic() + seconds)
            self._waited.until = self._paused_until

    def _wait(self, state: tenacity.RetryCallState, policy: ErrorPolicy) -> float:
        outcome = state.outcome
        response = outcome.result().response if outcome is not None and not outcome.failed else None
        chosen = policy.backoff(response, state.attempt_number)
        if chosen is None and response is not None:
            chosen = retry_after_seconds(response.headers.get("Retry-After"), time.time())
        if chosen is None:
            chosen = tenacity.wait_exponential(multiplier=policy.min_wait, max=policy.max_wait)(state)
            chosen += random.uniform(0, policy.jitter) if policy.jitter > 0 else 0.0
        return min(float(chosen), policy.max_wait)

    def _before_sleep(self, state: tenacity.RetryCallState, policy: ErrorPolicy) -> None:
        wait = state.next_action.sleep if state.next_action else 0.0
        outcome = state.outcome
        if outcome is None:
            return
        if outcome.failed:
            self.retrying(wait, None, ResponseAction.RETRY)
            problem = f"{type(outcome.exception()).__name__}: {outcome.exception()}"
        else:
            attempted: _Attempt = outcome.result()
            if attempted.verdict.action is ResponseAction.RATE_LIMITED:
                self._pause(wait)
            self.retrying(wait, attempted.response, attempted.verdict.action)
            problem = f"HTTP {attempted.response.status_code}"
        attempt, attempts = state.attempt_number, policy.max_retries + 1
        log.warning(
            "%s%s; retrying in %.2fs (attempt %d of %d)", self.error_prefix(), problem, wait, attempt + 1, attempts
        )

    def _raise_failure(self, outcome: _Attempt, policy: ErrorPolicy) -> None:
        response, verdict = outcome.response, outcome.verdict
        request = f"{self.error_prefix()}{response.request.method} {_without_query(response.request.url)}"
        error: type[ConnectorError]
        if verdict.action is ResponseAction.FAIL:
            error, advice = verdict.error, verdict.advice or self._advice(verdict.error)
        else:  # retries exhausted
            error, advice = TransientError, f"still failing after {policy.max_retries} retries; try again later"
        message = f"{request} answered HTTP {response.status_code}: {advice}"
        said = server_message(response) if policy.quotes_server else ""
        raise error(f"{message}: {said}" if said else message, internal_message=response.text[:2000])

    def _advice(self, error: type[ConnectorError]) -> str:
        if not issubclass(error, ConfigError):
            return "the server refused the request"
        if self.credentials_key:
            return f"check '{self.credentials_key}' in the config (the server refused it)"
        return "check the credentials in the config and their permissions"


def _retryable(attempted: _Attempt) -> bool:
    return attempted.verdict.action in (ResponseAction.RETRY, ResponseAction.RATE_LIMITED)


def _without_query(url: httpx.URL) -> httpx.URL:
    """The URL as errors show it: query strings often carry API keys."""
    return url.copy_with(query=None)
