"""Authenticators: ``httpx.Auth`` flows to hand to :class:`~airbyte_dest_kit.sources.http.HttpClient`.

- :class:`BearerTokenAuth` - ``Authorization: Bearer <token>``
- :class:`BasicAuth` - httpx's own (username, password)
- :class:`ApiKeyHeaderAuth` - the key in a header of the API's choosing
- :class:`OAuth2RefreshTokenAuth` - trades the config's refresh token for access tokens, and persists
  what changed (rotated refresh token, access token, expiry) with a CONTROL message carrying the full
  updated config, so the next sync starts from the new tokens.
"""

from __future__ import annotations

import copy
import datetime as dt
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from typing import Any

import httpx

from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.sources.events import SourceEvents
from airbyte_dest_kit.sources.pagination import value_at

BasicAuth = httpx.BasicAuth


class BearerTokenAuth(httpx.Auth):
    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request


class ApiKeyHeaderAuth(httpx.Auth):
    """``<header_name>: <prefix><api_key>``, e.g. ``ApiKeyHeaderAuth("X-API-Key", key)``."""

    def __init__(self, header_name: str, api_key: str, *, prefix: str = "") -> None:
        self._name, self._value = header_name, f"{prefix}{api_key}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers[self._name] = self._value
        yield request


class OAuth2RefreshTokenAuth(httpx.Auth):
    """The OAuth 2.0 refresh-token grant, with the tokens kept in the config.

    ``config`` is the full connector config; the object at ``credentials_path`` holds ``client_id``,
    ``client_secret`` and ``refresh_token``, and receives ``access_token`` and ``token_expiry_date``. A
    token is fetched when there is none, when it expires within ``expiry_margin`` seconds, and once when the
    API answers 401. After each refresh the updated config goes out through ``events.config_updated``.
    """

    requires_response_body = True

    def __init__(
        self,
        config: Mapping[str, Any],
        token_url: str,
        events: SourceEvents,
        *,
        credentials_path: Sequence[str] = ("credentials",),
        expiry_margin: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = copy.deepcopy(dict(config))
        credentials = value_at(self.config, credentials_path)
        missing = [
            key
            for key in ("client_id", "client_secret", "refresh_token")
            if not isinstance(credentials, dict) or not credentials.get(key)
        ]
        if missing:
            where = ".".join(credentials_path)
            raise ConfigError(f"OAuth config: '{where}' needs {', '.join(missing)}")
        self.credentials: dict[str, Any] = credentials
        self.token_url, self.events, self.expiry_margin, self.clock = token_url, events, expiry_margin, clock

    def _token_is_fresh(self) -> bool:
        token, expiry = self.credentials.get("access_token"), self.credentials.get("token_expiry_date")
        if not token or not expiry:
            return False
        expires_at = dt.datetime.fromisoformat(str(expiry).replace("Z", "+00:00")).timestamp()
        return self.clock() < expires_at - self.expiry_margin

    def _refresh_request(self) -> httpx.Request:
        form = {
            "grant_type": "refresh_token",
            "client_id": self.credentials["client_id"],
            "client_secret": self.credentials["client_secret"],
            "refresh_token": self.credentials["refresh_token"],
        }
        return httpx.Request("POST", self.token_url, data=form)

    def _store_tokens(self, response: httpx.Response) -> None:
        if not response.is_success:
            raise ConfigError(
                f"OAuth token refresh at {self.token_url} failed with HTTP {response.status_code}; "
                "check client_id, client_secret and refresh_token (the refresh token may have been revoked)",
                internal_message=response.text[:500],
            )
        body = response.json()
        if not isinstance(body, dict) or not body.get("access_token"):
            raise ConfigError(f"OAuth token refresh at {self.token_url} returned no access_token")
        expires_in = float(body.get("expires_in", 3600))
        expiry = dt.datetime.fromtimestamp(self.clock() + expires_in, tz=dt.timezone.utc)
        self.credentials["access_token"] = body["access_token"]
        self.credentials["token_expiry_date"] = expiry.isoformat().replace("+00:00", "Z")
        self.events.new_secret(body["access_token"])
        if body.get("refresh_token"):  # single-use refresh tokens rotate: losing the new one locks us out
            self.credentials["refresh_token"] = body["refresh_token"]
            self.events.new_secret(body["refresh_token"])
        self.events.config_updated(self.config)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if not self._token_is_fresh():
            self._store_tokens((yield self._refresh_request()))
        request.headers["Authorization"] = f"Bearer {self.credentials['access_token']}"
        response = yield request
        if response.status_code == 401:  # revoked or expired early: one refresh, one retry
            self._store_tokens((yield self._refresh_request()))
            request.headers["Authorization"] = f"Bearer {self.credentials['access_token']}"
            yield request
