"""Components and fields Airbyte's own manifests use most: chained error handlers, lists of partition
routers, fields Airbyte's schema allows but gives no meaning on a component, API keys in bodies, OAuth's
client-credentials grant, session tokens, authenticators selected by the config."""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse
from pathlib import Path
from typing import Any

import httpx
import pytest

from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.runtime.http import ResponseAction
from airbyte_dest_kit.sources import SourceEvents
from airbyte_dest_kit.sources.declarative import partitions
from airbyte_dest_kit.sources.declarative.factory import Factory
from airbyte_dest_kit.sources.declarative.manifest import ManifestError, Node
from airbyte_dest_kit.testing.local_server import LocalJsonServer

CONFIG: dict[str, Any] = {
    "key": "k-0011223344",
    "user": "ann",
    "password": "pw-5566",
    "client": {"id": "cid", "secret": "cs-778899"},
    "auth": {"method": "api_key", "key": "k-sel-123"},
}


def factory(config: dict[str, Any] | None = None) -> tuple[Factory, list[str]]:
    events, secrets = SourceEvents(), []
    events.bind(lambda message: None, secrets.append)
    return Factory(config or CONFIG, Path("."), events), secrets


def filter_(codes: list[int], action: str, **extra: Any) -> dict[str, Any]:
    return {"type": "HttpResponseFilter", "http_codes": codes, "action": action, **extra}


# -- CompositeErrorHandler ---------------------------------------------------------------------------------


def composite() -> Any:
    build, _ = factory()
    return build.any_error_handler(
        Node.of(
            {
                "type": "CompositeErrorHandler",
                "error_handlers": [
                    {
                        "type": "DefaultErrorHandler",
                        "response_filters": [filter_([404], "IGNORE"), filter_([429], "RATE_LIMITED")],
                        "backoff_strategies": [{"type": "WaitTimeFromHeader", "header": "X-Wait"}],
                        "max_retries": 3,
                    },
                    {
                        # untyped: a DefaultErrorHandler, as in Airbyte
                        "response_filters": [filter_([403], "RETRY"), filter_([429], "RETRY")],
                        "backoff_strategies": [{"type": "ConstantBackoffStrategy", "backoff_time_in_seconds": 7}],
                        "max_retries": 9,
                    },
                ],
            },
            "h",
        )
    )


def test_composite_error_handler_tries_its_handlers_in_order() -> None:
    handler = composite()
    # the first handler decides what it ignores or accepts
    assert handler.verdict(httpx.Response(404)).action is ResponseAction.IGNORE
    assert handler.verdict(httpx.Response(200)).action is ResponseAction.SUCCESS
    # a failure of the first goes on to the second, which retries it
    assert handler.verdict(httpx.Response(403)).action is ResponseAction.RETRY
    # rate limited is not decisive in airbyte-cdk either: the second handler's retry wins
    assert handler.verdict(httpx.Response(429)).action is ResponseAction.RETRY
    # nobody accepts a 400: the last handler's verdict (its default: fail) stands
    assert handler.verdict(httpx.Response(400)).action is ResponseAction.FAIL
    # waits: the first strategy with an answer, in handler order; retries: the first handler's
    assert handler.backoff(httpx.Response(429, headers={"X-Wait": "2"}), 1) == 2.0
    assert handler.backoff(httpx.Response(403), 1) == 7.0
    assert handler.max_retries == 3


def test_composite_error_handler_needs_handlers_and_refuses_unknown_ones() -> None:
    build, _ = factory()
    with pytest.raises(ManifestError, match="h.error_handlers: needs at least one error handler"):
        build.any_error_handler(Node.of({"type": "CompositeErrorHandler", "error_handlers": []}, "h"))
    with pytest.raises(ManifestError, match=r"h.error_handlers\[0\]: CustomErrorHandler is a custom Python component"):
        build.any_error_handler(
            Node.of(
                {
                    "type": "CompositeErrorHandler",
                    "error_handlers": [{"type": "CustomErrorHandler", "class_name": "a.B"}],
                },
                "h",
            )
        )


# -- a list of partition routers ------------------------------------------------------------------------


