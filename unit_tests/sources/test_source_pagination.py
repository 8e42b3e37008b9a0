from __future__ import annotations

from typing import Any

import httpx
import pytest

from airbyte_dest_kit.sources.pagination import (
    CursorPagination,
    NextLinkPagination,
    NoPagination,
    OffsetPagination,
    PageNumberPagination,
    PageRequest,
    value_at,
)

URL = "https://api.example.test/v1/items?page=1"


def response(body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(200, json=body, headers=headers, request=httpx.Request("GET", URL))


def test_value_at_follows_a_path_and_gives_none_where_it_ends() -> None:
    assert value_at({"a": {"b": [1]}}, ["a", "b"]) == [1]
    assert value_at({"a": 1}, ["a", "b"]) is None
    assert value_at({"a": 1}, []) == {"a": 1}


def test_no_pagination_stops_after_the_first_page() -> None:
    assert NoPagination().next_page(PageRequest(), response({}), [{"id": 1}]) is None


def test_cursor_pagination_passes_the_token_from_the_body() -> None:
    paginator = CursorPagination("after", cursor_path=["meta", "next"], page_size_param="limit", page_size=2)
    first = paginator.first_page()
    assert first.params == {"limit": 2}
    second = paginator.next_page(first, response({"meta": {"next": "tok2"}}), [{}, {}])
    assert second == PageRequest(params={"limit": 2, "after": "tok2"})
    for end in ({"meta": {"next": None}}, {"meta": {"next": ""}}, {"meta": {}}):
        assert paginator.next_page(second, response(end), [{}]) is None


def test_next_link_from_the_link_header_or_the_body_resolved_against_the_request_url() -> None:
    header = {"Link": '<https://api.example.test/v1/items?page=2>; rel="next", <https://x/last>; rel="last"'}
    assert NextLinkPagination().next_page(PageRequest(), response([], header), []) == PageRequest(
        url="https://api.example.test/v1/items?page=2"
    )
    assert NextLinkPagination().next_page(PageRequest(), response([]), []) is None
    in_body = NextLinkPagination(link_path=["links", "next"])
    assert in_body.next_page(PageRequest(), response({"links": {"next": "/v1/items?page=3"}}), []) == PageRequest(
        url="https://api.example.test/v1/items?page=3"
    )
    assert in_body.next_page(PageRequest(), response({"links": {"next": None}}), []) is None


@pytest.mark.parametrize(("records", "expected_next_page"), [(3, 3), (2, None), (0, None)])
def test_page_number_pagination_stops_at_a_short_page(records: int, expected_next_page: int | None) -> None:
    paginator = PageNumberPagination(3, page_param="p", page_size_param="size")
    second = PageRequest(params={"p": 2, "size": 3})
    assert paginator.first_page() == PageRequest(params={"p": 1, "size": 3})
    following = paginator.next_page(second, response([]), [{}] * records)
    assert (following.params["p"] if following else None) == expected_next_page


def test_offset_pagination_advances_by_the_records_received() -> None:
    paginator = OffsetPagination(2)
    first = paginator.first_page()
    assert first.params == {"offset": 0, "limit": 2}
    second = paginator.next_page(first, response([]), [{}, {}])
    assert second == PageRequest(params={"offset": 2, "limit": 2})
    assert paginator.next_page(second, response([]), [{}]) is None
