"""HTTP streams: a pooled httpx client with timeouts, retries and rate-limit reporting, and ``HttpStream``.

Retries (tenacity) cover transport errors and what the client's :class:`ErrorPolicy` says to retry; the
default :class:`RetryPolicy` retries the statuses in :attr:`RetryPolicy.retry_statuses` (429 and 5xx). The
wait is the policy's :meth:`ErrorPolicy.backoff` when it picks one, else the response's ``Retry-After`` when
it has one (seconds or an HTTP date), else exponential from ``min_wait``; always capped at ``max_wait``.
Before waiting out a 429 the client reports STREAM_STATUS RUNNING with a RATE_LIMITED reason for the stream
being read. Errors name that stream, and the URL without its query string (which often holds a key). With
the default policy, what is still failing after the retries::

    429 / 5xx / transport error   TransientError   (retry the sync later)
    401 / 403                     ConfigError      (fix the credentials)
    other 4xx                     SystemFailure    (the request is wrong: a connector defect)

A stream over a paginated endpoint::

    class Customers(HttpStream):
        name = "customers"
        path = "/customers"
        records_path = ("data",)
        paginator = CursorPagination("cursor", cursor_path=("next_cursor",))
"""

from __future__ import annotations

import abc
import email.utils
import enum
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx
import tenacity

from airbyte_dest_kit.errors import ConfigError, ConnectorError, SystemFailure, TransientError
from airbyte_dest_kit.sources.events import SourceEvents
from airbyte_dest_kit.sources.pagination import NoPagination, Paginator, value_at
from airbyte_dest_kit.sources.stream import Record, Stream, StreamSlice

log = logging.getLogger("airbyte.source.http")
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class ResponseAction(enum.Enum):
    """What to do with a response (or, for ``RETRY``, a transport error)."""

    SUCCESS = "success"
    RETRY = "retry"
    RATE_LIMITED = "rate_limited"  # a retry that also reports STREAM_STATUS RUNNING, RATE_LIMITED
    FAIL = "fail"
    IGNORE = "ignore"  # a response the stream skips: it holds no records and ends no sync


@dataclass(frozen=True)
class Verdict:
    action: ResponseAction
    error: type[ConnectorError] = SystemFailure
    """For ``FAIL``: the error raised, which sets the failure_type."""
    advice: str | None = None
    """For ``FAIL``: what the error message tells the user after the request and status."""


class ErrorPolicy(abc.ABC):
    """Decides what a response means and how long to wait before a retry."""

    max_retries: int
    max_wait: float
    min_wait: float = 0.25
    """The first wait of the exponential default, doubled at each retry."""

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
    retry_statuses: frozenset[int] = frozenset({429, 500, 502, 503, 504})

    def verdict(self, response: httpx.Response) -> Verdict:
        status = response.status_code
        if status in self.retry_statuses:
            return Verdict(ResponseAction.RATE_LIMITED if status == 429 else ResponseAction.RETRY)
        if status < 400:
            return Verdict(ResponseAction.SUCCESS)
        if status in (401, 403):
            return Verdict(
                ResponseAction.FAIL, ConfigError, "check the credentials in the config and their permissions"
            )
        return Verdict(ResponseAction.FAIL, SystemFailure, "the API rejected the request")


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


@dataclass(frozen=True)
class _Attempt:
    response: httpx.Response
    verdict: Verdict