def test_a_list_of_partition_routers_reads_every_combination_with_each_routers_options() -> None:
    build, _ = factory()
    router = build.partition_router(
        Node.of(
            {
                "type": "SimpleRetriever",
                "partition_router": [
                    {
                        "type": "ListPartitionRouter",
                        "cursor_field": "region",
                        "values": ["eu", "us"],
                        "request_option": {"inject_into": "request_parameter", "field_name": "r"},
                    },
                    {
                        "type": "ListPartitionRouter",
                        "cursor_field": "kind",
                        "values": ["a", "b", "c"],
                        "request_option": {"inject_into": "header", "field_name": "X-Kind"},
                    },
                ],
            },
            "r",
        )
    )
    assert isinstance(router, partitions.CartesianProductRouter)
    seen = list(router.partitions())
    assert seen == [{"region": r, "kind": k} for r in ("eu", "us") for k in ("a", "b", "c")]
    parts = router.request_parts({"region": "us", "kind": "c"})
    assert parts.params == {"r": "us"} and parts.headers == {"X-Kind": "c"}


def test_a_list_of_one_router_is_that_router_and_an_empty_list_is_one_partition() -> None:
    build, _ = factory()
    one = {"type": "ListPartitionRouter", "cursor_field": "k", "values": ["x"]}
    router = build.partition_router(Node.of({"type": "SimpleRetriever", "partition_router": [one]}, "r"))
    assert isinstance(router, partitions.ListPartitionRouter)
    empty = build.partition_router(Node.of({"type": "SimpleRetriever", "partition_router": []}, "r"))
    assert list(empty.partitions()) == [{}]


# -- fields Airbyte allows ------------------------------------------------------------------------------


CURSOR = {
    "type": "DatetimeBasedCursor",
    "cursor_field": "updated",
    "datetime_format": "%Y-%m-%d",
    "start_datetime": "2024-01-01",
}


def test_fields_airbyte_gives_no_meaning_on_a_component_are_accepted() -> None:
    build, _ = factory()
    # Airbyte's own manifests: a name on a cursor, a path on an authenticator, a primary key on a retriever
    build.datetime_cursor(Node.of({**CURSOR, "name": "users", "primary_key": "id"}, "c"), "s")
    build.authenticator(Node.of({"type": "BearerAuthenticator", "api_token": "t", "path": "/x", "name": "a"}, "a"))
    # a field that changes how requests are made, not what is read
    build.requester(
        Node.of(
            {"type": "HttpRequester", "url_base": "http://api.test", "use_cache": True, "read_timeout_in_seconds": 5},
            "q",
        )
    )
    # a field Airbyte defines, at the value where it does nothing
    build.datetime_cursor(Node.of({**CURSOR, "global_substream_cursor": False}, "c"), "s")


def test_fields_airbyte_defines_but_this_runtime_does_not_implement_are_refused() -> None:
    build, _ = factory()
    with pytest.raises(ManifestError, match="c.clamping: field 'clamping' of DatetimeBasedCursor"):
        build.datetime_cursor(Node.of({**CURSOR, "clamping": {"target": "DAY"}}, "c"), "s")
    with pytest.raises(ManifestError, match="c.global_substream_cursor: field 'global_substream_cursor' of"):
        build.datetime_cursor(Node.of({**CURSOR, "global_substream_cursor": True}, "c"), "s")
    with pytest.raises(ManifestError, match="q.query_properties: field 'query_properties' of HttpRequester"):
        build.requester(Node.of({"type": "HttpRequester", "url_base": "http://x", "query_properties": {}}, "q"))


# -- ApiKeyAuthenticator.inject_into ---------------------------------------------------------------------


def sent_with(auth: httpx.Auth | None, **request: Any) -> httpx.Request:
    seen: list[httpx.Request] = []

    def answer(sent: httpx.Request) -> httpx.Response:
        seen.append(sent)
        return httpx.Response(200, json={})

    with httpx.Client(auth=auth, transport=httpx.MockTransport(answer)) as client:
        client.post("http://api.test/x", **request)
    return seen[0]


def api_key(inject_into: str, **option: Any) -> httpx.Auth | None:
    build, _ = factory()
    return build.authenticator(
        Node.of(
            {
                "type": "ApiKeyAuthenticator",
                "api_token": "{{ config.key }}",
                "inject_into": {"type": "RequestOption", "inject_into": inject_into, **option},
            },
            "a",
        )
    )


