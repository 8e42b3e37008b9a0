"""``airbyte_cdk.test.mock_http.response``."""

from __future__ import annotations

from collections.abc import Mapping


class HttpResponse:
    def __init__(self, body: str | bytes, status_code: int = 200, headers: Mapping[str, str] | None = None) -> None:
        self._body = body
        self._status_code = status_code
        self._headers = dict(headers or {})

    @property
    def body(self) -> str | bytes:
        return self._body

    @property
    def status_code(self) -> int:
        return self._status_code

    @property
    def headers(self) -> Mapping[str, str]:
        return self._headers
