"""The destination-duckdb-vector connector: see :mod:`.connector`; its spec.json ships next to it."""
