"""The destination-chroma connector: see :mod:`.connector`; its spec.json ships next to it."""
