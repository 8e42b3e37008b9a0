"""The KvDB API as the kit calls it: transactions of sets and deletes, listings by prefix, reading one key.

Requests go through one pooled :class:`~airbyte_dest_kit.runtime.http.HttpClient` (timeouts, retries with
backoff honouring ``Retry-After``), cut to the request limits by the :class:`BatchPoster`.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass

from airbyte_dest_kit.records.json_text import exact_json_connection
from airbyte_dest_kit.runtime.http import HttpClient, RetryPolicy
from airbyte_dest_kit.writers.http import JSON_HEADERS, BatchPoster, Entries, Envelope, RequestLimits

PAGE_SIZE = 1000  # keys per listing page, as the KvDB guide's client reads them
TXN = Envelope(b'{"txn":[', b"]}")
DEFAULT_LIMITS = RequestLimits()
# About a minute of retries (0.25 s doubling to 30 s, jittered) before a sync gives up as transient.
DEFAULT_RETRY = RetryPolicy(max_retries=8, min_wait=0.25, max_wait=30, jitter=0.25)


@dataclass(frozen=True)
class Entry:
    """A stored key and its value, as JSON text exactly as the server returned it."""

    key: str
    value: str
    raw_id: str | None
    extracted_at: int | None
    generation: int | None


class KvdbClient:
    """The KvDB API: transactions of sets and deletes, listing by prefix, reading one key."""

    def __init__(
        self,
        base_url: str,
        bucket: str,
        secret_key: str | None,
        *,
        limits: RequestLimits = DEFAULT_LIMITS,
        concurrency: int = 1,
        retry: RetryPolicy = DEFAULT_RETRY,
    ) -> None:
        headers = dict(JSON_HEADERS)
        if secret_key:
            headers["Authorization"] = f"Bearer {secret_key}"
        self.base_url, self.bucket = base_url, bucket
        client = HttpClient(base_url, headers=headers, retry=retry, credentials_key="secret_key")
        self.poster = BatchPoster(client, limits, concurrency)
        self._path = "/" + urllib.parse.quote(bucket, safe="")
        self._json = exact_json_connection()  # splits listings keeping each value's text

    @property
    def requests_sent(self) -> int:
        return self.poster.client.requests_sent

    def apply(self, operations: Entries) -> int:
        """Apply ``{"set": …, "value": …}`` / ``{"delete": …}`` entries; the requests it took."""
        return self.poster.post(self._path, operations, TXN) if len(operations) else 0

    def get(self, key: str) -> str | None:
        url = f"{self._path}/{urllib.parse.quote(key, safe='')}"
        response = self.poster.client.request("GET", url, accept=(404,))
        return None if response.status_code == 404 else response.text

    def entries(self, prefix: str) -> Iterator[Entry]:
        """Every key starting with ``prefix``, in key order, with its value."""
        skip = 0
        while True:
            params = {"prefix": prefix, "values": "true", "format": "json", "limit": PAGE_SIZE, "skip": skip}
            page = self.poster.client.request("GET", self._path + "/", params=params).text
            rows = self._json.execute(
                "SELECT value ->> '$[0]', value -> '$[1]', value ->> '$[1]._airbyte_raw_id', "
                "value ->> '$[1]._airbyte_extracted_at', value ->> '$[1]._airbyte_generation_id' "
                "FROM json_each(?) ORDER BY key",
                (page,),
            ).fetchall()
            for key, value, raw_id, extracted_at, generation in rows:
                yield Entry(key, value, raw_id, _integer(extracted_at), _integer(generation))
            skip += len(rows)
            if len(rows) < PAGE_SIZE:
                return

    def close(self) -> None:
        self.poster.close()
        self._json.close()


def _integer(value: object) -> int | None:
    return value if isinstance(value, int) else None
