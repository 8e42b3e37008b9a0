"""Pagination: which request fetches the next page, decided from the previous page.

A paginator starts with :meth:`Paginator.first_page` and is asked for the next page after every response;
``None`` ends the stream. Four shapes cover most APIs::

    CursorPagination("cursor", cursor_path=["meta", "next_cursor"])   # ?cursor=<token from the body>
    NextLinkPagination()                                              # the Link: <...>; rel="next" header
    NextLinkPagination(link_path=["links", "next"])                   # or a URL in the body
    PageNumberPagination(page_size=100)                               # ?page=1&per_page=100, 2, 3, ...
    OffsetPagination(limit=100)                                       # ?offset=0&limit=100, 100, 200, ...
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx


@dataclass(frozen=True)
class PageRequest:
    """Query parameters for a page, or the full ``url`` of the next page (which then carries its own query)."""

    params: Mapping[str, Any] = field(default_factory=dict)
    url: str | None = None


def value_at(body: Any, path: Sequence[str]) -> Any:
    """``body[path[0]][path[1]]...``, or ``None`` where the path leads nowhere."""
    for key in path:
        if not isinstance(body, Mapping):
            return None
        body = body.get(key)
    return body


class Paginator(abc.ABC):
    def first_page(self) -> PageRequest:
        return PageRequest()

    @abc.abstractmethod
    def next_page(
        self, previous: PageRequest, response: httpx.Response, records: Sequence[Mapping[str, Any]]
    ) -> PageRequest | None:
        """The request for the page after ``previous``, or ``None`` when ``previous`` was the last."""


class NoPagination(Paginator):
    """The first response holds everything."""

    def next_page(
        self, previous: PageRequest, response: httpx.Response, records: Sequence[Mapping[str, Any]]
    ) -> PageRequest | None:
        return None


class CursorPagination(Paginator):
    """Pass the token found at ``cursor_path`` in the body as ``cursor_param``; no token, no next page."""

    def __init__(
        self,
        cursor_param: str = "cursor",
        *,
        cursor_path: Sequence[str] = ("next_cursor",),
        page_size_param: str | None = None,
        page_size: int | None = None,
    ) -> None:
        self.cursor_param, self.cursor_path = cursor_param, cursor_path
        self.size_params = {page_size_param: page_size} if page_size_param and page_size else {}

    def first_page(self) -> PageRequest:
        return PageRequest(params=self.size_params)

    def next_page(
        self, previous: PageRequest, response: httpx.Response, records: Sequence[Mapping[str, Any]]
    ) -> PageRequest | None:
        token = value_at(response.json(), self.cursor_path)
        if token in (None, ""):
            return None
        return PageRequest(params={**self.size_params, self.cursor_param: token})


class NextLinkPagination(Paginator):
    """Follow the next page's URL: from ``link_path`` in the body, else from the ``Link`` header."""

    def __init__(self, link_path: Sequence[str] | None = None) -> None:
        self.link_path = link_path

    def next_page(
        self, previous: PageRequest, response: httpx.Response, records: Sequence[Mapping[str, Any]]
    ) -> PageRequest | None:
        if self.link_path is not None:
            url = value_at(response.json(), self.link_path)
        else:
            url = response.links.get("next", {}).get("url")
        return PageRequest(url=str(response.url.join(url))) if url else None


class PageNumberPagination(Paginator):
    """``page=first_page, first_page+1, ...``; a page shorter than ``page_size`` is the last."""

    def __init__(
        self, page_size: int = 100, *, page_param: str = "page", page_size_param: str = "per_page", first_page: int = 1
    ) -> None:
        self.page_size, self.page_param, self.page_size_param, self.first = (
            page_size,
            page_param,
            page_size_param,
            first_page,
        )

    def first_page(self) -> PageRequest:
        return PageRequest(params={self.page_param: self.first, self.page_size_param: self.page_size})

    def next_page(
        self, previous: PageRequest, response: httpx.Response, records: Sequence[Mapping[str, Any]]
    ) -> PageRequest | None:
        if len(records) < self.page_size:
            return None
        return PageRequest(params={**previous.params, self.page_param: previous.params[self.page_param] + 1})


class OffsetPagination(Paginator):
    """``offset=0, limit, 2*limit, ...``; a page shorter than ``limit`` is the last."""

    def __init__(self, limit: int = 100, *, offset_param: str = "offset", limit_param: str = "limit") -> None:
        self.limit, self.offset_param, self.limit_param = limit, offset_param, limit_param

    def first_page(self) -> PageRequest:
        return PageRequest(params={self.offset_param: 0, self.limit_param: self.limit})

    def next_page(
        self, previous: PageRequest, response: httpx.Response, records: Sequence[Mapping[str, Any]]
    ) -> PageRequest | None:
        if len(records) < self.limit:
            return None
        return PageRequest(
            params={**previous.params, self.offset_param: previous.params[self.offset_param] + len(records)}
        )
