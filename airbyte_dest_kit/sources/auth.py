"""Authenticators: ``httpx.Auth`` flows to hand to :class:`~airbyte_dest_kit.sources.http.HttpClient`.

- :class:`BearerTokenAuth` - ``Authorization: Bearer <token>``
- :class:`BasicAuth` - httpx's own (username, password)
- :class:`ApiKeyHeaderAuth` - the key in a header of the API's choosing
- :class:`ApiKeyQueryAuth` - the key as a query parameter
- :class:`OAuth2RefreshAuth` - the refresh-token (or client-credentials) grant, tokens kept for the run
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


class ApiKeyQueryAuth(httpx.Auth):
    """The key as a query parameter of every request, e.g. ``ApiKeyQueryAuth("api_key", key)``. Errors never
    show query strings, so the key stays out of them."""

    def __init__(self, param_name: str, api_key: str) -> None:
        self._name, self._value = param_name, api_key

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.url = request.url.copy_merge_params({self._name: self._value})
        yield request


class OAuth2RefreshAuth(httpx.Auth):
    """The OAuth 2.0 refresh-token grant, tokens kept in memory; :meth:`persist` decides where they go.
    With ``grant_type="client_credentials"`` there is no refresh token: the client id and secret alone
    obtain each access token.

    A token is fetched when there is none, when it expires within ``expiry_margin`` seconds, and once when
    the API answers 401. ``access_token_name`` and ``expires_in_name`` name the fields of the token
    response (``expires_in`` is seconds, or with ``expiry_date_format`` the expiry date in that
    ``strptime`` format, UTC unless it says otherwise); ``extra_form`` adds fields to the refresh request.
    Every token obtained is a secret (masked).
    """

    requires_response_body = True

    def __init__(
        self,
        token_url: str,
        events: SourceEvents,
        *,
        client_id: str,
        client_secret: str,
        refresh_token: str | None = None,
        access_token: str | None = None,
        token_expiry_date: str | None = None,
        access_token_name: str = "access_token",
        expires_in_name: str = "expires_in",
        grant_type: str = "refresh_token",
        extra_form: Mapping[str, Any] | None = None,
        token_request_headers: Mapping[str, str] | None = None,
        expiry_date_format: str | None = None,
        expiry_margin: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token_url, self.events, self.expiry_margin, self.clock = token_url, events, expiry_margin, clock
        self.client_id, self.client_secret, self.refresh_token = client_id, client_secret, refresh_token
        self.access_token, self.token_expiry_date = access_token, token_expiry_date
        self.access_token_name, self.expires_in_name, self.grant_type = access_token_name, expires_in_name, grant_type
        self.extra_form = dict(extra_form or {})
        self.token_request_headers = dict(token_request_headers or {})
        self.expiry_date_format = expiry_date_format

    def persist(self, rotated_refresh_token: bool) -> None:
        """Called after every refresh; by default the tokens live only as long as the run."""

    def _token_is_fresh(self) -> bool:
        if not self.access_token or not self.token_expiry_date:
            return False
        expires_at = dt.datetime.fromisoformat(str(self.token_expiry_date).replace("Z", "+00:00")).timestamp()
        return self.clock() < expires_at - self.expiry_margin

    def _refresh_request(self) -> httpx.Request:
        form = {"grant_type": self.grant_type, "client_id": self.client_id, "client_secret": self.client_secret}
        if self.refresh_token is not None:
            form["refresh_token"] = self.refresh_token
        return httpx.Request(
            "POST", self.token_url, data={**form, **self.extra_form}, headers=self.token_request_headers or None
        )

    def _store_tokens(self, response: httpx.Response) -> None:
        if not response.is_success:
            raise ConfigError(
                f"OAuth token refresh at {self.token_url} failed with HTTP {response.status_code}; "
                "check client_id, client_secret"
                + (" and refresh_token (the refresh token may have been revoked)" if self.refresh_token else ""),
                internal_message=response.text[:500],
            )
        body = response.json()
        if not isinstance(body, dict) or not body.get(self.access_token_name):
            raise ConfigError(f"OAuth token refresh at {self.token_url} returned no {self.access_token_name}")
        expiry = self._expiry(body.get(self.expires_in_name))
        self.access_token = str(body[self.access_token_name])
        self.token_expiry_date = expiry.isoformat().replace("+00:00", "Z")
        self.events.new_secret(self.access_token)
        rotated = bool(body.get("refresh_token"))
        if rotated:  # single-use refresh tokens rotate: losing the new one locks us out
            self.refresh_token = str(body["refresh_token"])
            self.events.new_secret(self.refresh_token)
        self.persist(rotated)

    def _expiry(self, value: Any) -> dt.datetime:
        if value is None or self.expiry_date_format is None:
            seconds = float(value if value is not None else 3600)
            return dt.datetime.fromtimestamp(self.clock() + seconds, tz=dt.timezone.utc)
        try:
            expiry = dt.datetime.strptime(str(value), self.expiry_date_format)
        except ValueError:
            raise ConfigError(
                f"OAuth token refresh at {self.token_url}: {self.expires_in_name}={value!r} is not a date in the "
                f"format {self.expiry_date_format!r} (token_expiry_date_format)"
            ) from None
        return expiry if expiry.tzinfo else expiry.replace(tzinfo=dt.timezone.utc)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if not self._token_is_fresh():
            self._store_tokens((yield self._refresh_request()))
        request.headers["Authorization"] = f"Bearer {self.access_token}"
        response = yield request
        if response.status_code == 401:  # revoked or expired early: one refresh, one retry
            self._store_tokens((yield self._refresh_request()))
            request.headers["Authorization"] = f"Bearer {self.access_token}"
            yield request


class OAuth2RefreshTokenAuth(OAuth2RefreshAuth):
    """The refresh-token grant with the tokens kept in the config.

    ``config`` is the full connector config; the object at ``credentials_path`` holds ``client_id``,
    ``client_secret`` and ``refresh_token``, and receives ``access_token`` and ``token_expiry_date``. After
    each refresh the updated config goes out through ``events.config_updated``, so the next sync starts
    from the new tokens.
    """

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
        super().__init__(
            token_url,
            events,
            client_id=credentials["client_id"],
            client_secret=credentials["client_secret"],
            refresh_token=credentials["refresh_token"],
            access_token=credentials.get("access_token"),
            token_expiry_date=credentials.get("token_expiry_date"),
            expiry_margin=expiry_margin,
            clock=clock,
        )

    def persist(self, rotated_refresh_token: bool) -> None:
        self.credentials["access_token"] = self.access_token
        self.credentials["token_expiry_date"] = self.token_expiry_date
        self.credentials["refresh_token"] = self.refresh_token
        self.events.config_updated(self.config)
