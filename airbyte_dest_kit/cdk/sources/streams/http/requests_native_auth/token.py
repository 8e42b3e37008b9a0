"""airbyte-cdk's header authenticators, as ``httpx.Auth`` flows for the kit's HTTP client."""

from __future__ import annotations

import base64
from collections.abc import Generator

import httpx


class TokenAuthenticator(httpx.Auth):
    """``<auth_header>: <auth_method> <token>``, by default ``Authorization: Bearer <token>``."""

    def __init__(self, token: str, auth_method: str = "Bearer", auth_header: str = "Authorization") -> None:
        self._token, self._auth_method, self._auth_header = token, auth_method, auth_header

    @property
    def auth_header(self) -> str:
        return self._auth_header

    @property
    def token(self) -> str:
        return f"{self._auth_method} {self._token}" if self._auth_method else self._token

    def get_auth_header(self) -> dict[str, str]:
        return {self.auth_header: self.token}

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers.update(self.get_auth_header())
        yield request


class BasicHttpAuthenticator(TokenAuthenticator):
    """HTTP basic authentication (RFC 7617) from a username and a password."""

    def __init__(
        self, username: str, password: str = "", auth_method: str = "Basic", auth_header: str = "Authorization"
    ) -> None:
        encoded = base64.b64encode(f"{username}:{password}".encode()).decode()
        super().__init__(encoded, auth_method, auth_header)
