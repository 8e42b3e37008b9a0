"""destination-iceberg's config: the catalog it builds, partitioning, and the errors that name a config key."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pyiceberg")

from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.writers.iceberg import CatalogConfig, Partitioning
from airbyte_dest_kit.writers.iceberg.store import path_segment


def test_a_local_warehouse_gets_an_sqlite_catalog_inside_it(tmp_path: Path) -> None:
    properties = CatalogConfig.from_config({"warehouse": str(tmp_path / "lake")}).properties()
    assert properties["uri"] == f"sqlite:///{tmp_path / 'lake' / 'catalog.sqlite'}"
    assert properties["warehouse"] == (tmp_path / "lake").as_uri()


def test_s3_options_and_rest_credentials_become_pyiceberg_properties() -> None:
    config = {
        "warehouse": "s3://bucket/lake/",
        "catalog": {"type": "rest", "uri": "https://catalog.example", "credential": "id:secret"},
        "s3_endpoint": "http://127.0.0.1:9000",
        "aws_access_key_id": "key",
    }
    properties = CatalogConfig.from_config(config).properties()
    assert properties["warehouse"] == "s3://bucket/lake"
    assert properties["s3.endpoint"] == "http://127.0.0.1:9000"
    assert properties["s3.access-key-id"] == "key"
    assert properties["credential"] == "id:secret"
    assert "s3.secret-access-key" not in properties


@pytest.mark.parametrize(
    ("config", "named"),
    [
        ({}, "'warehouse'"),
        ({"warehouse": "/x", "catalog": {"type": "hive"}}, "'catalog.type'"),
        ({"warehouse": "/x", "catalog": {"type": "rest"}}, "'catalog.uri'"),
        ({"warehouse": "/x", "catalog": {"url": "sqlite://"}}, "'catalog'"),
    ],
)
def test_config_errors_name_the_key(config: dict[str, object], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        CatalogConfig.from_config(config)


def test_an_s3_warehouse_needs_a_catalog_uri() -> None:
    with pytest.raises(ConfigError, match="'catalog.uri'"):
        CatalogConfig.from_config({"warehouse": "s3://bucket/lake"}).properties()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, None),
        ("none", None),
        ("day(_airbyte_extracted_at)", Partitioning("day", "_airbyte_extracted_at")),
        (" identity( country ) ", Partitioning("identity", "country")),
    ],
)
def test_partitioning_is_parsed(text: str | None, expected: Partitioning | None) -> None:
    assert Partitioning.parse(text) == expected


def test_unknown_partitioning_names_the_key_and_the_forms() -> None:
    with pytest.raises(ConfigError, match="'partitioning'.*day\\(<column>\\)"):
        Partitioning.parse("month(created_at)")


def test_table_path_segments_are_safe_and_distinct() -> None:
    assert path_segment("users") == "users"
    hashed = path_segment("Mixed$Chars#1 (EU)")
    assert hashed.startswith("Mixed_Chars_1__EU_-") and "#" not in hashed
    assert path_segment("a#b") != path_segment("a?b")
