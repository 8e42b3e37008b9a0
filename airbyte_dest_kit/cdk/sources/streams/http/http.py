"""airbyte-cdk's ``HttpStream`` over the kit's :class:`~airbyte_dest_kit.sources.http.HttpClient`.

The request is built from ``url_base``, ``path(...)``, ``request_params(...)``, ``request_headers(...)``
and ``request_body_json(...)``; each page goes to ``parse_response(...)``; ``next_page_token(response)``
decides the next page (``None`` ends the stream). Requests get the kit's retries (429 / 5xx / transport
errors, ``Retry-After`` honoured, ``max_retries`` of them) and its errors: a 401 / 403 is a config error
telling the user to check the credentials. ``response`` is an ``httpx.Response``, which answers the calls
guides make on a ``requests.Response`` (``json()``, ``headers``, ``status_code``, ``links``, ``text``).
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urljoin

import httpx

from airbyte_dest_kit.cdk.models import SyncMode
from airbyte_dest_kit.cdk.sources.streams.core import Stream, StreamData
from airbyte_dest_kit.sources.http import HttpClient, RetryPolicy


class HttpStream(Stream, abc.ABC):
    page_size: int | None = None
    http_method = "GET"
    max_retries = 5

    def __init__(self, authenticator: httpx.Auth | None = None) -> None:
        self._authenticator = authenticator
        self._client: HttpClient | None = None

    @property
    @abc.abstractmethod
    def url_base(self) -> str:
        """The API's base URL, e.g. ``https://api.example.com/v1/``."""

    @abc.abstractmethod
    def path(
        self,
        *,
        stream_state: Mapping[str, Any] | None = None,
        stream_slice: Mapping[str, Any] | None = None,
        next_page_token: Mapping[str, Any] | None = None,
    ) -> str:
        """The endpoint, relative to ``url_base``."""

    @abc.abstractmethod
    def next_page_token(self, response: httpx.Response) -> Mapping[str, Any] | None:
        """What the next request needs to fetch the next page, or ``None`` after the last page."""

    @abc.abstractmethod
    def parse_response(
        self,
        response: httpx.Response,
        *,
        stream_state: Mapping[str, Any],
        stream_slice: Mapping[str, Any] | None = None,
        next_page_token: Mapping[str, Any] | None = None,
    ) -> Iterable[Mapping[str, Any]]:
        """The records of one page."""

    def request_params(
        self,
        stream_state: Mapping[str, Any] | None,
        stream_slice: Mapping[str, Any] | None = None,
        next_page_token: Mapping[str, Any] | None = None,
    ) -> Mapping[str, Any]:
        return {}

    def request_headers(
        self,
        stream_state: Mapping[str, Any] | None,
        stream_slice: Mapping[str, Any] | None = None,
        next_page_token: Mapping[str, Any] | None = None,
    ) -> Mapping[str, Any]:
        return {}

    def request_body_json(
        self,
        stream_state: Mapping[str, Any] | None,
        stream_slice: Mapping[str, Any] | None = None,
        next_page_token: Mapping[str, Any] | None = None,
    ) -> Mapping[str, Any] | None:
        return None

    @property
    def client(self) -> HttpClient:
        if self._client is None:  # built on first use: ``events`` is set once the source built its streams
            retry = RetryPolicy(max_retries=self.max_retries)
            self._client = HttpClient("", auth=self._authenticator, events=self.events, retry=retry)
        return self._client

    def read_records(
        self,
        sync_mode: SyncMode,
        cursor_field: list[str] | None = None,
        stream_slice: Mapping[str, Any] | None = None,
        stream_state: Mapping[str, Any] | None = None,
    ) -> Iterable[StreamData]:
        state = stream_state or {}
        token: Mapping[str, Any] | None = None
        while True:
            where = {"stream_state": state, "stream_slice": stream_slice, "next_page_token": token}
            response = self.client.request(
                self.http_method,
                urljoin(self.url_base, self.path(**where)),
                params=self.request_params(**where),
                json=self.request_body_json(**where),
                headers={key: str(value) for key, value in self.request_headers(**where).items()},
            )
            yield from self.parse_response(response, stream_state=state, stream_slice=stream_slice)
            token = self.next_page_token(response)
            if not token:
                return
