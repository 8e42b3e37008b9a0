"""source-files: CSV, JSON lines, Parquet and Avro files from a local folder or an S3 bucket, with the config
and state of Airbyte's file-based sources (a source-s3 config and state carry over).

    source-files read --config config.json --catalog catalog.json [--state state.json]

Where the files are: ``folder_path``, or source-s3's ``bucket`` (with ``aws_access_key_id`` /
``aws_secret_access_key``, ``endpoint`` for an S3-compatible server, ``region_name``, ``role_arn``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow.fs as pafs

from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.runtime.object_storage import ObjectStorage, s3_filesystem
from airbyte_dest_kit.sources.file_based import FileBasedSource, FileStore


class SourceFiles(FileBasedSource):
    spec_path = Path(__file__).with_name("spec.json")  # subclasses (another history cap) keep the spec

    def file_store(self, config: Mapping[str, Any]) -> FileStore:
        folder, bucket = config.get("folder_path") or None, config.get("bucket") or None
        if (folder is None) == (bucket is None):
            raise ConfigError(
                "config: give exactly one of 'folder_path' (a local folder) and 'bucket' (an S3 bucket, with its "
                "keys and, for an S3-compatible server, 'endpoint')"
            )
        if folder is not None:
            root = Path(folder).expanduser().absolute()
            return FileStore(pafs.LocalFileSystem(), str(root), f"the folder {str(root)!r}", "folder_path")
        key_id, secret = config.get("aws_access_key_id") or None, config.get("aws_secret_access_key") or None
        if (key_id is None) != (secret is None):
            raise ConfigError(
                "config: 'aws_access_key_id' and 'aws_secret_access_key' go together: give both, or neither to "
                "use the environment's AWS credentials"
            )
        storage = ObjectStorage(
            endpoint=config.get("endpoint") or None,
            region=config.get("region_name") or None,
            access_key_id=key_id,
            secret_access_key=secret,
            role_arn=config.get("role_arn") or None,
        )
        return FileStore(s3_filesystem(storage), str(bucket).strip("/"), f"s3://{bucket}", "bucket")
