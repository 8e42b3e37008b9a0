"""Records → documents → chunks by the ``processing`` config, and embedders by the ``embedding`` config."""

from __future__ import annotations

import uuid

import numpy as np
import pytest

from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.writers.vector.embedding_config import make_embedder
from airbyte_dest_kit.writers.vector.embeddings import FakeEmbedder
from airbyte_dest_kit.writers.vector.processing import DocumentMaker, chunk_texts, make_splitter, values_at
from airbyte_dest_kit.writers.vector.writer import CHUNK_ID_NAMESPACE, ChunkIds
from unit_tests.stream_helpers import spec_for

RECORD = {
    "title": "Ducks",
    "author": {"name": "Ada", "tags": ["a", "b"]},
    "comments": [{"text": "quack"}, {"text": "splash"}, {"other": 1}],
    "n": 3,
}


def test_dot_paths_with_wildcards_into_arrays_and_objects() -> None:
    assert values_at(RECORD, "author.name") == ["Ada"]
    assert values_at(RECORD, "comments.*.text") == ["quack", "splash"]
    assert values_at(RECORD, "comments.1.text") == ["splash"]
    assert values_at(RECORD, "author.*") == ["Ada", ["a", "b"]]
    assert values_at(RECORD, "missing.path") == [] and values_at(RECORD, "title.deeper") == []


def test_a_document_is_one_line_per_text_field_and_metadata_fields_with_renames() -> None:
    maker = DocumentMaker(
        {
            "text_fields": ["title", "comments.*.text", "absent"],
            "metadata_fields": ["author.name", "n"],
            "field_name_mappings": [{"from_field": "author.name", "to_field": "author"}],
        }
    )
    document = maker.document(RECORD)
    assert document.text == 'title: Ducks\ncomments.*.text: ["quack", "splash"]'
    assert document.metadata == {"author": "Ada", "n": 3}
    assert maker.document({"other": 1}).text is None


def test_no_text_fields_means_the_whole_record() -> None:
    assert DocumentMaker({}).document({"a": "x", "b": 2}).text == "a: x\nb: 2"


def test_separator_splitter_counts_characters_and_overlaps() -> None:
    split = make_splitter({"chunk_size": 20, "chunk_overlap": 5})
    chunks = split("one two three four five six seven eight nine ten")
    assert all(len(c) <= 20 for c in chunks) and len(chunks) >= 3
    assert chunks[0].split()[-1] == chunks[1].split()[0]  # the overlap repeats the boundary word


def test_markdown_splitter_starts_chunks_at_headers_up_to_the_level() -> None:
    text = "# One\nalpha beta\n## Two\ngamma delta\n# Three\nepsilon"
    split = make_splitter({"chunk_size": 40, "text_splitter": {"mode": "markdown", "split_level": 1}})
    assert [c.splitlines()[0] for c in split(text)] == ["# One", "# Three"]


def test_code_splitter_splits_at_definitions() -> None:
    code = "def a():\n    return 1\n\n\ndef b():\n    return 2\n"
    split = make_splitter({"chunk_size": 25, "text_splitter": {"mode": "code", "language": "python"}})
    assert [c.splitlines()[0] for c in split(code)] == ["def a():", "def b():"]


def test_a_blank_text_is_one_empty_chunk() -> None:
    assert list(chunk_texts(make_splitter({"chunk_size": 10}), "   ")) == ["   "]


@pytest.mark.parametrize(
    ("processing", "key"),
    [
        ({"chunk_size": 0}, "processing.chunk_size"),
        ({"chunk_size": 10, "chunk_overlap": 10}, "processing.chunk_overlap"),
        ({"chunk_size": 10, "text_splitter": {"mode": "separator", "separators": ["\\n"]}}, "separators[0]"),
        ({"chunk_size": 10, "text_splitter": {"mode": "markdown", "split_level": 7}}, "split_level"),
        ({"chunk_size": 10, "text_splitter": {"mode": "code", "language": "klingon"}}, "language"),
        ({"chunk_size": 10, "text_splitter": {"mode": "semantic"}}, "text_splitter.mode"),
    ],
)
def test_bad_processing_config_names_its_key(processing: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError, match=key.replace("[", r"\[").replace("]", r"\]")):
        make_splitter(processing)


def test_fake_vectors_are_deterministic_unit_vectors_near_for_shared_words() -> None:
    embedder = FakeEmbedder(32)
    vectors = embedder.embed(["the duck swims", "the duck swims", "geese fly south", "the duck flies"])
    assert vectors.shape == (4, 32) and vectors.dtype == np.float32
    a, b, c, d = vectors
    assert (a == b).all() and abs(float(a @ a) - 1) < 1e-6
    assert float(a @ c) < float(a @ d) < float(a @ b)  # nearer the more words they share
    assert (embedder.embed(["the duck swims"])[0] == a).all()  # the same text, the same vector, in any batch
    empty = embedder.embed([""])[0]  # no word: a fixed direction, never the zero vector
    assert empty[0] == 1.0 and float(empty @ empty) == 1.0


@pytest.mark.parametrize(
    ("embedding", "key"),
    [
        ({"mode": "openai"}, "embedding.openai_key"),
        ({"mode": "openai_compatible", "dimensions": 8}, "embedding.base_url"),
        ({"mode": "openai_compatible", "base_url": "http://127.0.0.1:1/v1"}, "embedding.dimensions"),
        ({"mode": "from_field", "dimensions": 8}, "embedding.field_name"),
        ({"mode": "fake", "dimensions": 0}, "embedding.dimensions"),
        ({"mode": "cohere"}, "embedding.mode"),
    ],
)
def test_bad_embedding_config_names_its_key(embedding: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        make_embedder(embedding)


def test_chunk_ids_stay_uuid5_of_the_stream_record_and_index() -> None:
    # stored ids must not change between versions: a batch replayed by a newer kit replaces its chunks
    stream = spec_for("docs", {"id": {"type": "integer"}}, namespace="ns")
    assert stream.label == "ns.docs"
    ids = ChunkIds(stream)
    for record, number in [("docs_1", 0), ("a7f3", 12), ("ü☃", 3)]:
        assert ids(record, number) == str(uuid.uuid5(CHUNK_ID_NAMESPACE, f"ns.docs\x1f{record}\x1f{number}"))
