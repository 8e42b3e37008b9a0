"""The local KvDB server, as a real process: the API the Airbyte guide's client uses, persistence, faults."""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import pytest
import requests

from integration_tests.kvdb.conftest import TOKEN
from integration_tests.kvdb.kvdb_server import KvdbServer


class GuideStyleKvDbClient:
    """A client in the shape of the Airbyte guide's KvDB destination client (requests, pages of 1000 with
    ``skip``, ``format=json``, bearer auth), pointed at ``base_url`` instead of the public service."""

    PAGE_SIZE = 1000

    def __init__(self, base_url: str, bucket_id: str, secret_key: str | None = None) -> None:
        self.base_url = base_url
        self.bucket_id = bucket_id
        self.secret_key = secret_key

    def write(self, key: str, value: Mapping[str, Any]) -> requests.Response:
        return self.batch_write([(key, value)])

    def batch_write(self, keys_and_values: Iterable[tuple[str, Mapping[str, Any]]]) -> requests.Response:
        return self._request("POST", json={"txn": [{"set": key, "value": value} for key, value in keys_and_values]})

    def list_keys(self, list_values: bool = False, prefix: str | None = None) -> list[Any]:
        keys: list[Any] = []
        offset = 0
        while True:
            params = {
                "limit": self.PAGE_SIZE,
                "skip": offset,
                "format": "json",
                "prefix": prefix or "",
                "values": "true" if list_values else "false",
            }
            page = self._request("GET", params=params, endpoint="/").json()
            keys.extend(page)
            offset += len(page)
            if len(page) < self.PAGE_SIZE:
                return keys

    def delete(self, key: str | list[str]) -> requests.Response:
        keys = key if isinstance(key, list) else [key]
        return self._request("POST", json={"txn": [{"delete": k} for k in keys]})

    def _auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret_key}"} if self.secret_key else {}

    def _request(
        self, method: str, endpoint: str = "", params: Mapping[str, Any] | None = None, json: Any = None
    ) -> requests.Response:
        url = f"{self.base_url}/{self.bucket_id}{endpoint}"
        headers = {"Accept": "application/json", **self._auth_headers()}
        response = requests.request(method=method, url=url, params=params, headers=headers, json=json)
        response.raise_for_status()
        return response


def guide_key(stream: str, sequence: int = 0) -> str:
    """The guide's key: the stream, ``__ab__``, and the wall-clock time in milliseconds as a float (made
    unique with ``sequence``: two calls within the float's precision would collide)."""
    return f"{stream}__ab__{time.time_ns() / 1e6 + sequence / 1e3}"


def test_the_guides_client_writes_lists_pages_and_deletes(kvdb_server: KvdbServer) -> None:
    client = GuideStyleKvDbClient(kvdb_server.base_url, "guide", TOKEN)
    # The guide's own check: a random key written and deleted.
    probe = str(uuid.uuid4())
    client.write(probe, {"value": "_airbyte_connection_check"})
    assert client.list_keys(prefix=probe) == [probe]
    client.delete(probe)
    assert client.list_keys(prefix=probe) == []

    # Its writer: buffers of 1000 entries per transaction, then listing by prefix across pages.
    written = {}
    for batch in range(3):
        entries = [(guide_key("users", i), {"id": batch * 1000 + i, "name": f"user {i}"}) for i in range(1000)]
        entries += [(guide_key("users", 1000), {"id": 5000 + batch})] if batch == 2 else []
        client.batch_write(entries)
        written.update(entries)
    client.batch_write([(guide_key("orders"), {"id": 1})])
    listed = client.list_keys(list_values=True, prefix="users__ab__")
    assert len(written) == len(listed) == 3001  # three full pages and one more
    assert [key for key, _ in listed] == sorted(written)
    assert {key: value for key, value in listed} == written
    assert [key.split("__ab__")[0] for key, _ in listed] == ["users"] * 3001
    assert client.list_keys(prefix="orders__ab__") == [k for k in client.list_keys() if k.startswith("orders")]

    # Its overwrite: list the stream's keys, delete them in batches of 1000.
    keys = client.list_keys(prefix="users__ab__")
    for start in range(0, len(keys), 1000):
        client.delete(keys[start : start + 1000])
    assert client.list_keys(prefix="users__ab__") == []
    assert len(client.list_keys()) == 1


def test_the_guides_client_gets_a_401_with_a_wrong_key(kvdb_server: KvdbServer) -> None:
    for secret in ("wrong", None):
        with pytest.raises(requests.HTTPError) as raised:
            GuideStyleKvDbClient(kvdb_server.base_url, "guide", secret).write("k", {"a": 1})
        assert raised.value.response.status_code == 401
        assert "bearer token" in raised.value.response.json()["error"]
    assert kvdb_server.keys("guide") == []