class HttpClient:
    """One connection pool per source; share it between the source's streams."""

    def __init__(
        self,
        base_url: str,
        *,
        auth: httpx.Auth | None = None,
        events: SourceEvents | None = None,
        retry: ErrorPolicy = RetryPolicy(),
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.retry, self.events, self._sleep = retry, events or SourceEvents(), sleep
        self._client = httpx.Client(
            base_url=base_url,
            auth=auth,
            timeout=timeout,
            headers=headers,
            transport=transport,
            limits=httpx.Limits(max_connections=10, max_keepalive_connections=10),
        )

    def close(self) -> None:
        self._client.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send with retries; returns a 2xx/3xx response or raises a :class:`ConnectorError` (see module doc)."""
        response = self.send(method, url, params=params, json=json, headers=headers)
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
        headers: Mapping[str, str] | None = None,
        policy: ErrorPolicy | None = None,
    ) -> httpx.Response | None:
        """:meth:`request` with every part of the request, and the response ``None`` when ``policy`` (by
        default the client's) says to ignore it."""
        policy = policy or self.retry

        def attempt() -> _Attempt:
            response = self._client.request(method, url, params=params, json=json, data=data, headers=headers)
            return _Attempt(response, policy.verdict(response))

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
                f"{self._stream_prefix()}{method} {_without_query(exc.request.url)} failed after "
                f"{policy.max_retries} retries: {type(exc).__name__}: {exc}"
            ) from exc
        action = outcome.verdict.action
        if action in (ResponseAction.SUCCESS, ResponseAction.IGNORE):
            return outcome.response if action is ResponseAction.SUCCESS else None
        self._raise_failure(outcome, policy.max_retries)
        raise AssertionError("unreachable")  # pragma: no cover - _raise_failure always raises

    def _wait(self, state: tenacity.RetryCallState, policy: ErrorPolicy) -> float:
        outcome = state.outcome
        response = outcome.result().response if outcome is not None and not outcome.failed else None
        chosen = policy.backoff(response, state.attempt_number)
        if chosen is not None:
            return min(chosen, policy.max_wait)
        if response is not None:
            seconds = retry_after_seconds(response.headers.get("Retry-After"), time.time())
            if seconds is not None:
                return min(seconds, policy.max_wait)
        return float(tenacity.wait_exponential(multiplier=policy.min_wait, max=policy.max_wait)(state))

    def _before_sleep(self, state: tenacity.RetryCallState, policy: ErrorPolicy) -> None:
        wait = state.next_action.sleep if state.next_action else 0.0
        outcome = state.outcome
        if outcome is None:
            return
        if outcome.failed:
            problem = f"{type(outcome.exception()).__name__}: {outcome.exception()}"
        else:
            attempted: _Attempt = outcome.result()
            problem = f"HTTP {attempted.response.status_code}"
            if attempted.verdict.action is ResponseAction.RATE_LIMITED:
                self.events.rate_limited(wait)
        attempt, attempts = state.attempt_number, policy.max_retries + 1
        log.warning(
            "%s%s; retrying in %.2fs (attempt %d of %d)", self._stream_prefix(), problem, wait, attempt + 1, attempts
        )

    def _stream_prefix(self) -> str:
        return f"stream {self.events.current_stream[0]!r}: " if self.events.current_stream else ""

    def _raise_failure(self, outcome: _Attempt, retries: int) -> None:
        response, verdict = outcome.response, outcome.verdict
        request = f"{self._stream_prefix()}{response.request.method} {_without_query(response.request.url)}"
        error: type[ConnectorError]
        if verdict.action is ResponseAction.FAIL:
            error, advice = verdict.error, verdict.advice or "the API rejected the request"
        else:  # retries exhausted
            error, advice = TransientError, f"still failing after {retries} retries; try again later"
        raise error(f"{request} answered HTTP {response.status_code}: {advice}", internal_message=response.text[:500])


def _retryable(attempted: _Attempt) -> bool:
    return attempted.verdict.action in (ResponseAction.RETRY, ResponseAction.RATE_LIMITED)


def _without_query(url: httpx.URL) -> httpx.URL:
    """The URL as errors show it: query strings often carry API keys."""
    return url.copy_with(query=None)


class HttpStream(Stream):
    """A stream over one paginated JSON endpoint. Set ``name``, ``path``, ``records_path`` and ``paginator``.

    Override :meth:`request_params` to add query parameters (e.g. from the slice or the state) and
    :meth:`parse_response` when records are not a list at ``records_path`` in the JSON body.
    """

    path: ClassVar[str]
    records_path: ClassVar[Sequence[str]] = ()
    http_method: ClassVar[str] = "GET"
    paginator: Paginator = NoPagination()

    def __init__(self, client: HttpClient) -> None:
        super().__init__()
        self.client = client

    def request_params(self, stream_slice: StreamSlice) -> dict[str, Any]:
        return {}

    def parse_response(self, response: httpx.Response) -> list[Mapping[str, Any]]:
        records = value_at(response.json(), self.records_path)
        if not isinstance(records, list):
            where = ".".join(self.records_path) or "the top level"
            raise SystemFailure(f"stream {self.name!r}: expected a list of records at {where} of the response")
        return records

    def read(self, stream_slice: StreamSlice) -> Iterator[Record]:
        page = self.paginator.first_page()
        while True:
            if page.url is not None:
                response = self.client.request(self.http_method, page.url)  # the link carries its query
            else:
                params = {**self.request_params(stream_slice), **page.params}
                response = self.client.request(self.http_method, self.path, params=params)
            records = self.parse_response(response)
            yield from records
            next_page = self.paginator.next_page(page, response, records)
            if next_page is None:
                return
            page = next_page
