"""The factory's authenticators and partition routers, and what it refuses."""

from __future__ import annotations

import base64
import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from airbyte_dest_kit.sources import SourceEvents
from airbyte_dest_kit.sources.declarative import error_handler as eh
from airbyte_dest_kit.sources.declarative import partitions
from airbyte_dest_kit.sources.declarative.factory import Factory
from airbyte_dest_kit.sources.declarative.manifest import ManifestError, Node

CONFIG = {
    "key": "k-0011223344",
    "user": "ann",
    "kinds": "a, b",
    "credentials": {"id": "cid", "secret": "cs", "refresh": "r0"},
}


def factory() -> tuple[Factory, list[str]]:
    events, secrets = SourceEvents(), []
    events.bind(lambda message: None, secrets.append)
    return Factory(CONFIG, Path("."), events), secrets


def headers_sent(auth: httpx.Auth | None) -> httpx.Request:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    with httpx.Client(auth=auth, transport=httpx.MockTransport(answer)) as client:
        client.get("http://api.test/x")
    return seen[0]


def test_api_key_in_a_legacy_header_or_a_query_parameter_and_basic_auth() -> None:
    build, secrets = factory()
    legacy = build.authenticator(
        Node.of({"type": "ApiKeyAuthenticator", "header": "X-Key", "api_token": "{{ config.key }}"}, "a")
    )
    assert headers_sent(legacy).headers["X-Key"] == "k-0011223344"
    query = build.authenticator(
        Node.of(
            {
                "type": "ApiKeyAuthenticator",
                "api_token": "{{ config.key }}",
                "inject_into": {"type": "RequestOption", "inject_into": "request_parameter", "field_name": "token"},
            },
            "a",
        )
    )
    assert headers_sent(query).url.params["token"] == "k-0011223344"
    basic = build.authenticator(Node.of({"type": "BasicHttpAuthenticator", "username": "{{ config.user }}"}, "b"))
    assert headers_sent(basic).headers["Authorization"] == "Basic " + base64.b64encode(b"ann:").decode()
    assert "k-0011223344" in secrets and "ann" in secrets  # credentials are masked once the factory reads them
    assert build.authenticator(Node.of({"type": "NoAuth"}, "n")) is None


def test_oauth_without_an_updater_keeps_its_tokens_for_the_run() -> None:
    build, _ = factory()
    sent: list[dict[str, Any]] = []
    build.events.bind(sent.append, lambda secret: None)
    auth = build.authenticator(
        Node.of(
            {
                "type": "OAuthAuthenticator",
                "token_refresh_endpoint": "http://api.test/token",
                "client_id": "{{ config.credentials.id }}",
                "client_secret": "{{ config.credentials.secret }}",
                "refresh_token": "{{ config.credentials.refresh }}",
                "access_token_name": "token",
                "expires_in_name": "ttl",
                "scopes": ["read", "write"],
            },
            "o",
        )
    )
    forms: list[bytes] = []

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            forms.append(request.content)
            return httpx.Response(200, json={"token": "t-1", "ttl": 60 * 60})
        return httpx.Response(200, json={"auth": request.headers["Authorization"]})

    with httpx.Client(auth=auth, transport=httpx.MockTransport(answer)) as client:
        assert client.get("http://api.test/x").json() == {"auth": "Bearer t-1"}
        client.get("http://api.test/x")
    assert forms == [b"grant_type=refresh_token&client_id=cid&client_secret=cs&refresh_token=r0&scope=read+write"]
    assert sent == []  # no CONTROL message without a refresh_token_updater


def test_list_and_substream_partitions_with_their_request_options() -> None:
    build, _ = factory()
    listed = build.list_partitions(
        Node.of(
            {
                "type": "ListPartitionRouter",
                "cursor_field": "kind",
                "values": "{{ config.kinds }}",
                "request_option": {"type": "RequestOption", "inject_into": "header", "field_name": "X-Kind"},
            },
            "l",
        )
    )
    assert list(listed.partitions()) == [{"kind": "a"}, {"kind": "b"}]
    assert listed.request_parts({"kind": "a"}).headers == {"X-Kind": "a"}
    parents = [({"p": 1}, {"owner": {"id": 7}}), ({"p": 1}, {"owner": None}), ({"p": 2}, {"owner": {"id": 8}})]
    router = partitions.SubstreamPartitionRouter(
        [
            partitions.ParentStreamConfig(
                lambda: iter(parents),
                "owner/id",
                "owner_id",
                build.request_option(
                    Node.of({"type": "RequestOption", "inject_into": "request_parameter", "field_name": "owner"}, "r")
                ),
            )
        ]
    )
    assert list(router.partitions()) == [
        {"owner_id": 7, "parent_slice": {"p": 1}},
        {"owner_id": 8, "parent_slice": {"p": 2}},
    ]
    assert router.request_parts({"owner_id": 7, "parent_slice": {}}).params == {"owner": 7}


def test_wait_until_time_from_header() -> None:
    response = httpx.Response(429, headers={"X-Reset": f"reset at {time.time() + 30:.0f}"})
    wait = eh.WaitUntilTimeFromHeader("X-Reset", regex=re.compile(r"\d+"), min_wait=1).seconds(response, 1)
    assert wait is not None and 28 <= wait <= 31
    assert (
        eh.WaitUntilTimeFromHeader("X-Reset", min_wait=5).seconds(httpx.Response(429, headers={"X-Reset": "0"}), 1) == 5
    )


def test_refused_components_and_fields_name_their_place() -> None:
    build, _ = factory()
    with pytest.raises(ManifestError, match=r"s.retriever: CustomRetriever is a custom Python component"):
        build.stream(
            Node.of(
                {
                    "type": "DeclarativeStream",
                    "name": "x",
                    "retriever": {"type": "CustomRetriever", "class_name": "a.B"},
                },
                "s",
            )
        )
    with pytest.raises(
        ManifestError, match="s.state_migrations: field 'state_migrations' of DeclarativeStream is not supported"
    ):
        build.stream(
            Node.of(
                {
                    "type": "DeclarativeStream",
                    "name": "x",
                    "state_migrations": [{"type": "LegacyToPerPartitionStateMigration"}],
                    "retriever": {},
                },
                "s",
            )
        )
    with pytest.raises(ManifestError, match="step and cursor_granularity go together"):
        build.datetime_cursor(
            Node.of(
                {
                    "type": "DatetimeBasedCursor",
                    "cursor_field": "u",
                    "datetime_format": "%s",
                    "start_datetime": "0",
                    "step": "P1D",
                },
                "c",
            ),
            "s",
        )


def test_json_decoder_is_accepted_and_other_decoders_refused() -> None:
    build, _ = factory()
    build.json_decoder(Node.of({"decoder": {"type": "JsonDecoder"}}, "r"))
    build.json_decoder(Node.of({}, "r"))
    with pytest.raises(ManifestError, match=r"r.decoder: component type 'XmlDecoder' is not supported as a decoder"):
        build.json_decoder(Node.of({"decoder": {"type": "XmlDecoder"}}, "r"))
