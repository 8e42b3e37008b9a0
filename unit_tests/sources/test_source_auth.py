"""Authenticators, and the OAuth refresh-token flow persisting rotated tokens through a CONTROL message."""

from __future__ import annotations

import base64
import datetime as dt
import urllib.parse
from typing import Any

import httpx
import pytest

from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.sources import SourceEvents
from airbyte_dest_kit.sources.auth import ApiKeyHeaderAuth, BasicAuth, BearerTokenAuth, OAuth2RefreshTokenAuth
from airbyte_dest_kit.sources.http import HttpClient

TOKEN_URL = "https://auth.example.test/token"
NOW = 1_800_000_000.0


def echo_headers(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=dict(request.headers))


@pytest.mark.parametrize(
    ("auth", "header", "value"),
    [
        (BearerTokenAuth("tok"), "authorization", "Bearer tok"),
        (ApiKeyHeaderAuth("X-API-Key", "k1"), "x-api-key", "k1"),
        (ApiKeyHeaderAuth("Authorization", "k2", prefix="Token "), "authorization", "Token k2"),
        (BasicAuth("ada", "pw"), "authorization", "Basic " + base64.b64encode(b"ada:pw").decode()),
    ],
)
def test_static_authenticators_set_their_header(auth: httpx.Auth, header: str, value: str) -> None:
    client = HttpClient("https://api.example.test", auth=auth, transport=httpx.MockTransport(echo_headers))
    assert client.request("GET", "/me").json()[header] == value


class OAuthServer:
    """Token endpoint with rotating refresh tokens, and an API accepting only the newest access token."""

    def __init__(self, reject_first_api_call: bool = False) -> None:
        self.refresh_token, self.access_token, self.issued = "refresh-0", None, 0
        self.reject_first_api_call = reject_first_api_call
        self.api_calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if str(request.url) == TOKEN_URL:
            form = dict(urllib.parse.parse_qsl(request.content.decode()))
            if form != {
                "grant_type": "refresh_token",
                "client_id": "cid",
                "client_secret": "csecret",
                "refresh_token": self.refresh_token,
            }:
                return httpx.Response(400, json={"error": "invalid_grant"})
            self.issued += 1
            self.access_token, self.refresh_token = f"access-{self.issued}", f"refresh-{self.issued}"
            return httpx.Response(
                200, json={"access_token": self.access_token, "expires_in": 600, "refresh_token": self.refresh_token}
            )
        self.api_calls += 1
        if self.reject_first_api_call and self.api_calls == 1:
            return httpx.Response(401)
        if request.headers.get("Authorization") != f"Bearer {self.access_token}":
            return httpx.Response(401)
        return httpx.Response(200, json={"ok": True})


def oauth_client(
    server: OAuthServer, credentials: dict[str, Any]
) -> tuple[HttpClient, list[dict[str, Any]], list[str], OAuth2RefreshTokenAuth]:
    events, sent, secrets = SourceEvents(), [], []
    events.bind(sent.append, secrets.append)
    config = {
        "start_date": "2024-01-01",
        "credentials": {"client_id": "cid", "client_secret": "csecret", **credentials},
    }
    auth = OAuth2RefreshTokenAuth(config, TOKEN_URL, events, clock=lambda: NOW)
    return HttpClient("https://api.example.test", auth=auth, transport=httpx.MockTransport(server)), sent, secrets, auth


def test_first_request_refreshes_and_persists_the_full_updated_config() -> None:
    server = OAuthServer()
    client, sent, secrets, auth = oauth_client(server, {"refresh_token": "refresh-0"})
    assert client.request("GET", "/data").json() == {"ok": True}
    (control,) = sent
    assert control["type"] == "CONTROL"
    assert control["control"]["type"] == "CONNECTOR_CONFIG"
    assert isinstance(control["control"]["emitted_at"], float)
    expiry = dt.datetime.fromtimestamp(NOW + 600, tz=dt.timezone.utc).isoformat().replace("+00:00", "Z")
    assert control["control"]["connectorConfig"]["config"] == {
        "start_date": "2024-01-01",
        "credentials": {
            "client_id": "cid",
            "client_secret": "csecret",
            "refresh_token": "refresh-1",
            "access_token": "access-1",
            "token_expiry_date": expiry,
        },
    }
    assert secrets == ["access-1", "refresh-1"]
    # a second request reuses the fresh token: no refresh, no CONTROL
    client.request("GET", "/data")
    assert server.issued == 1 and len(sent) == 1


def test_a_token_still_valid_in_the_config_is_used_without_refreshing() -> None:
    server = OAuthServer()
    server.access_token = "stored"
    later = dt.datetime.fromtimestamp(NOW + 3600, tz=dt.timezone.utc).isoformat()
    client, sent, _, _ = oauth_client(
        server, {"refresh_token": "refresh-0", "access_token": "stored", "token_expiry_date": later}
    )
    client.request("GET", "/data")
    assert server.issued == 0 and sent == []


def test_a_token_about_to_expire_is_refreshed() -> None:
    server = OAuthServer()
    soon = dt.datetime.fromtimestamp(NOW + 30, tz=dt.timezone.utc).isoformat()  # inside the 60 s margin
    client, sent, _, _ = oauth_client(
        server, {"refresh_token": "refresh-0", "access_token": "old", "token_expiry_date": soon}
    )
    client.request("GET", "/data")
    assert server.issued == 1 and len(sent) == 1


def test_401_triggers_one_refresh_and_one_retry() -> None:
    server = OAuthServer(reject_first_api_call=True)
    client, sent, _, auth = oauth_client(server, {"refresh_token": "refresh-0"})
    assert client.request("GET", "/data").json() == {"ok": True}
    assert server.issued == 2 and server.api_calls == 2
    assert [c["control"]["connectorConfig"]["config"]["credentials"]["refresh_token"] for c in sent] == [
        "refresh-1",
        "refresh-2",
    ]
    assert auth.config["credentials"]["refresh_token"] == "refresh-2"


def test_a_refused_refresh_is_a_config_error() -> None:
    client, sent, _, _ = oauth_client(OAuthServer(), {"refresh_token": "revoked"})
    with pytest.raises(ConfigError, match="OAuth token refresh at .* failed with HTTP 400"):
        client.request("GET", "/data")
    assert sent == []


def test_missing_oauth_credentials_are_named() -> None:
    with pytest.raises(ConfigError, match="'credentials' needs client_secret, refresh_token"):
        OAuth2RefreshTokenAuth({"credentials": {"client_id": "x"}}, TOKEN_URL, SourceEvents())


def test_events_reported_before_binding_are_held_not_lost() -> None:
    events = SourceEvents()
    events.config_updated({"a": 1})
    sent: list[dict[str, Any]] = []
    events.bind(sent.append, lambda secret: None)
    assert [m["control"]["connectorConfig"]["config"] for m in sent] == [{"a": 1}]
