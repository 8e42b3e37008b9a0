"""The connector's config as a pyiceberg catalog: a SQL catalog (an SQLite file in the warehouse by default,
or PostgreSQL) or a REST catalog, over a warehouse that is a local folder or ``s3://bucket/prefix``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyiceberg.catalog import Catalog, load_catalog

from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.runtime.object_storage import ObjectStorage

# The SQLite catalog's file in a local warehouse when the config names no catalog uri.
DEFAULT_SQLITE_NAME = "catalog.sqlite"


@dataclass(frozen=True)
class CatalogConfig:
    """Where the tables are recorded (``catalog``) and where their files go (``warehouse``)."""

    warehouse: str
    type: str = "sql"  # sql or rest
    uri: str | None = None  # sql: a SQLAlchemy URL; rest: the server's URL
    name: str = "airbyte"  # one SQL catalog database can hold several catalogs by name
    credential: str | None = None  # rest: client_id:client_secret (OAuth2)
    token: str | None = None  # rest: a bearer token
    storage: ObjectStorage = field(default_factory=ObjectStorage)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> CatalogConfig:
        catalog = dict(config.get("catalog") or {})
        if "warehouse" not in config:
            raise ConfigError("config key 'warehouse' is missing: give a local folder or s3://bucket/prefix")
        kind = catalog.pop("type", "sql")
        if kind not in ("sql", "rest"):
            raise ConfigError(f"config key 'catalog.type': {kind!r} is not sql or rest")
        if kind == "rest" and not catalog.get("uri"):
            raise ConfigError("config key 'catalog.uri' is required for a rest catalog (its server's URL)")
        storage = ObjectStorage(
            endpoint=config.get("s3_endpoint"),
            region=config.get("s3_region"),
            access_key_id=config.get("aws_access_key_id"),
            secret_access_key=config.get("aws_secret_access_key"),
        )
        known = {"uri", "name", "credential", "token"}
        unknown = set(catalog) - known
        if unknown:
            raise ConfigError(
                f"config key 'catalog': unknown keys {sorted(unknown)}; known: type, {', '.join(sorted(known))}"
            )
        return cls(warehouse=str(config["warehouse"]), type=kind, storage=storage, **catalog)

    @property
    def local(self) -> bool:
        return "://" not in self.warehouse or self.warehouse.startswith("file://")

    @property
    def warehouse_uri(self) -> str:
        if "://" in self.warehouse:
            return self.warehouse.rstrip("/")
        return Path(self.warehouse).expanduser().absolute().as_uri()

    def catalog_uri(self) -> str:
        if self.uri:
            return self.uri
        if not self.local:
            raise ConfigError(
                "config key 'catalog.uri': an s3:// warehouse needs a catalog database (a PostgreSQL URL such as "
                "postgresql+psycopg://user:password@host/db) or a rest catalog; the default SQLite file needs a local "
                "warehouse folder"
            )
        folder = Path(self.warehouse.removeprefix("file://")).expanduser().absolute()
        folder.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{folder / DEFAULT_SQLITE_NAME}"

    def properties(self) -> dict[str, str]:
        """pyiceberg's catalog properties."""
        props = {"type": self.type, "uri": self.catalog_uri(), "warehouse": self.warehouse_uri}
        storage = {
            "s3.endpoint": self.storage.endpoint,
            "s3.region": self.storage.region,
            "s3.access-key-id": self.storage.access_key_id,
            "s3.secret-access-key": self.storage.secret_access_key,
            "credential": self.credential,
            "token": self.token,
        }
        return props | {k: v for k, v in storage.items() if v}

    def load(self) -> Catalog:
        try:
            return load_catalog(self.name, **self.properties())
        except ConfigError:
            raise
        except Exception as exc:  # a driver's own error: a bad URL, a refused connection
            raise ConfigError(f"config key 'catalog': cannot open the {self.type} catalog: {exc}") from exc
