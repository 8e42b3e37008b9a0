"""``DefaultErrorHandler``: response filters and backoff strategies, as an
:class:`~airbyte_dest_kit.runtime.http.ErrorPolicy` for the kit's HTTP client; ``CompositeErrorHandler``
chains several.

Filters are tried in order; the first whose ``http_codes``, ``error_message_contains`` or ``predicate``
matches decides the action (``SUCCESS``, ``RETRY``, ``RATE_LIMITED``, ``FAIL``, ``IGNORE``), the
``failure_type`` and the ``error_message``. A response no filter matches gets Airbyte's defaults: success
below 400, retry on 408, 429 (rate limited) and 5xx, fail on other 4xx (401 and 403 as config errors).
The first backoff strategy with an answer sets the wait; without one the client waits the response's
``Retry-After``, else exponentially from 0.25 s (Airbyte waits exponentially from 5 s: a documented
difference, in the kit's favour for APIs that say when to come back).
"""

from __future__ import annotations

import abc
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import httpx

from airbyte_dest_kit.errors import ConfigError, ConnectorError, SystemFailure, TransientError
from airbyte_dest_kit.runtime.http import ErrorPolicy, ResponseAction, RetryPolicy, Verdict
from airbyte_dest_kit.sources.declarative.interpolation import Interpolated, truthy

FAILURE_TYPES: Mapping[str, type[ConnectorError]] = {
    "config_error": ConfigError,
    "system_error": SystemFailure,
    "transient_error": TransientError,
}
ACTIONS = {action.name: action for action in ResponseAction}


def response_body(response: httpx.Response) -> Any:
    """The decoded JSON body; ``{}`` when there is none or it is not JSON (as Airbyte's JsonDecoder)."""
    try:
        return response.json()
    except ValueError:
        return {}


class BackoffStrategy(abc.ABC):
    @abc.abstractmethod
    def seconds(self, response: httpx.Response | None, attempt: int) -> float | None: ...


@dataclass(frozen=True)
class ConstantBackoffStrategy(BackoffStrategy):
    backoff_time_in_seconds: float

    def seconds(self, response: httpx.Response | None, attempt: int) -> float | None:
        return self.backoff_time_in_seconds


@dataclass(frozen=True)
class ExponentialBackoffStrategy(BackoffStrategy):
    factor: float = 5.0

    def seconds(self, response: httpx.Response | None, attempt: int) -> float | None:
        return float(self.factor * 2**attempt)


def _header_number(response: httpx.Response | None, header: str, regex: re.Pattern[str] | None) -> float | None:
    if response is None or header not in response.headers:
        return None
    value = response.headers[header]
    if regex is not None:
        match = regex.search(value)
        if match is None:
            return None
        value = match.group(0)
    try:
        return float(value)
    except ValueError:
        return None


@dataclass(frozen=True)
class WaitTimeFromHeader(BackoffStrategy):
    """Wait the seconds the header says."""

    header: str
    regex: re.Pattern[str] | None = None
    max_waiting_time_in_seconds: float | None = None

    def seconds(self, response: httpx.Response | None, attempt: int) -> float | None:
        wait = _header_number(response, self.header, self.regex)
        if (
            wait is not None
            and self.max_waiting_time_in_seconds is not None
            and wait > self.max_waiting_time_in_seconds
        ):
            raise TransientError(
                f"the API asks to wait {wait:.0f}s ({self.header} header), more than max_waiting_time_in_seconds "
                f"({self.max_waiting_time_in_seconds:.0f}s); try the sync again later"
            )
        return wait


@dataclass(frozen=True)
class WaitUntilTimeFromHeader(BackoffStrategy):
    """Wait until the epoch time (seconds) the header says, at least ``min_wait``."""

    header: str
    regex: re.Pattern[str] | None = None
    min_wait: float = 0.0

    def seconds(self, response: httpx.Response | None, attempt: int) -> float | None:
        until = _header_number(response, self.header, self.regex)
        if until is None:
            return None
        return max(self.min_wait, until - time.time())


