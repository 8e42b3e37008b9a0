"""S3 and S3-compatible object storage through ``pyarrow.fs``, for the file destination and file sources alike.

Without keys, pyarrow finds credentials the way AWS tools do (environment, profile, instance role); with
``role_arn`` it assumes that role first. An ``endpoint`` (``http://127.0.0.1:9000``) points at an
S3-compatible server instead of AWS; its scheme says whether to use TLS.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

import pyarrow.fs as pafs

from airbyte_dest_kit.errors import ConfigError

# A stalled connection fails the request (and pyarrow retries it) instead of stalling the sync.
CONNECT_TIMEOUT_SECONDS = 10.0
REQUEST_TIMEOUT_SECONDS = 120.0


@dataclass(frozen=True)
class ObjectStorage:
    """Connection options for S3 (else the environment's, as pyarrow reads them)."""

    endpoint: str | None = None  # e.g. http://127.0.0.1:9000 for an S3-compatible server
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    role_arn: str | None = None


def s3_filesystem(storage: ObjectStorage, endpoint_key: str = "endpoint") -> pafs.S3FileSystem:
    """The S3 filesystem for ``storage``; a malformed endpoint is a :class:`ConfigError` naming ``endpoint_key``."""
    endpoint = urlparse(storage.endpoint) if storage.endpoint else None
    if endpoint is not None and (endpoint.scheme not in ("http", "https") or not endpoint.netloc):
        raise ConfigError(
            f"config key {endpoint_key!r}: {storage.endpoint!r} is not an http:// or https:// URL "
            "(for example http://127.0.0.1:9000); leave it out to use AWS"
        )
    return pafs.S3FileSystem(
        access_key=storage.access_key_id,
        secret_key=storage.secret_access_key,
        region=storage.region,
        role_arn=storage.role_arn,
        endpoint_override=endpoint.netloc if endpoint else None,
        scheme=endpoint.scheme if endpoint else "https",
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        request_timeout=REQUEST_TIMEOUT_SECONDS,
    )
