"""source-declarative-manifest: runs Airbyte's low-code YAML manifests; the runtime is
:mod:`airbyte_dest_kit.sources.declarative`. Its spec is the manifest's (or, with the manifest injected into
the config, the runner's), so no ``spec.json`` ships here; :func:`run` adds the ``--manifest FILE`` option."""

from __future__ import annotations

from airbyte_dest_kit.sources.declarative.source import ManifestSource, run

__all__ = ["ManifestSource", "run"]
