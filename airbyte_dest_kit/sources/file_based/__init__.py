"""File-based sources: streams of CSV, JSON lines, Parquet and Avro files in a local folder, S3 or any
filesystem ``pyarrow.fs`` has, configured in the shape of Airbyte's file-based sources (source-s3 and
friends), incremental by a file history in Airbyte's state shape, read one file per worker.

This package needs pyarrow (and fastavro for Avro: the ``avro`` extra); ``airbyte_dest_kit.sources`` does
not import it, so sources that read no files do not load pyarrow.
"""

from airbyte_dest_kit.sources.file_based.config import FileBasedConfig, StreamConfig, parse_config
from airbyte_dest_kit.sources.file_based.files import FileStore, RemoteFile
from airbyte_dest_kit.sources.file_based.source import FileBasedSource
from airbyte_dest_kit.sources.file_based.stream import FileBasedStream

__all__ = [
    "FileBasedConfig",
    "FileBasedSource",
    "FileBasedStream",
    "FileStore",
    "RemoteFile",
    "StreamConfig",
    "parse_config",
]
