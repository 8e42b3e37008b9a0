"""What turns texts into vectors: :class:`Embedder`, with the two that need no server: :class:`FakeEmbedder`
(deterministic vectors made from the words of the text, each word hashed into a dimension and the sum
normalised, so texts sharing words are near each other and a query finds the chunks sharing its words: for
tests and dry runs) and :class:`FieldEmbedder` (the vector is already in the record). The HTTP ones are in
:mod:`.openai`; :mod:`.embedding_config` picks one from the config."""

from __future__ import annotations

import abc
import math
import re
import zlib
from collections import Counter
from collections.abc import Callable, Sequence

from airbyte_dest_kit.errors import ConfigError

FAKE_DIMENSIONS = 1536
_WORD = re.compile(r"\w+")


class Embedder(abc.ABC):
    """Turns texts into vectors of :attr:`dimensions` floats, in order."""

    dimensions: int
    # Called with the seconds an embeddings API makes the sync wait (a 429); the writer reports it.
    on_rate_limited: Callable[[float], None] | None = None

    @abc.abstractmethod
    def embed(self, texts: Sequence[str]) -> list[list[float]]: ...

    def close(self) -> None:
        """Release connections."""


class FakeEmbedder(Embedder):
    def __init__(self, dimensions: int = FAKE_DIMENSIONS) -> None:
        self.dimensions = dimensions

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [self._vector(text) for text in texts]

    def _vector(self, text: str) -> list[float]:
        counts: Counter[int] = Counter(
            zlib.crc32(word.encode()) % self.dimensions for word in _WORD.findall(text.lower())
        )
        if not counts:  # no word at all: one fixed direction, never the zero vector (no cosine for it)
            counts[0] = 1
        norm = math.sqrt(sum(c * c for c in counts.values()))
        vector = [0.0] * self.dimensions
        for index, count in counts.items():
            vector[index] = count / norm
        return vector


class FieldEmbedder(Embedder):
    """``from_field``: the writer takes each vector from the record; there is nothing to embed a query with."""

    def __init__(self, field_name: str, dimensions: int) -> None:
        self.field_name, self.dimensions = field_name, dimensions

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        raise ConfigError(
            "embedding.mode 'from_field' has no model to embed a text with: vectors come from the records' "
            f"field {self.field_name!r}"
        )
