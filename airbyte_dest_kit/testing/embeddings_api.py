"""A local OpenAI-compatible embeddings server, for testing vector destinations without a provider:
``POST /v1/embeddings`` answers OpenAI's shape with the vectors of
:class:`~airbyte_dest_kit.writers.vector.embeddings.FakeEmbedder`, and can fail on demand::

    with EmbeddingsApi(dimensions=8) as api:
        api.fail_next(429, times=2, retry_after=0.1)   # then 500s with fail_next(500, ...)
        config["embedding"] = {"mode": "openai_compatible", "base_url": api.base_url + "/v1", "dimensions": 8}

It keeps the number of texts of each answered request (:attr:`batches`) and every status it sent
(:attr:`statuses`). From a shell: ``python -m airbyte_dest_kit.testing.embeddings_api --port 8765``.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from airbyte_dest_kit.testing.local_server import LocalJsonServer, serve_until_interrupted, server_options
from airbyte_dest_kit.writers.vector.embeddings import FakeEmbedder


class EmbeddingsApi(LocalJsonServer):
    thread_name = "embeddings-api"
    title = "OpenAI-compatible embeddings API"

    def __init__(self, dimensions: int = 8, api_key: str = "") -> None:
        self.dimensions, self.api_key = dimensions, api_key
        self.embedder = FakeEmbedder(dimensions)
        self.batches: list[int] = []
        self.statuses: list[int] = []
        self._failures: list[tuple[int, float | None] | None] = []  # None: answer that request as usual
        self._lock = threading.Lock()

    def fail_next(self, status: int, *, times: int = 1, retry_after: float | None = None, after: int = 0) -> None:
        """Answer ``after`` requests as usual, then the next ``times`` with ``status`` (and a ``Retry-After``
        header when given)."""
        with self._lock:
            self._failures = [None] * after + [(status, retry_after)] * times

    def how_to_use(self) -> str:
        embedding = {"mode": "openai_compatible", "base_url": f"{self.base_url}/v1", "dimensions": self.dimensions}
        return f'"embedding": {json.dumps(embedding)}'

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: Any, body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        status, answer_headers, payload = self._answer(method, path, headers, body)
        with self._lock:
            self.statuses.append(status)
        return status, answer_headers, payload

    def _answer(self, method: str, path: str, headers: Any, body: bytes) -> tuple[int, dict[str, str], Any]:
        if method != "POST" or path.rstrip("/") not in ("/v1/embeddings", "/embeddings"):
            return 404, {}, {"error": {"message": f"no route {method} {path}"}}
        if self.api_key and headers.get("Authorization") != f"Bearer {self.api_key}":
            return 401, {}, {"error": {"message": "Incorrect API key provided"}}
        with self._lock:
            failure = self._failures.pop(0) if self._failures else None
        if failure is not None:
            status, retry_after = failure
            extra = {"Retry-After": str(retry_after)} if retry_after is not None else {}
            return status, extra, {"error": {"message": f"failing on demand with {status}"}}
        request = json.loads(body)
        texts = request["input"] if isinstance(request["input"], list) else [request["input"]]
        with self._lock:
            self.batches.append(len(texts))
        data = [
            {"object": "embedding", "index": i, "embedding": vector}
            for i, vector in enumerate(self.embedder.embed(texts).tolist())
        ]
        usage = {"prompt_tokens": sum(len(t.split()) for t in texts), "total_tokens": 0}
        return 200, {}, {"object": "list", "data": data, "model": request.get("model", ""), "usage": usage}


def main() -> None:
    defaults = EmbeddingsApi()
    fields = {"dimensions": "the vectors' dimensions", "api_key": "the API key to require (empty: none)"}
    parser = server_options("airbyte_dest_kit.testing.embeddings_api", EmbeddingsApi.title, 8765, defaults, fields)
    args = parser.parse_args()
    serve_until_interrupted(EmbeddingsApi(args.dimensions, args.api_key), args.host, args.port)


if __name__ == "__main__":
    main()
