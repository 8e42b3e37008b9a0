"""``airbyte_cdk.test.mock_http.request``: the request a mock answers.

It matches a request sent with the same scheme, host, path and query parameters (any order; or any at all
with ``query_params=ANY_QUERY_PARAMS``), at least its headers (names in any case), and the same body (as
JSON objects when either side is a mapping, else as bytes).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

ANY_QUERY_PARAMS = "any query_parameters"

Body = str | bytes | Mapping[str, Any] | None


class HttpRequest:
    def __init__(
        self,
        url: str,
        query_params: str | Mapping[str, str | list[str]] | None = None,
        headers: Mapping[str, str] | None = None,
        body: Body = None,
    ) -> None:
        self._parsed_url = urlparse(url)
        self._query_params = query_params
        if self._parsed_url.query and query_params:
            raise ValueError("If query params are provided as part of the url, `query_params` should be empty")
        if query_params and query_params != ANY_QUERY_PARAMS:
            encoded = query_params if isinstance(query_params, str) else urlencode(query_params, doseq=True)
            self._parsed_url = urlparse(f"{url}?{encoded}")
        self._headers = dict(headers or {})
        self._body = body

    def matches(self, other: Any) -> bool:
        """Whether the request ``other`` (one that was sent) is answered by this one's mock, or the reverse."""
        if not isinstance(other, HttpRequest):
            return False
        mine, theirs = self._parsed_url, other._parsed_url
        return (
            (mine.scheme, mine.hostname, mine.path) == (theirs.scheme, theirs.hostname, theirs.path)
            and (
                ANY_QUERY_PARAMS in (self._query_params, other._query_params)
                or parse_qs(mine.query) == parse_qs(theirs.query)
            )
            and _lower_keys(other._headers).items() <= _lower_keys(self._headers).items()
            and _same_body(self._body, other._body)
        )

    def __str__(self) -> str:
        return f"{self._parsed_url.geturl()} with headers {self._headers} and body {self._body!r}"

    def __repr__(self) -> str:
        return f"HttpRequest(request={self._parsed_url.geturl()}, headers={self._headers}, body={self._body!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, HttpRequest):
            return False
        return (self._parsed_url, self._query_params, self._headers, self._body) == (
            other._parsed_url,
            other._query_params,
            other._headers,
            other._body,
        )

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value


def _lower_keys(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def _same_body(one: Body, other: Body) -> bool:
    if isinstance(one, Mapping) or isinstance(other, Mapping):
        return bool(_as_mapping(one) == _as_mapping(other))
    return _as_bytes(one) == _as_bytes(other)


def _as_mapping(body: Body) -> Any:
    if body is None or isinstance(body, Mapping):
        return body
    return json.loads(body)


def _as_bytes(body: Body) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("ISO-8859-1")  # requests' default, which airbyte-cdk's tests assume
    return b""
