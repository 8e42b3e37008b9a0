"""HTTP streams: a pooled httpx client with timeouts, retries and rate-limit reporting, and ``HttpStream``.

Retries (tenacity) cover transport errors and the statuses in :attr:`RetryPolicy.retry_statuses` (429 and
5xx). The wait is the response's ``Retry-After`` when it has one (seconds or an HTTP date, capped at
``max_wait``), else exponential from ``min_wait``. Before waiting out a 429 the client reports STREAM_STATUS
RUNNING with a RATE_LIMITED reason for the stream being read. What is still failing after the retries::

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

import email.utils
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


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 5
    min_wait: float = 0.25
    max_wait: float = 120.0
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


class HttpClient:
    """One connection pool per source; share it between the source's streams."""

    def __init__(
        self,
        base_url: str,
        *,
        auth: httpx.Auth | None = None,
        events: SourceEvents | None = None,
        retry: RetryPolicy = RetryPolicy(),
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
        self._fallback_wait = tenacity.wait_exponential(multiplier=retry.min_wait, max=retry.max_wait)

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
                self._client.request, method, url, params=params, json=json, headers=headers
            )
        except httpx.TransportError as exc:
            raise TransientError(
                f"{method} {url} failed after {self.retry.max_retries} retries: {type(exc).__name__}: {exc}"
            ) from exc
        _raise_for_status(response, self.retry.max_retries)
        return response

    def _retryable(self, response: httpx.Response) -> bool:
        return response.status_code in self.retry.retry_statuses

    def _wait(self, state: tenacity.RetryCallState) -> float:
        outcome = state.outcome
        if outcome is not None and not outcome.failed:
            header = outcome.result().headers.get("Retry-After")
            seconds = retry_after_seconds(header, time.time())
            if seconds is not None:
                return min(seconds, self.retry.max_wait)
        return float(self._fallback_wait(state))

    def _before_sleep(self, state: tenacity.RetryCallState) -> None:
        wait = state.next_action.sleep if state.next_action else 0.0
        outcome = state.outcome
        if outcome is None:
            return
        if outcome.failed:
            problem = f"{type(outcome.exception()).__name__}: {outcome.exception()}"
        else:
            response = outcome.result()
            problem = f"HTTP {response.status_code}"
            if response.status_code == 429:
                self.events.rate_limited(wait)
        attempt, attempts = state.attempt_number, self.retry.max_retries + 1
        log.warning("%s; retrying in %.2fs (attempt %d of %d)", problem, wait, attempt + 1, attempts)


def _raise_for_status(response: httpx.Response, retries: int) -> None:
    status = response.status_code
    if status < 400:
        return
    request = f"{response.request.method} {response.request.url.copy_with(query=None)}"
    body = response.text[:500]
    error: type[ConnectorError]
    if status == 429 or status >= 500:
        error, advice = TransientError, f"still failing after {retries} retries; try again later"
    elif status in (401, 403):
        error, advice = ConfigError, "check the credentials in the config and their permissions"
    else:
        error, advice = SystemFailure, "the API rejected the request"
    raise error(f"{request} answered HTTP {status}: {advice}", internal_message=body)


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
