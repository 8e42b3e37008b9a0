"""A small JSON API on 127.0.0.1 for testing HTTP sources, with failure knobs.

    with LocalShopApi(rate_limit_every=5, failing_pages={("/orders", 2)}) as api:
        run_my_source(base_url=api.base_url, api_key=api.api_key)
        assert api.requests_served(...)

Endpoints (all need ``Authorization: Bearer <api_key or a token issued by /oauth/token>``):

- ``GET /customers?limit=&cursor=&updated_after=`` → ``{"data": [...], "next_cursor": "..." | null}``
- ``GET /orders?page=&per_page=`` → ``{"orders": [...]}`` (page number pagination, 1-based)
- ``GET /events?offset=&limit=`` → ``{"items": [...]}`` (offset pagination)
- ``POST /oauth/token`` (form: grant_type=refresh_token, client_id, client_secret, refresh_token) → a new
  access token and a new, rotated refresh token; the old refresh token stops working.

Knobs: every ``rate_limit_every``-th API request answers 429 with ``Retry-After: retry_after``; the pages in
``failing_pages`` (``(path, page number or offset)``) always answer 500.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from airbyte_dest_kit.testing.local_server import LocalJsonServer

EPOCH = dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc)


def _timestamp(minutes: int) -> str:
    return (EPOCH + dt.timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


@dataclass
class ServedRequest:
    method: str
    path: str
    query: dict[str, str]
    status: int


@dataclass
class LocalShopApi(LocalJsonServer):
    customers: int = 95
    orders: int = 60
    events: int = 130
    api_key: str = "test-api-key"
    rate_limit_every: int = 0
    retry_after: str = "0.05"
    failing_pages: set[tuple[str, int]] = field(default_factory=set)
    client_id: str = "test-client"
    client_secret: str = "test-client-secret"
    refresh_token: str = "refresh-0"
    served: list[ServedRequest] = field(default_factory=list)

    thread_name = "local-shop-api"

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

    def requests_to(self, path: str) -> list[ServedRequest]:
        with self._lock:
            return [r for r in self.served if r.path == path]

    # -- request handling -------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: Any, body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        if method == "POST" and path == "/oauth/token":
            return self._token(dict(urllib.parse.parse_qsl(body.decode())))
        token = headers.get("Authorization", "").removeprefix("Bearer ")
        with self._lock:
            authorised = token in self._tokens
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
            access, self.refresh_token = f"access-{number}", f"refresh-{number}"
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
        return offset, {"items": [self.event(i) for i in range(offset + 1, min(offset + limit, self.events) + 1)]}

    def answered(self, method: str, path: str, query: dict[str, str], status: int) -> None:
        with self._lock:
            self.served.append(ServedRequest(method, path, query, status))
