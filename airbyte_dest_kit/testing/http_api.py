"""A small JSON API on 127.0.0.1 for testing HTTP sources, with failure knobs.

    with LocalShopApi(rate_limit_every=5, failing_pages={("/orders", 2)}) as api:
        run_my_source(base_url=api.base_url, api_key=api.api_key)
        assert api.requests_served(...)

Endpoints (all need ``Authorization: Bearer <api_key or a token issued by /oauth/token>``, the API key as
an ``X-Api-Key`` header or an ``api_key`` query parameter, or HTTP Basic with ``basic_username`` and the
API key as the password):

- ``GET /customers?limit=&cursor=&updated_after=`` → ``{"data": [...], "next_cursor": "..." | null}``
- ``GET /orders?page=&per_page=`` → ``{"orders": [...]}`` (page number pagination, 1-based)
- ``GET /events?offset=&limit=&since=&until=&kind=`` → ``{"items": [...]}`` (offset pagination; ``since`` /
  ``until`` keep the events whose ``at`` is in that closed range, ``kind`` those of one kind)
- ``GET /customers/<id>/orders`` → ``{"orders": [...]}``: the customer's orders, unpaginated
- ``GET /plans`` → ``{"plans": [...]}``: a fixed list, unpaginated
- ``POST /events/search`` with a JSON body ``{"kinds": [...], "page": {"offset": n, "limit": m}}`` →
  ``{"results": [...], "total": n}`` (the events of those kinds, offset pagination in the body)
- ``POST /oauth/token`` (form: grant_type=refresh_token, client_id, client_secret, refresh_token) → a new
  access token and a new, rotated refresh token; the old refresh token stops working (unless
  ``rotate_refresh_tokens`` is false: then the refresh token stays the same).

Knobs: every ``rate_limit_every``-th API request answers 429 with ``Retry-After: retry_after``; the pages in
``failing_pages`` (``(path, page number or offset)``) always answer 500.

From a shell, ``python -m airbyte_dest_kit.testing.http_api [--host 127.0.0.1] [--port 8000] [--api-key K]
...`` serves it until interrupted (``--help`` lists the options) and prints its URL and credentials. The
configs of ``sources/source-http-example/sample_files`` and of the low-code examples in
``sources/source-declarative-manifest/examples`` are written for it as started without options. Started
from a shell, the refresh token does not rotate (``--rotate-refresh-tokens`` makes it), so a config file
keeps working from one run to the next.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
import re
import threading
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from airbyte_dest_kit.testing.local_server import LocalJsonServer, serve_until_interrupted, server_options

EPOCH = dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc)
DEFAULT_PORT = 8000  # from a shell; the sample configs of the HTTP sources point at it
PLANS = [
    {"id": "free", "price": 0, "active": True, "internal_note": "entry tier"},
    {"id": "pro", "price": 29, "active": True, "internal_note": "most sold"},
    {"id": "legacy", "price": 9, "active": False, "internal_note": "closed 2023"},
    {"id": "team", "price": 99, "active": True, "internal_note": "seats"},
]


def _timestamp(minutes: int) -> str:
    return (EPOCH + dt.timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


@dataclass
class ServedRequest:
    method: str
    path: str
    query: dict[str, str]
    status: int
    body: bytes = b""


@dataclass
class LocalShopApi(LocalJsonServer):
    customers: int = 95
    orders: int = 60
    events: int = 130
    api_key: str = "test-api-key"
    basic_username: str = "shop"
    rate_limit_every: int = 0
    retry_after: str = "0.05"
    failing_pages: set[tuple[str, int]] = field(default_factory=set)
    client_id: str = "test-client"
    client_secret: str = "test-client-secret"
    refresh_token: str = "refresh-0"
    rotate_refresh_tokens: bool = True
    served: list[ServedRequest] = field(default_factory=list)

    thread_name = "local-shop-api"
    title = "local shop API"

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._api_calls = 0
        self._tokens = {self.api_key}
        self._token_counter = itertools.count(1)

    # -- data -------------------------------------------------------------------------------------

    def customer(self, i: int) -> dict[str, Any]:
        return {"id": i, "name": f"Customer {i}", "email": f"customer{i}@example.com", "updated_at": _timestamp(i)}

    def order(self, i: int) -> dict[str, Any]:
        return {"id": i, "customer_id": 1 + i * 7 % self.customers, "amount": round(i * 3.17 % 250, 2)}

    def event(self, i: int) -> dict[str, Any]:
        return {"id": i, "kind": ("click", "view", "purchase")[i % 3], "at": _timestamp(i * 2)}

    def how_to_use(self) -> str:
        oauth = {"client_id": self.client_id, "client_secret": self.client_secret, "refresh_token": self.refresh_token}
        return "\n".join(
            [
                "in a config:",
                f"  base_url     {json.dumps(self.base_url)}",
                f"  api_key      {json.dumps(self.api_key)}  (Bearer token, X-Api-Key header or api_key parameter)",
                f"  username     {json.dumps(self.basic_username)}  (HTTP Basic, with the API key as the password)",
                f"  credentials  {json.dumps(oauth)}  (OAuth refresh-token grant at /oauth/token)",
            ]
        )

    def requests_to(self, path: str) -> list[ServedRequest]:
        with self._lock:
            return [r for r in self.served if r.path == path]

    # -- request handling -------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: Any, body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        if method == "POST" and path == "/oauth/token":
            return self._token(dict(urllib.parse.parse_qsl(body.decode())))
        authorization = headers.get("Authorization", "")
        key = headers.get("X-Api-Key") or query.get("api_key")
        basic = "Basic " + base64.b64encode(f"{self.basic_username}:{self.api_key}".encode()).decode()
        with self._lock:
            bearer = authorization.removeprefix("Bearer ")
            authorised = bearer in self._tokens or key == self.api_key or authorization == basic
            self._api_calls += 1
            limited = self.rate_limit_every > 0 and self._api_calls % self.rate_limit_every == 0
        if not authorised:
            return 401, {}, {"error": "unauthorized"}
        if limited:
            return 429, {"Retry-After": self.retry_after}, {"error": "rate limited"}
        pages: dict[str, Callable[[dict[str, str]], tuple[int, dict[str, Any]]]] = {
            "/customers": self._customers,
            "/orders": self._orders,
            "/events": self._events,
        }
        if method == "POST" and path == "/events/search":
            return 200, {}, self._search(json.loads(body or b"{}"))
        if method == "GET" and path == "/plans":
            return 200, {}, {"plans": PLANS}
        customer_orders = re.fullmatch(r"/customers/(\d+)/orders", path)
        if method == "GET" and customer_orders:
            customer = int(customer_orders.group(1))
            orders = [self.order(i) for i in range(1, self.orders + 1) if self.order(i)["customer_id"] == customer]
            return 200, {}, {"orders": orders}
        if method != "GET" or path not in pages:
            return 404, {}, {"error": f"no such endpoint: {method} {path}"}
        page_number, payload = pages[path](query)
        if (path, page_number) in self.failing_pages:
            return 500, {}, {"error": "internal error"}
        return 200, {}, payload

    def _token(self, form: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        with self._lock:
            if (form.get("client_id"), form.get("client_secret")) != (self.client_id, self.client_secret):
                return 401, {}, {"error": "invalid_client"}
            if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != self.refresh_token:
                return 400, {}, {"error": "invalid_grant"}
            number = next(self._token_counter)
            access = f"access-{number}"
            if self.rotate_refresh_tokens:
                self.refresh_token = f"refresh-{number}"
            self._tokens.add(access)
        return 200, {}, {"access_token": access, "expires_in": 3600, "refresh_token": self.refresh_token}

    def _customers(self, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        limit, start = int(query.get("limit", 20)), int(query.get("cursor", 1))
        since = query.get("updated_after")
        ids = [i for i in range(start, self.customers + 1) if since is None or _timestamp(i) > since][:limit]
        following = ids[-1] + 1 if ids and ids[-1] < self.customers else None
        return start, {"data": [self.customer(i) for i in ids], "next_cursor": str(following) if following else None}

    def _orders(self, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        page, per_page = int(query.get("page", 1)), int(query.get("per_page", 20))
        first = (page - 1) * per_page + 1
        return page, {"orders": [self.order(i) for i in range(first, min(first + per_page, self.orders + 1))]}

    def _events(self, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        offset, limit = int(query.get("offset", 0)), int(query.get("limit", 20))
        since, until, kind = query.get("since"), query.get("until"), query.get("kind")
        if since is None and until is None and kind is None:  # the plain listing stays cheap for large APIs
            return offset, {"items": [self.event(i) for i in range(offset + 1, min(offset + limit, self.events) + 1)]}
        matching = [
            event
            for event in (self.event(i) for i in range(1, self.events + 1))
            if (since is None or event["at"] >= since)
            and (until is None or event["at"] <= until)
            and (kind is None or event["kind"] == kind)
        ]
        return offset, {"items": matching[offset : offset + limit]}

    def _search(self, request: dict[str, Any]) -> dict[str, Any]:
        kinds, page = set(request.get("kinds") or ()), request.get("page") or {}
        offset, limit = int(page.get("offset", 0)), int(page.get("limit", 20))
        matching = [self.event(i) for i in range(1, self.events + 1) if not kinds or self.event(i)["kind"] in kinds]
        return {"results": matching[offset : offset + limit], "total": len(matching)}

    def answered(self, method: str, path: str, query: dict[str, str], status: int, body: bytes) -> None:
        with self._lock:
            self.served.append(ServedRequest(method, path, query, status, body))


# The fields a person starting the API from a shell may set, with what they are.
OPTIONS = {
    "api_key": "the API key",
    "basic_username": "the HTTP Basic user name (the password is the API key)",
    "client_id": "the OAuth client id",
    "client_secret": "the OAuth client secret",
    "refresh_token": "the first refresh token",
    "customers": "how many customers",
    "orders": "how many orders",
    "events": "how many events",
    "rate_limit_every": "answer every Nth request with a 429 (0: never)",
}


def main(argv: Sequence[str] | None = None) -> None:
    description = "Serve the local shop API, for HTTP sources, until interrupted."
    parser = server_options("airbyte_dest_kit.testing.http_api", description, DEFAULT_PORT, LocalShopApi(), OPTIONS)
    parser.add_argument(
        "--rotate-refresh-tokens",
        action="store_true",
        help="answer each refresh with a new refresh token and refuse the old one (off: the config keeps working)",
    )
    options = vars(parser.parse_args(argv))
    host, port = options.pop("host"), options.pop("port")
    serve_until_interrupted(LocalShopApi(**options), host, port)


if __name__ == "__main__":
    main()
