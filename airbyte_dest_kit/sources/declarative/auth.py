"""Manifest authenticators on the kit's ``httpx.Auth`` flows (:mod:`airbyte_dest_kit.sources.auth`).

``SessionTokenAuthenticator`` logs in with its ``login_requester`` before the first request and again once
``expiration_duration`` has passed, and sends the token found at ``session_token_path`` in the login
response as a bearer token or an API key (:class:`SessionTokenAuth`).

``ApiKeyAuthenticator`` with ``inject_into: body_json`` / ``body_data`` puts the key into every request's
JSON or form body (:class:`ApiKeyBodyAuth`), next to what the request already sends there.

``OAuthAuthenticator`` refreshes its access token with the refresh-token grant. With a
``refresh_token_updater`` (for APIs whose refresh tokens are single-use) the new tokens are written into
the config at ``refresh_token_config_path`` / ``access_token_config_path`` /
``token_expiry_date_config_path`` and the updated config goes out as a CONTROL message, as Airbyte does;
without one they live for the run.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import threading
import time
import urllib.parse
from collections.abc import Callable, Generator, Mapping, Sequence
from typing import Any

import httpx

from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.sources.auth import OAuth2RefreshAuth
from airbyte_dest_kit.sources.declarative.request_options import RequestOption
from airbyte_dest_kit.sources.events import SourceEvents


class ConfigPersistedOAuth(OAuth2RefreshAuth):
    def __init__(
        self,
        config: Mapping[str, Any],
        paths: Mapping[str, Sequence[str]],
        token_url: str,
        events: SourceEvents,
        **fields: Any,
    ) -> None:
        super().__init__(token_url, events, **fields)
        self.config = copy.deepcopy(dict(config))
        self.paths = paths  # "access_token" / "refresh_token" / "token_expiry_date" -> config path

    def persist(self, rotated_refresh_token: bool) -> None:
        values = {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "token_expiry_date": self.token_expiry_date,
        }
        for name, path in self.paths.items():
            target = self.config
            for key in path[:-1]:
                target = target.setdefault(key, {})
            target[path[-1]] = values[name]
        self.events.config_updated(self.config)


class ApiKeyBodyAuth(httpx.Auth):
    """The key in the request body, as ``option`` (a ``body_json`` or ``body_data`` RequestOption) says."""

    def __init__(self, option: RequestOption, api_key: str) -> None:
        self.option, self.api_key = option, api_key

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        content = request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("content-length", "content-type")}
        added = self.option.parts(self.api_key)
        if self.option.inject_into == "body_json":
            body = json.loads(content) if content else {}
            if not isinstance(body, dict):
                body = {}
            for key, value in added.json.items():  # one top-level key; nested below it for a field_path
                body[key] = _merged(body.get(key), value)
            yield httpx.Request(request.method, request.url, headers=headers, json=body, extensions=request.extensions)
        else:
            form = dict(urllib.parse.parse_qsl(content.decode())) if content else {}
            form.update(added.data)
            yield httpx.Request(request.method, request.url, headers=headers, data=form, extensions=request.extensions)


def _merged(existing: Any, added: Any) -> Any:
    if isinstance(existing, dict) and isinstance(added, Mapping):
        return {**existing, **{key: _merged(existing.get(key), value) for key, value in added.items()}}
    return added


class SessionTokenAuth(httpx.Auth):
    """A session token from ``fetch_token`` (a login), fetched again after ``expiration``; each token is
    a secret."""

    def __init__(
        self,
        fetch_token: Callable[[], str],
        authenticate_with: Callable[[str], httpx.Auth],
        on_token: Callable[[str], None],
        expiration: dt.timedelta | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.fetch_token, self.authenticate_with = fetch_token, authenticate_with
        self.on_token, self.expiration, self.clock = on_token, expiration, clock
        self._auth: httpx.Auth | None = None
        self._expires_at = 0.0
        self._lock = threading.Lock()

    def _current(self) -> httpx.Auth:
        with self._lock:  # one login for the streams read at once
            if self._auth is None or (self.expiration is not None and self.clock() >= self._expires_at):
                token = self.fetch_token()
                self.on_token(token)
                self._auth = self.authenticate_with(token)
                if self.expiration is not None:
                    self._expires_at = self.clock() + self.expiration.total_seconds()
            return self._auth

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        yield from self._current().auth_flow(request)


def token_at(response: httpx.Response | None, path: Sequence[str], login: str) -> str:
    """The session token at ``path`` in a login response's JSON body."""
    try:
        token: Any = response.json() if response is not None else None
    except ValueError:
        token = None
    for key in path:
        token = token.get(key) if isinstance(token, Mapping) else None
    if token in (None, ""):
        raise ConfigError(
            f"the {login} response has no session token at {'.'.join(path)}; check the credentials in the config"
        )
    return str(token)


def legacy_session_token(
    client: httpx.Client,
    token: str,
    header: str,
    validate_url: str,
    login_url: str,
    username: str,
    password: str,
    token_key: str,
) -> str:
    """``LegacySessionTokenAuthenticator``'s token: the config's, if the API still accepts it at
    ``validate_url``, else a new one from logging in with the username and password (as airbyte-cdk)."""
    if token:
        check = client.get(validate_url, headers={header: token})
        if check.is_success:
            return token
        if check.status_code != 401:
            raise ConfigError(f"validating the session token at {validate_url} failed with HTTP {check.status_code}")
    if not (username and password):
        raise ConfigError("the session token is not valid (or not set): set username and password in the config")
    login = client.post(login_url, json={"username": username, "password": password})
    if not login.is_success:
        raise ConfigError(
            f"logging in at {login_url} failed with HTTP {login.status_code}; check username and password"
        )
    return token_at(login, [token_key], "login")
