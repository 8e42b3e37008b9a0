"""destination-kvdb's store: the kit's modes on a KvDB-style bucket of JSON values over HTTP.

:mod:`.writer` holds the store (:class:`KvdbWriter`) and the layout of keys and values, :mod:`.keys` the
key encoding and transaction entries, :mod:`.client` the HTTP API.
"""

from airbyte_dest_kit.writers.kvdb.client import DEFAULT_RETRY, KvdbClient
from airbyte_dest_kit.writers.kvdb.keys import SWAP_MARKERS, own_entries, set_operation, set_operations, table_prefix
from airbyte_dest_kit.writers.kvdb.writer import KvdbWriter

__all__ = [
    "DEFAULT_RETRY",
    "SWAP_MARKERS",
    "KvdbClient",
    "KvdbWriter",
    "own_entries",
    "set_operation",
    "set_operations",
    "table_prefix",
]
