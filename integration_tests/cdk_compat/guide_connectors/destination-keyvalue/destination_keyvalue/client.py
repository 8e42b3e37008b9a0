"""A small client for a key-value store with a JSON API, in the shape of the KvDB tutorial's client.

POST /<bucket>  {"txn": [{"set": key, "value": ...}, {"delete": key}]}   applies the operations at once
GET  /<bucket>/?prefix=&limit=&skip=&values=true                          lists keys (or [key, value] pairs)
"""

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from typing import Any

PAGE_SIZE = 1000


class KeyValueError(Exception):
    pass


class KeyValueClient:
    def __init__(self, base_url: str, bucket_id: str, secret_key: str):
        self.bucket_url = f"{base_url.rstrip('/')}/{bucket_id}"
        self.secret_key = secret_key

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "KeyValueClient":
        return cls(config["base_url"], config["bucket_id"], config["secret_key"])

    def _call(self, method: str, url: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Authorization": f"Bearer {self.secret_key}", "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            raise KeyValueError(f"{method} {url} answered {error.code}: {error.read().decode()[:300]}") from None

    def apply(self, operations: list[Mapping[str, Any]]) -> None:
        if operations:
            self._call("POST", self.bucket_url, {"txn": operations})

    def list_keys(self, prefix: str = "") -> list[str]:
        keys: list[str] = []
        while True:
            query = urllib.parse.urlencode({"prefix": prefix, "limit": PAGE_SIZE, "skip": len(keys)})
            page = self._call("GET", f"{self.bucket_url}/?{query}")
            keys.extend(page)
            if len(page) < PAGE_SIZE:
                return keys

    def delete(self, keys: Iterable[str]) -> None:
        keys = list(keys)
        for start in range(0, len(keys), PAGE_SIZE):
            self.apply([{"delete": key} for key in keys[start : start + PAGE_SIZE]])
