"""Records → documents → chunks, configured by the ``processing`` object of Airbyte's vector destinations.

The keys and their meaning are Airbyte's, so a config carries over:

- ``text_fields``: dot paths into the record (``user.name``; ``*`` matches every element of an array or
  every value of an object: ``comments.*.text``) whose values make the document's text, one ``field: value``
  line each; empty or missing: the whole record. A record holding none of them fails the sync with a
  config error naming the stream and line, as Airbyte's destinations do (a CDC delete needs no text).
- ``metadata_fields``: dot paths copied into every chunk's metadata.
- ``field_name_mappings``: ``[{"from_field": "a", "to_field": "b"}]``, renames applied to both.
- ``chunk_size`` / ``chunk_overlap``: counted in characters. (Airbyte counts tokens with tiktoken, whose
  encodings are downloaded at run time; the kit never downloads anything while it runs.)
- ``text_splitter``: ``{"mode": "separator", "separators": ["\\"\\\\n\\\\n\\"", ...], "keep_separator": false}``
  (each separator a JSON string), ``{"mode": "markdown", "split_level": 1}`` (split on headers up to that
  level) or ``{"mode": "code", "language": "python"}``. langchain-text-splitters does the splitting, but for
  the default separators, which semantic-text-splitter splits at the same levels (and at sentences).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.runtime.extras import require_extra

DEFAULT_SEPARATORS = ['"\\n\\n"', '"\\n"', '" "', '""']
DEFAULT_SEPARATOR_TEXTS = ["\n\n", "\n", " ", ""]
# Markdown headers, level 1 to 6, as separators (regular expressions): a chunk starts at a header.
MARKDOWN_HEADERS = [f"(?:^|\\n){'#' * level} " for level in range(1, 7)]


@dataclass(frozen=True)
class Document:
    text: str | None  # None: the record holds none of the text fields
    metadata: dict[str, Any]


def values_at(data: Any, path: str) -> list[Any]:
    """Every value at the dot path ``path`` of ``data`` (``*`` matches every element or value)."""
    found = [data]
    for part in path.split("."):
        step: list[Any] = []
        for value in found:
            if isinstance(value, Mapping):
                step.extend(value.values() if part == "*" else [value[part]] if part in value else [])
            elif isinstance(value, list):
                if part == "*":
                    step.extend(value)
                elif part.isdigit() and int(part) < len(value):
                    step.append(value[int(part)])
        found = step
    return found


class DocumentMaker:
    """Makes a record's document (its text and metadata) by the ``processing`` config."""

    def __init__(self, processing: Mapping[str, Any]) -> None:
        self.text_fields: list[str] = list(processing.get("text_fields") or [])
        self.metadata_fields: list[str] = list(processing.get("metadata_fields") or [])
        self.renames = {m["from_field"]: m["to_field"] for m in processing.get("field_name_mappings") or []}

    def _fields(self, data: Mapping[str, Any], paths: Sequence[str]) -> dict[str, Any]:
        if not paths:
            return {self.renames.get(k, k): v for k, v in data.items()}
        fields: dict[str, Any] = {}
        for path in paths:
            values = values_at(data, path)
            if values:
                fields[self.renames.get(path, path)] = values if len(values) > 1 else values[0]
        return fields

    def document(self, data: Mapping[str, Any]) -> Document:
        fields = self._fields(data, self.text_fields)
        text = "\n".join(f"{name}: {_text(value)}" for name, value in fields.items()) if fields else None
        return Document(text, self._fields(data, self.metadata_fields) if self.metadata_fields else {})

    def describe_text_fields(self) -> str:
        return ", ".join(self.text_fields) if self.text_fields else "all fields"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def make_splitter(processing: Mapping[str, Any]) -> Callable[[str], list[str]]:
    """The chunking function of the ``processing`` config (see the module docstring); ConfigError names the key."""
    require_extra("vector", ["langchain_text_splitters", "semantic_text_splitter"], "text splitting for vector stores")
    size, overlap = processing.get("chunk_size"), processing.get("chunk_overlap") or 0
    if not isinstance(size, int) or size < 1:
        raise ConfigError(f"'processing.chunk_size' must be a positive integer (characters), not {size!r}")
    if not isinstance(overlap, int) or not 0 <= overlap < size:
        raise ConfigError(f"'processing.chunk_overlap' must be an integer from 0 to chunk_size - 1, not {overlap!r}")
    splitter = processing.get("text_splitter") or {"mode": "separator"}
    mode = splitter.get("mode", "separator")
    separators, keep = _separators(splitter) if mode == "separator" else [], bool(splitter.get("keep_separator"))
    if mode == "separator" and separators == DEFAULT_SEPARATOR_TEXTS and not keep:
        # The same levels (blank lines, lines, words, characters) with sentences between lines and words,
        # by semantic-text-splitter in Rust: a quarter of langchain's time on 1 KB records.
        from semantic_text_splitter import TextSplitter

        return TextSplitter(size, overlap).chunks
    from langchain_text_splitters import Language, RecursiveCharacterTextSplitter

    common: dict[str, Any] = {"chunk_size": size, "chunk_overlap": overlap}
    if mode == "separator":
        return RecursiveCharacterTextSplitter(separators=separators, keep_separator=keep, **common).split_text
    if mode == "markdown":
        level = splitter.get("split_level", 1)
        if not isinstance(level, int) or not 1 <= level <= 6:
            raise ConfigError(f"'processing.text_splitter.split_level' must be 1 to 6, not {level!r}")
        separators = [*MARKDOWN_HEADERS[:level], "\n\n", "\n", " ", ""]
        return RecursiveCharacterTextSplitter(
            separators=separators, is_separator_regex=True, keep_separator=True, **common
        ).split_text
    if mode == "code":
        language = splitter.get("language")
        try:
            chosen = Language(language)
        except ValueError:
            known = ", ".join(sorted(item.value for item in Language))
            raise ConfigError(f"'processing.text_splitter.language' {language!r} is not one of: {known}") from None
        return RecursiveCharacterTextSplitter.from_language(chosen, **common).split_text
    raise ConfigError(f"'processing.text_splitter.mode' must be separator, markdown or code, not {mode!r}")


def _separators(splitter: Mapping[str, Any]) -> list[str]:
    """The separators of a ``separator`` splitter config, each given as a JSON string."""
    separators = []
    for index, raw in enumerate(splitter.get("separators") or DEFAULT_SEPARATORS):
        try:
            separator = json.loads(raw)
        except json.JSONDecodeError:
            separator = None
        if not isinstance(separator, str):
            raise ConfigError(
                f"'processing.text_splitter.separators[{index}]' = {raw!r} must be a JSON string in double "
                'quotes, such as "\\n\\n"'
            )
        separators.append(separator)
    return separators


def chunk_texts(split: Callable[[str], list[str]], text: str) -> Iterator[str]:
    """The chunks of ``text``; a text that splits into nothing (blank) is one empty chunk, so its record keeps
    a place in the store (and a later version of it replaces that)."""
    chunks = [chunk for chunk in split(text) if chunk]
    yield from chunks or [text]