def test_an_api_key_in_the_json_body_joins_what_the_request_sends() -> None:
    request = sent_with(api_key("body_json", field_name="key"), json={"query": {"q": 1}})
    assert json.loads(request.content) == {"query": {"q": 1}, "key": "k-0011223344"}
    assert request.headers["Content-Type"] == "application/json"
    nested = sent_with(api_key("body_json", field_path=["auth", "key"]), json={"auth": {"user": "ann"}})
    assert json.loads(nested.content) == {"auth": {"user": "ann", "key": "k-0011223344"}}
    alone = sent_with(api_key("body_json", field_name="key"))
    assert json.loads(alone.content) == {"key": "k-0011223344"}


def test_an_api_key_in_the_form_body_and_in_a_header() -> None:
    request = sent_with(api_key("body_data", field_name="key"), data={"page": "2"})
    assert urllib.parse.parse_qs(request.content.decode()) == {"page": ["2"], "key": ["k-0011223344"]}
    assert sent_with(api_key("header", field_name="X-Key")).headers["X-Key"] == "k-0011223344"
    assert sent_with(api_key("request_parameter", field_name="k")).url.params["k"] == "k-0011223344"


# -- OAuth client credentials and session tokens, against a local server ----------------------------------


class AuthServer(LocalJsonServer):
    """A token endpoint, a login endpoint and a resource that echoes how it was authenticated."""

    def __init__(self) -> None:
        self.token_forms: list[dict[str, str]] = []
        self.logins: list[dict[str, Any]] = []

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: Any, body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        if path == "/oauth/token":
            form = dict(urllib.parse.parse_qsl(body.decode()))
            self.token_forms.append(form)
            if form.get("client_secret") != "cs-778899":
                return 401, {}, {"error": "invalid_client"}
            return 200, {}, {"access_token": f"at-{len(self.token_forms)}", "expires_in": 3600}
        if path == "/api/user/current":  # the legacy authenticator's validation of a configured token
            return (200, {}, {}) if headers.get("X-Session") == "still-good" else (401, {}, {})
        if path == "/api/session":
            self.logins.append(json.loads(body))
            return 200, {}, {"id": f"st-{len(self.logins)}"}
        if path == "/login":
            login = json.loads(body)
            self.logins.append(login)
            if login != {"username": "ann", "password": "pw-5566"}:
                return 401, {}, {"error": "bad credentials"}
            return 200, {}, {"session": {"token": f"st-{len(self.logins)}"}}
        return 200, {}, {"authorization": headers.get("Authorization"), "x_session": headers.get("X-Session")}


def client_credentials(token_url: str, **extra: Any) -> Node:
    node = {
        "type": "OAuthAuthenticator",
        "grant_type": "client_credentials",
        "token_refresh_endpoint": token_url,
        "client_id": "{{ config.client.id }}",
        "client_secret": "{{ config.client.secret }}",
    }
    return Node.of({**node, **extra}, "o")


def test_oauth_client_credentials_fetch_a_token_without_a_refresh_token() -> None:
    with AuthServer() as server:
        build, secrets = factory()
        auth = build.authenticator(
            client_credentials(f"{server.base_url}/oauth/token", refresh_request_headers={"X-Tenant": "t1"})
        )
        with httpx.Client(auth=auth) as client:
            assert client.get(f"{server.base_url}/data").json()["authorization"] == "Bearer at-1"
            client.get(f"{server.base_url}/data")  # the token is kept while it is fresh
        assert server.token_forms == [
            {"grant_type": "client_credentials", "client_id": "cid", "client_secret": "cs-778899"}
        ]
        assert "at-1" in secrets and "cs-778899" in secrets


def test_oauth_client_credentials_rejected_is_a_config_error_naming_the_client() -> None:
    with AuthServer() as server:
        build, _ = factory({**CONFIG, "client": {"id": "cid", "secret": "wrong"}})
        auth = build.authenticator(client_credentials(f"{server.base_url}/oauth/token"))
        with httpx.Client(auth=auth) as client, pytest.raises(ConfigError, match="check client_id, client_secret$"):
            client.get(f"{server.base_url}/data")


def session_auth(server: AuthServer, config: dict[str, Any], how: dict[str, Any], expiration: str | None = None) -> Any:
    build, secrets = factory(config)
    node: dict[str, Any] = {
        "type": "SessionTokenAuthenticator",
        "login_requester": {
            "type": "HttpRequester",
            "url_base": server.base_url,
            "path": "/login",
            "http_method": "POST",
            "request_body_json": {"username": "{{ config.user }}", "password": "{{ config.password }}"},
        },
        "session_token_path": ["session", "token"],
        "request_authentication": how,
    }
    if expiration:
        node["expiration_duration"] = expiration
    return build.authenticator(Node.of(node, "st")), secrets


