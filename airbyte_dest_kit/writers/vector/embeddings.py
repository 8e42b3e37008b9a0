"""What turns texts into vectors: :class:`Embedder`, with the two that need no server: :class:`FakeEmbedder`
(deterministic vectors made from the words of the text, each word hashed into a dimension and the sum
normalised, so texts sharing words are near each other and a query finds the chunks sharing its words: for
tests and dry runs) and :class:`FieldEmbedder` (the vector is already in the record). The HTTP ones are in
:mod:`.openai`; :mod:`.embedding_config` picks one from the config.

Vectors travel as one ``float32`` matrix per call (a row per text): a store takes it as it is (Arrow, Chroma),
where a list of Python floats would cost a conversion of every number and eight times the memory.
"""

from __future__ import annotations

import abc
import re
import zlib
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from airbyte_dest_kit.errors import ConfigError

FAKE_DIMENSIONS = 1536
_WORD = re.compile(r"\w+")
_KNOWN_WORDS = 1 << 16  # the fake embedder's cache of word → dimension, cleared when full

Vectors = npt.NDArray[np.float32]  # one row per text, ``dimensions`` columns


class Embedder(abc.ABC):
    """Turns texts into vectors of :attr:`dimensions` floats, in order."""

    dimensions: int
    # Called with the seconds an embeddings API makes the sync wait (a 429); the writer reports it.
    on_rate_limited: Callable[[float], None] | None = None

    @abc.abstractmethod
    def embed(self, texts: Sequence[str]) -> Vectors:
        """A ``len(texts)`` × :attr:`dimensions` matrix: row ``i`` is the vector of ``texts[i]``."""

    def close(self) -> None:
        """Release connections."""


class FakeEmbedder(Embedder):
    def __init__(self, dimensions: int = FAKE_DIMENSIONS) -> None:
        self.dimensions = dimensions
        self._dimension_of = _WordDimensions(dimensions)

    def embed(self, texts: Sequence[str]) -> Vectors:
        dimensions: list[int] = []  # each word's, text after text
        words_per_text: list[int] = []
        for text in texts:
            words = _WORD.findall(text.lower())
            # no word at all: one fixed direction, never the zero vector (no cosine for it)
            dimensions.extend(map(self._dimension_of.__getitem__, words) if words else [0])
            words_per_text.append(len(words) or 1)
        rows = np.repeat(np.arange(len(texts), dtype=np.int64) * self.dimensions, words_per_text)
        counts = np.bincount(rows + np.asarray(dimensions, dtype=np.int64), minlength=len(texts) * self.dimensions)
        vectors = counts.reshape(len(texts), self.dimensions).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors


class _WordDimensions(dict[str, int]):
    """word → the dimension it counts in (its CRC-32 modulo the dimensions), remembered up to a bound."""

    def __init__(self, dimensions: int) -> None:
        super().__init__()
        self.dimensions = dimensions

    def __missing__(self, word: str) -> int:
        if len(self) >= _KNOWN_WORDS:
            self.clear()
        dimension = self[word] = zlib.crc32(word.encode()) % self.dimensions
        return dimension


class FieldEmbedder(Embedder):
    """``from_field``: the writer takes each vector from the record; there is nothing to embed a query with."""

    def __init__(self, field_name: str, dimensions: int) -> None:
        self.field_name, self.dimensions = field_name, dimensions

    def embed(self, texts: Sequence[str]) -> Vectors:
        raise ConfigError(
            "embedding.mode 'from_field' has no model to embed a text with: vectors come from the records' "
            f"field {self.field_name!r}"
        )
