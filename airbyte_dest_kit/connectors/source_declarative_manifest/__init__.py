"""The source-declarative-manifest connector: see :mod:`.connector`."""