def test_a_session_token_logs_in_once_and_is_sent_as_a_bearer_token() -> None:
    with AuthServer() as server:
        auth, secrets = session_auth(server, CONFIG, {"type": "Bearer"})
        with httpx.Client(auth=auth) as client:
            assert client.get(f"{server.base_url}/data").json()["authorization"] == "Bearer st-1"
            assert client.get(f"{server.base_url}/data").json()["authorization"] == "Bearer st-1"
        assert len(server.logins) == 1 and "st-1" in secrets


def test_a_session_token_as_an_api_key_and_a_new_login_once_it_expires() -> None:
    with AuthServer() as server:
        how = {
            "type": "ApiKey",
            "api_token": "Session {{ session_token }}",
            "inject_into": {"type": "RequestOption", "inject_into": "header", "field_name": "X-Session"},
        }
        auth, _ = session_auth(server, CONFIG, how, expiration="PT1H")
        now = [0.0]
        auth.clock = lambda: now[0]
        with httpx.Client(auth=auth) as client:
            assert client.get(f"{server.base_url}/data").json()["x_session"] == "Session st-1"
            now[0] = dt.timedelta(minutes=59).total_seconds()
            assert client.get(f"{server.base_url}/data").json()["x_session"] == "Session st-1"
            now[0] = dt.timedelta(minutes=61).total_seconds()
            assert client.get(f"{server.base_url}/data").json()["x_session"] == "Session st-2"
        assert len(server.logins) == 2


def test_a_refused_login_fails_before_any_data_request() -> None:
    with AuthServer() as server:
        auth, _ = session_auth(server, {**CONFIG, "password": "wrong"}, {"type": "Bearer"})
        with httpx.Client(auth=auth) as client, pytest.raises(ConfigError, match="401"):
            client.get(f"{server.base_url}/data")
        assert len(server.logins) == 1


# -- SelectiveAuthenticator ------------------------------------------------------------------------------


SELECTIVE = {
    "type": "SelectiveAuthenticator",
    "authenticator_selection_path": ["auth", "method"],
    "authenticators": {
        "api_key": {"type": "ApiKeyAuthenticator", "header": "X-Key", "api_token": "{{ config.auth.key }}"},
        # needs config keys the api_key config does not have: must not be built
        "oauth": {
            "type": "OAuthAuthenticator",
            "token_refresh_endpoint": "http://api.test/token",
            "client_id": "{{ config.auth.client_id }}",
            "client_secret": "{{ config.auth.client_secret }}",
            "refresh_token": "{{ config.auth.refresh_token }}",
        },
    },
}


def test_the_config_selects_which_authenticator_is_built() -> None:
    build, _ = factory()
    auth = build.authenticator(Node.of(SELECTIVE, "sel"))
    assert sent_with(auth).headers["X-Key"] == "k-sel-123"


def test_a_selection_that_names_no_authenticator_is_a_config_error() -> None:
    build, _ = factory({**CONFIG, "auth": {"method": "token"}})
    with pytest.raises(ConfigError, match="config key 'auth.method' .* must be one of 'api_key', 'oauth', not 'token'"):
        build.authenticator(Node.of(SELECTIVE, "sel"))


# -- DatetimeBasedCursor.is_data_feed and is_compare_strictly, parents with incremental_dependency --------


class FeedServer(LocalJsonServer):
    """``/feed?page=N``: three records a page, newest first, one a day from 2024-03-10 back to 03-01;
    ``/parents`` and ``/children/<id>``."""

    def __init__(self) -> None:
        self.pages: list[str] = []

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: Any, body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        if path == "/parents":
            return 200, {}, {"data": [{"id": 1}, {"id": 2}]}
        if path.startswith("/children/"):
            return 200, {}, {"data": [{"parent": path.rsplit("/", 1)[1], "updated": "2024-03-09"}]}
        page = query.get("page", "1")  # the first request has no page parameter
        self.pages.append(page)
        first = (int(page) - 1) * 3
        days = [dt.date(2024, 3, 10) - dt.timedelta(days=first + i) for i in range(3) if first + i < 10]
        return 200, {}, {"data": [{"id": first + i, "updated": day.isoformat()} for i, day in enumerate(days)]}


