"""Record selection, transformations, pagination strategies and the DefaultErrorHandler on the kit's client."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from airbyte_dest_kit.errors import ConfigError, SystemFailure, TransientError
from airbyte_dest_kit.sources import SourceEvents
from airbyte_dest_kit.sources.declarative import error_handler as eh
from airbyte_dest_kit.sources.declarative import paginators as pg
from airbyte_dest_kit.sources.declarative.interpolation import Interpolated
from airbyte_dest_kit.sources.declarative.manifest import ManifestError
from airbyte_dest_kit.sources.declarative.records import (
    AddedField,
    AddFields,
    DpathExtractor,
    RecordFilter,
    RecordSelector,
    RemoveFields,
)
from airbyte_dest_kit.sources.declarative.request_options import RequestOption
from airbyte_dest_kit.sources.http import HttpClient, ResponseAction

BODY = {"data": {"a": {"items": [{"id": 1}, {"id": 2}]}, "b": {"items": [{"id": 3}]}}, "list": [{"id": 9}]}


def extract(*path: str) -> list[Any]:
    return DpathExtractor([Interpolated(p, "p") for p in path]).extract(BODY, {})


def test_dpath_extractor_paths_and_wildcards() -> None:
    assert extract("list") == [{"id": 9}]
    assert extract("data", "a") == [{"items": [{"id": 1}, {"id": 2}]}]  # an object is one record
    assert extract("data", "*", "items", "*") == [{"id": 1}, {"id": 2}, {"id": 3}]
    assert extract("list", "0", "id") == [9]
    assert extract("nothing", "here") == []
    assert DpathExtractor([]).extract([{"id": 1}], {}) == [{"id": 1}]  # no path: the body itself


def test_selector_filters_then_transforms_and_refuses_non_objects() -> None:
    selector = RecordSelector(
        "sel",
        DpathExtractor([]),
        RecordFilter(Interpolated("{{ record.id > 1 }}", "cond")),
        [
            AddFields([AddedField(("meta", "double"), Interpolated("{{ record.id * 2 }}", "v"))]),
            RemoveFields([("tags", "*")], Interpolated("{{ property.startswith('x') }}", "c")),
            RemoveFields([("secret",), ("absent", "deeper")]),
        ],
    )
    records = [{"id": 1}, {"id": 2, "tags": {"a": "keep", "b": "xdrop"}, "secret": "s"}]
    assert list(selector.select(records, {})) == [{"id": 2, "tags": {"a": "keep"}, "meta": {"double": 4}}]
    assert records[1]["secret"] == "s"  # the response's objects are not modified
    with pytest.raises(ManifestError, match="sel: selected a list, not an object"):
        list(selector.select([[1]], {}))


def page(records: int, body: Any = None, headers: dict[str, str] | None = None) -> pg.Page:
    response = httpx.Response(200, json=body or {}, headers=headers or {}, request=httpx.Request("GET", "http://x/"))
    return pg.Page(response, body or {}, records, {"id": records} if records else None)


def test_page_and_offset_increments_stop_on_a_short_or_empty_page() -> None:
    pages = pg.PageIncrement(page_size=10, start_from_page=0, inject_on_first_request=False)
    assert pages.initial_token() is None
    assert pages.next_token(page(10), None, {}) == 1 and pages.next_token(page(10), 1, {}) == 2
    assert pages.next_token(page(9), 2, {}) is None
    unsized = pg.OffsetIncrement(page_size=None, inject_on_first_request=True)
    assert unsized.initial_token() == 0
    assert unsized.next_token(page(7), 0, {}) == 7 and unsized.next_token(page(0), 7, {}) is None


def test_cursor_pagination_reads_body_headers_and_stops() -> None:
    link = '<http://x/items?after=abc>; rel="next"'
    strategy = pg.CursorPagination(
        Interpolated("{{ headers['link']['next']['url'] }}", "cv"),
        Interpolated("{{ last_page_size == 0 or response.done }}", "stop"),
        None,
    )
    assert strategy.next_token(page(3, {"done": False}, {"Link": link}), None, {}) == "http://x/items?after=abc"
    assert strategy.next_token(page(3, {"done": True}, {"Link": link}), None, {}) is None
    path = pg.DefaultPaginator(strategy, None, True, RequestOption("request_parameter", ("limit",)))
    assert path.request_parts("http://x/items?after=abc").path == "http://x/items?after=abc"
    injected = pg.DefaultPaginator(
        pg.OffsetIncrement(50, False), RequestOption("body_json", ("page", "offset")), False, None
    )
    assert injected.request_parts(100).json == {"page": {"offset": 100}}
    assert injected.request_parts(None).json == {}


class Scripted:
    def __init__(self, *answers: tuple[int, dict[str, str], Any]) -> None:
        self.answers = list(answers)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        status, headers, body = self.answers.pop(0)
        return httpx.Response(status, headers=headers, json=body)


def send(
    handler: eh.DefaultErrorHandler, *answers: tuple[int, dict[str, str], Any]
) -> tuple[Any, list[float], list[dict[str, Any]]]:
    events, sent, sleeps = SourceEvents(), [], []
    events.bind(sent.append, lambda secret: None)
    events.current_stream = ("users", None)
    client = HttpClient(
        "http://api.test", events=events, transport=httpx.MockTransport(Scripted(*answers)), sleep=sleeps.append
    )
    try:
        return client.send("GET", "/users", params={"key": "secret-in-query"}, policy=handler), sleeps, sent
    finally:
        client.close()


def response_filter(**fields: Any) -> eh.HttpResponseFilter:
    defaults: dict[str, Any] = {
        "action": None,
        "failure_type": None,
        "http_codes": frozenset(),
        "error_message_contains": None,
        "predicate": None,
        "error_message": None,
    }
    return eh.HttpResponseFilter(**{**defaults, **fields})


def handler(
    *filters: eh.HttpResponseFilter, strategies: list[eh.BackoffStrategy] | None = None
) -> eh.DefaultErrorHandler:
    chosen = [eh.ConstantBackoffStrategy(0.5)] if strategies is None else strategies
    return eh.DefaultErrorHandler(list(filters), chosen, 2, {"config": {}})


def test_ignore_retry_by_predicate_and_constant_backoff() -> None:
    ignore = handler(response_filter(action=ResponseAction.IGNORE, http_codes=frozenset({404})))
    assert send(ignore, (404, {}, {}))[0] is None
    retry = handler(
        response_filter(action=ResponseAction.RETRY, predicate=Interpolated("{{ response.state == 'pending' }}", "p"))
    )
    response, sleeps, _ = send(retry, (200, {}, {"state": "pending"}), (200, {}, {"state": "ready"}))
    assert response.json() == {"state": "ready"} and sleeps == [0.5]


def test_fail_with_the_filters_message_and_failure_type_names_stream_and_url() -> None:
    fail = handler(
        response_filter(
            action=ResponseAction.FAIL,
            error_message_contains="quota",
            failure_type=ConfigError,
            error_message=Interpolated("plan limit: {{ response.detail }}", "m"),
        )
    )
    with pytest.raises(ConfigError) as raised:
        send(fail, (400, {}, {"detail": "monthly quota used up"}))
    assert (
        raised.value.message
        == "stream 'users': GET http://api.test/users answered HTTP 400: plan limit: monthly quota used up"
    )
    with pytest.raises(SystemFailure, match="answered HTTP 404: the API rejected the request"):
        send(handler(), (404, {}, {}))


def test_header_backoffs_rate_limits_and_default_retries() -> None:
    from_header = handler(strategies=[eh.WaitTimeFromHeader("X-Wait"), eh.ConstantBackoffStrategy(9)])
    response, sleeps, sent = send(from_header, (429, {"X-Wait": "1.5"}, {}), (408, {}, {}), (200, {}, {"ok": 1}))
    assert response.json() == {"ok": 1} and sleeps == [1.5, 9]
    assert [m["trace"]["stream_status"]["reasons"][0]["type"] for m in sent] == ["RATE_LIMITED"]
    capped = handler(strategies=[eh.WaitTimeFromHeader("X-Wait", max_waiting_time_in_seconds=10)])
    with pytest.raises(TransientError, match="more than max_waiting_time_in_seconds"):
        send(capped, (429, {"X-Wait": "3600"}, {}))
    assert eh.ExponentialBackoffStrategy(2).seconds(None, 3) == 16


def test_without_backoff_strategies_retry_after_is_honoured_then_exponential_waits() -> None:
    # a documented difference: airbyte-cdk waits exponentially from 5 s whatever the API says
    response, sleeps, _ = send(handler(strategies=[]), (503, {"Retry-After": "2"}, {}), (503, {}, {}), (200, {}, {}))
    assert response.status_code == 200 and sleeps[0] == 2.0 and 0 < sleeps[1] <= 1
