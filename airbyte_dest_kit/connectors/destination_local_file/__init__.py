"""The destination-local-file connector: see :mod:`.connector`; its spec.json ships next to it."""