def feed_stream(server: FeedServer, **cursor: Any) -> Any:
    build, _ = factory()
    return build.stream(
        Node.of(
            {
                "type": "DeclarativeStream",
                "name": "feed",
                "primary_key": "id",
                "retriever": {
                    "type": "SimpleRetriever",
                    "requester": {"type": "HttpRequester", "url_base": server.base_url, "path": "/feed"},
                    "record_selector": {"type": "RecordSelector", "extractor": {"field_path": ["data"]}},
                    "paginator": {
                        "type": "DefaultPaginator",
                        "pagination_strategy": {"type": "PageIncrement", "page_size": 3},
                        "page_token_option": {
                            "type": "RequestOption",
                            "inject_into": "request_parameter",
                            "field_name": "page",
                        },
                    },
                },
                "incremental_sync": {
                    **CURSOR,
                    "start_datetime": "2024-02-01",
                    "end_datetime": "2024-03-10",
                    **cursor,
                },
            },
            "s",
        )
    )


def read(stream: Any) -> list[dict[str, Any]]:
    records = []
    for stream_slice in stream.slices():
        records += list(stream.read(stream_slice))
        stream.close_slice(stream_slice)
    return records


def test_a_data_feed_stops_paging_after_the_page_that_reaches_past_the_state_and_drops_older_records() -> None:
    with FeedServer() as server:
        stream = feed_stream(server, is_data_feed=True)
        stream.load_state({"updated": "2024-03-06"})
        records = read(stream)
        # pages 1 (03-10..03-08) and 2 (03-07..03-05): page 2 ends before the state, so no page 3
        assert server.pages == ["1", "2"]
        assert [r["updated"] for r in records] == ["2024-03-10", "2024-03-09", "2024-03-08", "2024-03-07", "2024-03-06"]
        assert stream.dump_state() == {"updated": "2024-03-10"}


def test_without_data_feed_every_page_and_record_is_read() -> None:
    with FeedServer() as server:
        stream = feed_stream(server)
        stream.load_state({"updated": "2024-03-06"})
        assert len(read(stream)) == 10  # every record: the API is trusted to filter
        assert server.pages == ["1", "2", "3", "4"]


def test_strict_comparison_skips_the_windows_whose_start_is_their_end() -> None:
    build, _ = factory()
    options = {**CURSOR, "start_datetime": "2024-03-01", "end_datetime": "2024-03-03", "step": "P1D"}
    loose = build.datetime_cursor(Node.of({**options, "cursor_granularity": "PT1S"}, "c"), "s")
    strict = build.datetime_cursor(
        Node.of({**options, "cursor_granularity": "PT1S", "is_compare_strictly": True}, "c"), "s"
    )
    # the last window runs from 03-03 00:00 to the end, 03-03 00:00
    assert [w["start_time"] for w in loose.windows()] == ["2024-03-01", "2024-03-02", "2024-03-03"]
    assert [w["start_time"] for w in strict.windows()] == ["2024-03-01", "2024-03-02"]


def test_a_parent_with_incremental_dependency_is_read_in_full() -> None:
    with FeedServer() as server:
        build, _ = factory()
        parent = {
            "type": "DeclarativeStream",
            "name": "parents",
            "retriever": {
                "requester": {"url_base": server.base_url, "path": "/parents"},
                "record_selector": {"extractor": {"field_path": ["data"]}},
            },
        }
        child = build.stream(
            Node.of(
                {
                    "type": "DeclarativeStream",
                    "name": "children",
                    "retriever": {
                        "requester": {"url_base": server.base_url, "path": "/children/{{ stream_partition.pid }}"},
                        "record_selector": {"extractor": {"field_path": ["data"]}},
                        "partition_router": {
                            "type": "SubstreamPartitionRouter",
                            "parent_stream_configs": [
                                {
                                    "stream": parent,
                                    "parent_key": "id",
                                    "partition_field": "pid",
                                    "incremental_dependency": True,
                                }
                            ],
                        },
                    },
                },
                "s",
            )
        )
        assert [r["parent"] for r in read(child)] == ["1", "2"]


