"""Vector stores: records → documents → chunks → vectors, on the kit's sync modes.

A new vector store implements :class:`VectorStore` (a few operations on collections of chunks); the
:class:`VectorWriter` over it gets processing (``processing``), embeddings (``embedding``) and every
mode. Reference stores: :mod:`.duckdb_store` (embedded) and :mod:`.chroma_store` (the ``vector`` extra).

    from airbyte_dest_kit.writers.vector import VectorWriter, make_embedder
    writer = VectorWriter(MyStore(dimensions), make_embedder(config["embedding"]), config["processing"])
"""

from airbyte_dest_kit.writers.vector.embedding_config import make_embedder
from airbyte_dest_kit.writers.vector.embeddings import Embedder, FakeEmbedder
from airbyte_dest_kit.writers.vector.store import Chunk, Collection, Hit, VectorStore
from airbyte_dest_kit.writers.vector.writer import VectorWriter

__all__ = ["Chunk", "Collection", "Embedder", "FakeEmbedder", "Hit", "VectorStore", "VectorWriter", "make_embedder"]
