"""The embedder of a config's ``embedding`` object, chosen by its ``mode`` with Airbyte's keys:

- ``fake``: ``dimensions`` (default 1536, Airbyte's): :class:`~.embeddings.FakeEmbedder`.
- ``openai``: ``openai_key``; the model text-embedding-ada-002, 1536 dimensions.
- ``openai_compatible``: ``base_url`` (up to ``/v1``), ``model_name``, ``dimensions``, ``api_key`` (may be
  empty): any server answering OpenAI's ``POST /embeddings`` (OpenAI, Azure-style gateways, Ollama, vLLM,
  LM Studio). Both OpenAI modes: :mod:`.openai`.
- ``from_field``: ``field_name``, ``dimensions``: the vector is in the record (the writer takes it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.writers.vector.embeddings import FAKE_DIMENSIONS, Embedder, FakeEmbedder, FieldEmbedder

OPENAI_URL = "https://api.openai.com/v1"
OPENAI_MODEL, OPENAI_DIMENSIONS = "text-embedding-ada-002", 1536


def _positive(embedding: Mapping[str, Any], key: str, default: int | None = None) -> int:
    value = embedding.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"'embedding.{key}' must be a positive integer, not {value!r}")
    return value


def make_embedder(embedding: Mapping[str, Any]) -> Embedder:
    """The embedder of the ``embedding`` config object (see the module docstring)."""
    mode = embedding.get("mode")
    if mode == "fake":
        return FakeEmbedder(_positive(embedding, "dimensions", FAKE_DIMENSIONS))
    if mode == "openai":
        key = embedding.get("openai_key")
        if not key:
            raise ConfigError("'embedding.openai_key' is required for embedding.mode 'openai'")
        from airbyte_dest_kit.writers.vector.openai import OpenAIEmbedder  # loads httpx: only when used

        return OpenAIEmbedder(OPENAI_URL, OPENAI_MODEL, OPENAI_DIMENSIONS, key, key_name="embedding.openai_key")
    if mode == "openai_compatible":
        base_url = embedding.get("base_url")
        if not base_url:
            raise ConfigError("'embedding.base_url' is required for embedding.mode 'openai_compatible'")
        model = embedding.get("model_name") or OPENAI_MODEL
        dimensions = _positive(embedding, "dimensions")
        from airbyte_dest_kit.writers.vector.openai import OpenAIEmbedder

        return OpenAIEmbedder(base_url, model, dimensions, embedding.get("api_key") or "", key_name="embedding.api_key")
    if mode == "from_field":
        field_name = embedding.get("field_name")
        if not field_name:
            raise ConfigError("'embedding.field_name' is required for embedding.mode 'from_field'")
        return FieldEmbedder(field_name, _positive(embedding, "dimensions"))
    raise ConfigError(f"'embedding.mode' must be fake, openai, openai_compatible or from_field, not {mode!r}")