def test_values_come_back_as_the_json_text_that_was_sent(kvdb_server: KvdbServer) -> None:
    body = (
        '{"txn":[{"set":"exact","value":{"n":1.50,"big":123456789012345678901234567890,"e":1e400,'
        '"s":"caf\\u00e9 \\/ slash","t":"2024-01-01T00:00:00Z","three":3}}]}'
    )
    response = requests.post(
        f"{kvdb_server.base_url}/b", data=body, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    )
    assert response.status_code == 200
    text = requests.get(f"{kvdb_server.base_url}/b/exact", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert text.text == body[len('{"txn":[{"set":"exact","value":') : -len("}]}")]


def test_keys_with_slashes_and_percents_order_and_prefixes(kvdb_server: KvdbServer) -> None:
    keys = ["a%2Fb/1", "a/1", "a/2", "a/10", "ab/1", "a\u00e9/1", "b/1", "a\U0001f600/1"]
    kvdb_server.request("POST", "/bucket", {"txn": [{"set": k, "value": {"k": k}} for k in keys]})
    assert kvdb_server.keys("bucket") == sorted(keys)  # code point order
    assert kvdb_server.keys("bucket", "a/") == ["a/1", "a/10", "a/2"]
    assert kvdb_server.keys("bucket", "a%2Fb/") == ["a%2Fb/1"]
    assert kvdb_server.request("GET", "/bucket/a%252Fb%2F1") == {"k": "a%2Fb/1"}
    page = kvdb_server.request("GET", "/bucket/?prefix=a&values=false&format=json&limit=2&skip=1")
    assert page == sorted(k for k in keys if k.startswith("a"))[1:3]
    assert kvdb_server.keys("other-bucket") == []


def test_a_transaction_is_all_or_nothing(kvdb_server: KvdbServer) -> None:
    kvdb_server.request("POST", "/b", {"txn": [{"set": "kept", "value": 1}]})
    bad = {"txn": [{"delete": "kept"}, {"set": "new", "value": 2}, {"set": "broken"}]}
    with pytest.raises(urllib.error.HTTPError) as raised:
        kvdb_server.request("POST", "/b", bad)
    assert raised.value.code == 400
    assert json.loads(raised.value.read()) == {"error": "txn[2] sets 'broken' without a 'value'"}
    assert kvdb_server.entries("b") == [("kept", 1)]
    # In order within one transaction: the later operation on a key wins.
    kvdb_server.request("POST", "/b", {"txn": [{"set": "k", "value": 1}, {"delete": "k"}, {"set": "j", "value": 2}]})
    assert kvdb_server.entries("b") == [("j", 2), ("kept", 1)]


def test_acknowledged_transactions_survive_kill_9(kvdb_server: KvdbServer) -> None:
    for n in range(20):
        kvdb_server.request("POST", "/b", {"txn": [{"set": f"k{n:02}", "value": {"n": n}}]})
    kvdb_server.restart()
    assert kvdb_server.entries("b") == [(f"k{n:02}", {"n": n}) for n in range(20)]


def test_fault_knobs_fail_for_a_while_then_recover(kvdb_server: KvdbServer) -> None:
    def status(path: str = "/b/") -> tuple[int, str | None]:
        try:
            kvdb_server.request("GET", path)
            return 200, None
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers.get("Retry-After")

    kvdb_server.set_faults(failure_rate=1.0, fault_limit=3)
    assert [status() for _ in range(4)] == [(503, None)] * 3 + [(200, None)]
    kvdb_server.set_faults(failure_rate=0.0, throttle_rate=1.0, retry_after=0.25, fault_limit=2)
    assert [status() for _ in range(3)] == [(429, "0.25")] * 2 + [(200, None)]
    assert status("/_admin/stats") == (200, None)  # the admin paths are never faulty

    # A dropped transaction was committed, but its client hears nothing.
    kvdb_server.set_faults(throttle_rate=0.0, drop_rate=1.0, fault_limit=1)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError, urllib.error.URLError)):
        kvdb_server.request("POST", "/b", {"txn": [{"set": "landed", "value": 1}]})
    assert kvdb_server.entries("b") == [("landed", 1)]
    kvdb_server.set_faults(drop_rate=1.0, drop_after_commit=False, fault_limit=1)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError, urllib.error.URLError)):
        kvdb_server.request("POST", "/b", {"txn": [{"set": "lost", "value": 1}]})
    assert kvdb_server.keys("b") == ["landed"]

    counted = kvdb_server.stats()
    assert (counted["fault_fail"], counted["fault_throttle"], counted["fault_drop"]) == (3, 2, 2)
    with pytest.raises(urllib.error.HTTPError) as raised:
        kvdb_server.set_faults(failure_rate="often")
    assert raised.value.code == 400


def test_latency_and_knobs_from_the_command_line(tmp_path) -> None:
    options = ("--latency", "0.2", "--failure-rate", "1", "--fault-limit", "1")
    with KvdbServer(tmp_path / "kv.sqlite", None, *options) as server:
        assert server.request("GET", "/_admin/faults")["latency"] == 0.2
        started = time.monotonic()
        with pytest.raises(urllib.error.HTTPError) as raised:
            server.request("GET", "/b/k")
        assert raised.value.code == 503 and time.monotonic() - started >= 0.2
        with pytest.raises(urllib.error.HTTPError) as raised:
            server.request("GET", "/b/k")
        assert raised.value.code == 404  # recovered: a plain missing key


def test_an_oversized_body_is_refused_with_what_to_do(tmp_path) -> None:
    with KvdbServer(tmp_path / "kv.sqlite", None, "--max-body-bytes", "1000") as server:
        with pytest.raises(urllib.error.HTTPError) as raised:
            server.request("POST", "/b", {"txn": [{"set": "k", "value": "x" * 2000}]})
        assert raised.value.code == 413
        assert "send smaller transactions" in json.loads(raised.value.read())["error"]
