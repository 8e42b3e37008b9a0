"""OpenAI's ``POST /embeddings`` (modes ``openai`` and ``openai_compatible``: :mod:`.embeddings`), through
the kit's HTTP client: at most :data:`MAX_INPUTS` texts and :data:`MAX_REQUEST_CHARS` characters a request,
retries with backoff on 429, 5xx and dropped connections, ``Retry-After`` honoured."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import httpx
import numpy as np

from airbyte_dest_kit.errors import ConfigError, SystemFailure
from airbyte_dest_kit.runtime.http import HttpClient, ResponseAction, RetryPolicy
from airbyte_dest_kit.writers.vector.embeddings import Embedder, Vectors

log = logging.getLogger("airbyte.embeddings")
# OpenAI's limits are 2,048 inputs and 300,000 tokens a request; characters are counted, half as many
# as that many tokens would allow in English, so dense scripts fit too.
MAX_INPUTS = 2048
MAX_REQUEST_CHARS = 600_000


class EmbeddingsClient(HttpClient):
    def __init__(self, embedder: Embedder, base_url: str, **options: Any) -> None:
        super().__init__(base_url, **options)
        self.embedder = embedder

    def retrying(self, wait: float, response: httpx.Response | None, action: ResponseAction) -> None:
        if action is ResponseAction.RATE_LIMITED:  # the client waits; say why the sync seems to stand still
            log.warning("rate limited by the embeddings API: waiting %.1f s before embedding again", wait)
            if self.embedder.on_rate_limited is not None:
                self.embedder.on_rate_limited(wait)


class OpenAIEmbedder(Embedder):
    def __init__(self, base_url: str, model: str, dimensions: int, api_key: str, *, key_name: str) -> None:
        self.model, self.dimensions, self.base_url = model, dimensions, base_url.rstrip("/")
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = EmbeddingsClient(
            self,
            self.base_url,
            headers=headers,
            credentials_key=key_name,
            retry=RetryPolicy(max_retries=6, jitter=0.25),
        )

    def embed(self, texts: Sequence[str]) -> Vectors:
        requests: list[Vectors] = []
        start = 0
        while start < len(texts):
            end, chars = start, 0
            while (
                end < len(texts)
                and end - start < MAX_INPUTS
                and (end == start or chars + len(texts[end]) <= MAX_REQUEST_CHARS)
            ):
                chars += len(texts[end])
                end += 1
            requests.append(self._request(texts[start:end]))
            start = end
        return np.concatenate(requests) if requests else np.zeros((0, self.dimensions), np.float32)

    def _request(self, texts: Sequence[str]) -> Vectors:
        response = self.client.request("POST", "/embeddings", json={"input": list(texts), "model": self.model})
        try:
            data = sorted(response.json()["data"], key=lambda item: item["index"])
            vectors = [item["embedding"] for item in data]
            if not all(isinstance(vector, list) for vector in vectors):
                raise TypeError("an embedding is not a list of numbers")
        except (ValueError, KeyError, TypeError) as exc:
            raise SystemFailure(
                f"{self.base_url}/embeddings answered something other than OpenAI's embeddings shape: {exc!r}",
                internal_message=response.text[:2000],
            ) from exc
        if len(vectors) != len(texts):
            raise SystemFailure(f"{self.base_url}/embeddings returned {len(vectors)} vectors for {len(texts)} texts")
        wrong = next((len(v) for v in vectors if len(v) != self.dimensions), None)
        if wrong is not None:
            raise ConfigError(
                f"the model {self.model!r} at {self.base_url} returns {wrong}-dimensional vectors, but "
                f"'embedding.dimensions' is {self.dimensions}: set it to {wrong}"
            )
        try:
            return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dimensions)
        except (ValueError, TypeError) as exc:
            raise SystemFailure(f"{self.base_url}/embeddings returned a vector that is not all numbers: {exc}") from exc

    def close(self) -> None:
        self.client.close()
