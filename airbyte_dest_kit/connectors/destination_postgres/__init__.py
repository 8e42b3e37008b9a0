"""The destination-postgres connector: see :mod:`.connector`; its spec.json ships next to it."""
