"""The source-http-example connector: see :mod:`.connector`; its spec.json ships next to it."""