@dataclass(frozen=True)
class HttpResponseFilter:
    action: ResponseAction | None
    failure_type: type[ConnectorError] | None
    http_codes: frozenset[int]
    error_message_contains: str | None
    predicate: Interpolated | None
    error_message: Interpolated | None

    def matches(self, response: httpx.Response, body: Any, context: Mapping[str, Any]) -> bool:
        if response.status_code in self.http_codes:
            return True
        if self.error_message_contains is not None and self.error_message_contains in response.text:
            return True
        scope = {**context, "response": body, "headers": dict(response.headers)}
        return self.predicate is not None and truthy(self.predicate.eval(scope))


_DEFAULTS = RetryPolicy()


def _worded(verdict: Verdict) -> Verdict:
    """A failure without a message says the API rejected the request (a config error keeps the client's
    advice about the credentials)."""
    if verdict.action is ResponseAction.FAIL and verdict.advice is None and not issubclass(verdict.error, ConfigError):
        return replace(verdict, advice="the API rejected the request")
    return verdict


class DefaultErrorHandler(ErrorPolicy):
    # As in Airbyte, the user reads the filter's error_message or the default advice, not the API's body
    # (which stays in the error's internal message).
    quotes_server = False

    def __init__(
        self,
        response_filters: Sequence[HttpResponseFilter],
        backoff_strategies: Sequence[BackoffStrategy],
        max_retries: int,
        context: Mapping[str, Any],
        max_wait: float = 600.0,
    ) -> None:
        self.filters, self.strategies, self.context = response_filters, backoff_strategies, context
        self.max_retries, self.max_wait = max_retries, max_wait

    def verdict(self, response: httpx.Response) -> Verdict:
        body = None
        for response_filter in self.filters:
            if body is None:
                body = response_body(response)
            if not response_filter.matches(response, body, self.context):
                continue
            default = self._default(response)
            action = response_filter.action or default.action
            advice = None
            if response_filter.error_message is not None:
                scope = {**self.context, "response": body, "headers": dict(response.headers)}
                advice = str(response_filter.error_message.eval(scope))
            return _worded(Verdict(action, response_filter.failure_type or default.error, advice or default.advice))
        return self._default(response)

    @staticmethod
    def _default(response: httpx.Response) -> Verdict:
        if response.status_code == 408:
            return Verdict(ResponseAction.RETRY)
        return _worded(_DEFAULTS.verdict(response))

    def backoff(self, response: httpx.Response | None, attempt: int) -> float | None:
        for strategy in self.strategies:
            seconds = strategy.seconds(response, attempt)
            if seconds is not None:
                return seconds
        return None


# The verdicts with which a CompositeErrorHandler stops at a handler; any other goes on to the next one.
_DECISIVE = (ResponseAction.SUCCESS, ResponseAction.RETRY, ResponseAction.IGNORE)


class CompositeErrorHandler(ErrorPolicy):
    """Handlers tried in order, as airbyte-cdk does: the first whose verdict is success, retry or ignore
    decides; when none does (all fail, or say rate limited), the last one's verdict stands. The wait before
    a retry is the first answer of any handler's backoff strategies; retries are the first handler's
    ``max_retries``."""

    quotes_server = False

    def __init__(self, handlers: Sequence[ErrorPolicy]) -> None:
        self.handlers = list(handlers)
        self.max_retries = self.handlers[0].max_retries
        self.max_wait = max(handler.max_wait for handler in self.handlers)

    def verdict(self, response: httpx.Response) -> Verdict:
        verdict = Verdict(ResponseAction.FAIL)
        for handler in self.handlers:
            verdict = handler.verdict(response)
            if verdict.action in _DECISIVE:
                return verdict
        return verdict

    def backoff(self, response: httpx.Response | None, attempt: int) -> float | None:
        for handler in self.handlers:
            seconds = handler.backoff(response, attempt)
            if seconds is not None:
                return seconds
        return None
