"""``DefaultPaginator`` with ``PageIncrement``, ``OffsetIncrement`` or ``CursorPagination``, and
``NoPagination``.

A strategy turns the last response into the next page's token (``None``: that was the last page); the
paginator injects the token with its ``page_token_option`` (a ``RequestOption``, or ``RequestPath`` to
use the token as the next request's URL) and the page size with ``page_size_option``. Templates see the
token as ``next_page_token['next_page_token']``. As in Airbyte, the page and offset strategies count the
records the API returned (before any ``RecordFilter``), and stop on a page shorter than ``page_size`` or an
empty one.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from airbyte_dest_kit.sources.declarative.interpolation import Interpolated, truthy
from airbyte_dest_kit.sources.declarative.manifest import ManifestError
from airbyte_dest_kit.sources.declarative.request_options import RequestOption, RequestParts

Context = Mapping[str, Any]


@dataclass(frozen=True)
class Page:
    """What a strategy sees of the page just read."""

    response: httpx.Response
    body: Any
    record_count: int  # as the API returned them
    last_record: Mapping[str, Any] | None


class PaginationStrategy(abc.ABC):
    page_size: int | None = None

    def initial_token(self) -> Any:
        return None

    @abc.abstractmethod
    def next_token(self, page: Page, token: Any, context: Context) -> Any:
        """The next page's token after a page read with ``token``, or ``None`` after the last page."""


class PageIncrement(PaginationStrategy):
    def __init__(self, page_size: int | None, start_from_page: int, inject_on_first_request: bool) -> None:
        self.page_size, self.start_from_page, self.inject_first = page_size, start_from_page, inject_on_first_request

    def initial_token(self) -> Any:
        return self.start_from_page if self.inject_first else None

    def next_token(self, page: Page, token: Any, context: Context) -> Any:
        if page.record_count == 0 or (self.page_size and page.record_count < self.page_size):
            return None
        return (self.start_from_page if token is None else int(token)) + 1


class OffsetIncrement(PaginationStrategy):
    def __init__(self, page_size: int | None, inject_on_first_request: bool) -> None:
        self.page_size, self.inject_first = page_size, inject_on_first_request

    def initial_token(self) -> Any:
        return 0 if self.inject_first else None

    def next_token(self, page: Page, token: Any, context: Context) -> Any:
        if page.record_count == 0 or (self.page_size and page.record_count < self.page_size):
            return None
        return (0 if token is None else int(token)) + page.record_count


class CursorPagination(PaginationStrategy):
    """The token is ``cursor_value`` rendered with ``response``, ``headers`` (``headers['link']`` holds the
    parsed Link header), ``last_record`` and ``last_page_size``; ``stop_condition`` ends the pages early."""

    def __init__(self, cursor_value: Interpolated, stop_condition: Interpolated | None, page_size: int | None) -> None:
        self.cursor_value, self.stop_condition, self.page_size = cursor_value, stop_condition, page_size

    def next_token(self, page: Page, token: Any, context: Context) -> Any:
        headers: dict[str, Any] = dict(page.response.headers)
        headers["link"] = page.response.links
        scope = {
            **context,
            "response": page.body,
            "headers": headers,
            "last_record": page.last_record,
            "last_page_size": page.record_count,
        }
        if self.stop_condition is not None and truthy(self.stop_condition.eval(scope)):
            return None
        value = self.cursor_value.eval(scope)
        return None if value in (None, "") else value


class Paginator(abc.ABC):
    @abc.abstractmethod
    def initial_token(self) -> Any: ...

    @abc.abstractmethod
    def next_token(self, page: Page, token: Any, context: Context) -> Any: ...

    @abc.abstractmethod
    def request_parts(self, token: Any) -> RequestParts: ...


class NoPagination(Paginator):
    def initial_token(self) -> Any:
        return None

    def next_token(self, page: Page, token: Any, context: Context) -> Any:
        return None

    def request_parts(self, token: Any) -> RequestParts:
        return RequestParts()


class DefaultPaginator(Paginator):
    def __init__(
        self,
        strategy: PaginationStrategy,
        page_token_option: RequestOption | None,
        token_is_path: bool,
        page_size_option: RequestOption | None,
    ) -> None:
        self.strategy, self.page_token_option, self.token_is_path = strategy, page_token_option, token_is_path
        self.page_size_option = page_size_option

    def initial_token(self) -> Any:
        return self.strategy.initial_token()

    def next_token(self, page: Page, token: Any, context: Context) -> Any:
        return self.strategy.next_token(page, token, context)

    def request_parts(self, token: Any) -> RequestParts:
        parts = RequestParts()
        if self.page_size_option is not None and self.strategy.page_size is not None:
            parts.update(self.page_size_option.parts(self.strategy.page_size))
        if token is None:
            return parts
        if self.token_is_path:
            parts.path = str(token)
        elif self.page_token_option is not None:
            parts.update(self.page_token_option.parts(token))
        return parts


def check_page_size(value: Any, where: str) -> int | None:
    if value is None:
        return None
    try:
        size = int(value)
    except (TypeError, ValueError):
        raise ManifestError(where, f"page_size must be a whole number, not {value!r}") from None
    if size <= 0:
        raise ManifestError(where, f"page_size must be positive, not {size}")
    return size
