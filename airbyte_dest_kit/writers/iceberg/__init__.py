"""Apache Iceberg tables through pyiceberg (the ``iceberg`` extra): the store (:mod:`.store`), its catalog
config (:mod:`.catalog`) and how columns become an Iceberg schema (:mod:`.tables`)."""

from airbyte_dest_kit.writers.iceberg.catalog import CatalogConfig
from airbyte_dest_kit.writers.iceberg.store import IcebergWriter
from airbyte_dest_kit.writers.iceberg.tables import Partitioning

__all__ = ["CatalogConfig", "IcebergWriter", "Partitioning"]