def test_an_oauth_expiry_given_as_a_date_in_a_format() -> None:
    build, _ = factory()
    auth = build.authenticator(
        client_credentials(
            "http://api.test/token", token_expiry_date_format="%Y-%m-%d %H:%M:%S", expires_in_name="expires_at"
        )
    )
    tokens = iter(["t-1", "t-2"])

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            return httpx.Response(200, json={"access_token": next(tokens), "expires_at": "2999-01-01 00:00:00"})
        return httpx.Response(200, json={"auth": request.headers["Authorization"]})

    with httpx.Client(auth=auth, transport=httpx.MockTransport(answer)) as client:
        assert client.get("http://api.test/x").json() == {"auth": "Bearer t-1"}
        assert client.get("http://api.test/x").json() == {"auth": "Bearer t-1"}  # fresh until 2999
    assert auth.token_expiry_date == "2999-01-01T00:00:00Z"


def test_a_custom_component_without_a_type_is_refused_as_custom() -> None:
    build, _ = factory()
    with pytest.raises(ManifestError, match="a: components.TypeformAuthenticator is a custom Python component"):
        build.authenticator(Node.of({"class_name": "components.TypeformAuthenticator", "token_auth": {}}, "a"))


# -- RecordSelector.schema_normalization ----------------------------------------------------------------


def test_default_schema_normalization_converts_values_to_the_schemas_types_after_the_transformations() -> None:
    build, _ = factory()
    schema = {
        "type": "object",
        "properties": {
            "id": {"type": ["null", "integer"]},
            "price": {"type": "number"},
            "code": {"type": "string"},
            "active": {"type": "boolean"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "either": {"type": ["string", "integer"]},
            "bad": {"type": "integer"},
            "nested": {"type": "object", "properties": {"n": {"type": "integer"}}},
            "added": {"type": "integer"},
        },
    }
    selector = build.record_selector(
        Node.of({"type": "RecordSelector", "extractor": {"field_path": []}, "schema_normalization": "Default"}, "r"),
        [build.transformation(Node.of({"type": "AddFields", "fields": [{"path": ["added"], "value": "7"}]}, "t"))],
        lambda: schema,
    )
    raw = {
        "id": "12",
        "price": 3,
        "code": 45,
        "active": "false",
        "tags": "one",
        "either": "5",
        "bad": "x",
        "nested": {"n": "3"},
        "other": "kept",
    }
    (record,) = selector.select([raw], {})
    assert record == {
        "id": 12,
        "price": 3.0,
        "code": "45",
        "active": False,
        "tags": ["one"],
        "either": "5",  # two types: left alone
        "bad": "x",  # does not convert: left alone
        "nested": {"n": 3},
        "other": "kept",
        "added": 7,  # the transformation's string, converted after it ran
    }
    without = build.record_selector(
        Node.of({"type": "RecordSelector", "extractor": {"field_path": []}}, "r"), [], lambda: schema
    )
    assert next(without.select([{"id": "12"}], {})) == {"id": "12"}
    with pytest.raises(ManifestError, match="r.schema_normalization: must be None or Default"):
        build.record_selector(
            Node.of({"type": "RecordSelector", "schema_normalization": "Custom"}, "r"), [], lambda: schema
        )


def legacy(server: AuthServer, **config: Any) -> Any:
    build, secrets = factory({**CONFIG, **config})
    node = {
        "type": "LegacySessionTokenAuthenticator",
        "username": "{{ config['user'] }}",
        "password": "{{ config['password'] }}",
        "header": "X-Session",
        "session_token": "{{ config['session_token'] }}",
        "session_token_response_key": "id",
        "login_url": "session",
        "validate_session_url": "user/current",
    }
    return build.authenticator(Node.of(node, "l"), f"{server.base_url}/api/"), secrets


def test_a_legacy_session_token_from_the_config_is_used_while_the_api_accepts_it() -> None:
    with AuthServer() as server:
        auth, secrets = legacy(server, session_token="still-good")
        with httpx.Client(auth=auth) as client:
            assert client.get(f"{server.base_url}/data").json()["x_session"] == "still-good"
        assert server.logins == [] and "still-good" in secrets


def test_a_refused_legacy_session_token_is_replaced_by_logging_in() -> None:
    with AuthServer() as server:
        auth, _ = legacy(server, session_token="expired")
        with httpx.Client(auth=auth) as client:
            assert client.get(f"{server.base_url}/data").json()["x_session"] == "st-1"
            assert client.get(f"{server.base_url}/data").json()["x_session"] == "st-1"
        assert server.logins == [{"username": "ann", "password": "pw-5566"}]
        without_credentials, _ = legacy(server, session_token="expired", user="", password="")
        with httpx.Client(auth=without_credentials) as client, pytest.raises(ConfigError, match="set username and"):
            client.get(f"{server.base_url}/data")
