"""An HTTP API mocked in-process for source tests, on respx (which intercepts httpx, the kit's HTTP client):
routes, paginated listings, errors and rate limits, without a server::

    with MockApi("https://api.shop.test", token="k") as api:
        api.pages("/customers", customers, key="data", style="cursor", page_size=20)
        api.route("GET", "/plans", json={"plans": [...]})
        api.rate_limit("/customers", times=1, retry_after="0")   # the next request answers 429 first
        api.fail("/customers", status=500, params={"cursor": "21"})  # that page always answers 500
        run = run_connector(MySource(), "read", config={"base_url": api.base_url, ...}, catalog=...)
        api.calls("/customers")  # the requests it received, in order

Pagination ``style`` (what the listing reads from the query, what it answers; ``key`` holds the records):

- ``cursor``: ``?limit=&cursor=`` → ``{key: [...], "next_cursor": "<index of the next record>" | null}``
- ``page``: ``?page=&per_page=`` (1-based) → ``{key: [...]}``, an empty page after the last
- ``offset``: ``?offset=&limit=`` → ``{key: [...]}``, an empty page after the last

``where(params, record)`` keeps the records a request asks for (an incremental ``updated_after``, say).
Faults (:meth:`MockApi.fail`, :meth:`MockApi.rate_limit`) come before the route's answer, in the order they
were added, for ``times`` requests (every matching request when ``None``). With ``token``, a request
without ``Authorization: Bearer <token>`` answers 401. A request no route matches fails the test (respx
raises). Where a test needs a real server process (a connector run as a subprocess), use
:class:`airbyte_dest_kit.testing.http_api.LocalShopApi` instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import respx

Params = Mapping[str, str]
Record = Mapping[str, Any]
PAGE_STYLES = ("cursor", "page", "offset")


@dataclass
class _Fault:
    status: int
    headers: Mapping[str, str]
    params: Params
    times: int | None  # None: every matching request

    def applies(self, request: httpx.Request) -> bool:
        query = request.url.params
        return (self.times is None or self.times > 0) and all(query.get(k) == v for k, v in self.params.items())


class MockApi:
    """The routes of one API at ``base_url``; a context manager (respx is active inside it)."""

    def __init__(self, base_url: str = "https://api.example.test", *, token: str | None = None) -> None:
        self.base_url, self.token = base_url.rstrip("/"), token
        self.router = respx.MockRouter(base_url=self.base_url, assert_all_called=False)
        self._faults: dict[str, list[_Fault]] = {}

    def __enter__(self) -> MockApi:
        self.router.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.router.stop()

    # -- routes --------------------------------------------------------------------------------------

    def route(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        answer: Callable[[httpx.Request], httpx.Response] | None = None,
    ) -> respx.Route:
        """``method path`` answers ``json`` with ``status`` (or whatever ``answer(request)`` returns)."""

        def respond(request: httpx.Request) -> httpx.Response:
            if answer is not None:
                return answer(request)
            return httpx.Response(status, json=json, headers=headers)

        return self.router.route(method=method, path=path).mock(side_effect=self._guarded(path, respond))

    def pages(
        self,
        path: str,
        records: Sequence[Record],
        *,
        key: str = "data",
        style: str = "cursor",
        page_size: int = 20,
        where: Callable[[Params, Record], bool] | None = None,
    ) -> respx.Route:
        """``GET path`` lists ``records`` in pages of ``style`` (see the module docstring); ``page_size`` is
        the default when a request names none."""
        if style not in PAGE_STYLES:
            raise ValueError(f"pages(style={style!r}): use one of {', '.join(PAGE_STYLES)}")

        def answer(request: httpx.Request) -> httpx.Response:
            params = request.url.params
            kept = [(i, r) for i, r in enumerate(records) if where is None or where(params, r)]
            return httpx.Response(200, json=_page(style, kept, params, key, page_size))

        return self.route("GET", path, answer=answer)

    # -- faults --------------------------------------------------------------------------------------

    def fail(self, path: str, *, status: int = 500, times: int | None = None, params: Params | None = None) -> None:
        """Requests to ``path`` (with these query ``params``) answer ``status``: the next ``times`` ones, or
        every one."""
        self._add(path, _Fault(status, {}, dict(params or {}), times))

    def rate_limit(self, path: str, *, times: int = 1, retry_after: str | None = "0") -> None:
        """The next ``times`` requests to ``path`` answer 429 with ``Retry-After: retry_after`` (seconds or an
        HTTP date; ``None`` for no header)."""
        headers = {} if retry_after is None else {"Retry-After": retry_after}
        self._add(path, _Fault(429, headers, {}, times))

    def _add(self, path: str, fault: _Fault) -> None:
        self._faults.setdefault(path, []).append(fault)

    # -- what was asked ------------------------------------------------------------------------------

    def calls(self, path: str | None = None) -> list[httpx.Request]:
        """The requests received (to ``path`` only, when given), in order."""
        return [call.request for call in self.router.calls if path is None or call.request.url.path == path]

    def _guarded(
        self, path: str, respond: Callable[[httpx.Request], httpx.Response]
    ) -> Callable[[httpx.Request], httpx.Response]:
        """``respond`` behind the token check and the path's faults."""

        def side_effect(request: httpx.Request) -> httpx.Response:
            if self.token is not None and request.headers.get("Authorization") != f"Bearer {self.token}":
                return httpx.Response(401, json={"error": "unauthorized"})
            for fault in self._faults.get(path, []):
                if fault.applies(request):
                    if fault.times is not None:
                        fault.times -= 1
                    return httpx.Response(fault.status, json={"error": f"HTTP {fault.status}"}, headers=fault.headers)
            return respond(request)

        return side_effect


def _page(style: str, kept: Sequence[tuple[int, Record]], params: Params, key: str, page_size: int) -> dict[str, Any]:
    """The page a request asks for, of the records ``where`` kept (each with its index among all records)."""
    if style == "cursor":  # the cursor is a position among all records, so it holds whatever else is asked
        start, size = int(params.get("cursor", 0)), int(params.get("limit", page_size))
        page = [(i, r) for i, r in kept if i >= start][:size]
        more = bool(page) and page[-1][0] < kept[-1][0]
        return {key: [r for _, r in page], "next_cursor": str(page[-1][0] + 1) if more else None}
    records = [r for _, r in kept]
    if style == "page":
        number, size = int(params.get("page", 1)), int(params.get("per_page", page_size))
        return {key: records[(number - 1) * size : number * size]}
    offset, size = int(params.get("offset", 0)), int(params.get("limit", page_size))
    return {key: records[offset : offset + size]}
