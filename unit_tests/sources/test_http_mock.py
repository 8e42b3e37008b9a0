"""MockApi (respx): routes, the three page styles read by the kit's paginators, errors, rate limits, tokens."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

from airbyte_dest_kit.errors import ConfigError, TransientError
from airbyte_dest_kit.runtime.http import HttpClient, RetryPolicy
from airbyte_dest_kit.sources import CursorPagination, HttpStream, OffsetPagination, PageNumberPagination
from airbyte_dest_kit.sources.pagination import Paginator
from airbyte_dest_kit.testing import MockApi

ITEMS = [{"id": i} for i in range(1, 48)]  # 47: the last page is short
NO_WAIT = RetryPolicy(max_retries=3, min_wait=0, max_wait=0)


def client(api: MockApi, **options: Any) -> HttpClient:
    return HttpClient(api.base_url, retry=options.pop("retry", NO_WAIT), sleep=lambda _: None, **options)


def read_all(api: MockApi, paginator: Paginator) -> list[Any]:
    class Items(HttpStream):
        name, path, records_path = "items", "/items", ("data",)

        def json_schema(self) -> dict[str, Any]:
            return {"type": "object", "properties": {"id": {"type": "integer"}}}

    stream = Items(client(api))
    stream.paginator = paginator
    return [record["id"] for record in stream.read({})]


@pytest.mark.parametrize(
    ("style", "paginator"),
    [
        ("cursor", CursorPagination("cursor", cursor_path=("next_cursor",), page_size_param="limit", page_size=10)),
        ("page", PageNumberPagination(10)),
        ("offset", OffsetPagination(10)),
    ],
)
def test_each_page_style_serves_every_record_once(style: str, paginator: Paginator) -> None:
    with MockApi() as api:
        api.pages("/items", ITEMS, style=style, page_size=10)
        assert read_all(api, paginator) == [item["id"] for item in ITEMS]
        assert len(api.calls("/items")) == 5


def test_where_keeps_what_the_request_asks_for() -> None:
    with MockApi() as api:
        api.pages("/items", ITEMS, where=lambda params, item: item["id"] > int(params.get("after", 0)))
        body = client(api).request("GET", "/items", params={"after": 40, "limit": 100}).json()
        assert [item["id"] for item in body["data"]] == list(range(41, 48)) and body["next_cursor"] is None


def test_a_rate_limit_answers_429_with_retry_after_and_the_client_waits_that_long() -> None:
    waits: list[float] = []
    with MockApi() as api:
        api.route("GET", "/plans", json={"plans": ["free"]})
        api.rate_limit("/plans", times=2, retry_after="1.5")
        http = HttpClient(api.base_url, retry=RetryPolicy(max_retries=3), sleep=waits.append)
        assert http.request("GET", "/plans").json() == {"plans": ["free"]}
        statuses = [call.response.status_code for call in api.router.calls]
        assert statuses == [429, 429, 200] and waits == [1.5, 1.5]
        assert api.calls("/plans")[0].url.path == "/plans"


def test_a_page_that_always_fails_fails_the_read_after_the_retries() -> None:
    with MockApi() as api:
        api.pages("/items", ITEMS, style="offset", page_size=10)
        api.fail("/items", status=503, params={"offset": "20"})
        with pytest.raises(TransientError, match="HTTP 503"):
            read_all(api, OffsetPagination(10))
        offsets = [call.url.params["offset"] for call in api.calls("/items")]
        assert offsets == ["0", "10", "20", "20", "20", "20"]  # the first try and 3 retries


def test_a_failure_for_some_times_then_the_answer() -> None:
    with MockApi() as api:
        api.route("GET", "/plans", json={"plans": []})
        api.fail("/plans", status=500, times=1)
        assert client(api).request("GET", "/plans").json() == {"plans": []}
        assert [call.response.status_code for call in api.router.calls] == [500, 200]


def test_a_token_is_required_when_given() -> None:
    with MockApi(token="secret") as api:
        api.route("GET", "/plans", json={"plans": []})
        with pytest.raises(ConfigError, match="check 'api_key'"):
            client(api, credentials_key="api_key").request("GET", "/plans")
        authorised = client(api, headers={"Authorization": "Bearer secret"})
        assert authorised.request("GET", "/plans").status_code == 200


def test_an_unmocked_path_fails_loudly_and_nothing_is_mocked_after_the_block() -> None:
    with MockApi() as api:
        api.route("GET", "/plans", json={})
        with pytest.raises(respx.models.AllMockedAssertionError):
            httpx.get(f"{api.base_url}/nothing-here")
    assert not respx.mock.routes  # the global router was never touched


def test_an_unknown_page_style_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="cursor, page, offset"):
        MockApi().pages("/items", ITEMS, style="link")
