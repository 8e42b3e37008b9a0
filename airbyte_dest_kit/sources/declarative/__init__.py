"""Declarative (low-code) sources: run Airbyte's YAML manifests on the kit's source runtime.

:class:`ManifestSource` builds a manifest's streams with :class:`~.factory.Factory`; they run on the kit's
HTTP client, authenticators, reader, checkpoints and masking. ``sources/source-declarative-manifest`` is
the command line (:func:`run`). Needs the ``declarative`` extra (jinja2, pyyaml, isodate).
"""

from __future__ import annotations

from airbyte_dest_kit.sources.declarative.manifest import ManifestError
from airbyte_dest_kit.sources.declarative.source import INJECTED, ManifestSource, run

__all__ = ["INJECTED", "ManifestError", "ManifestSource", "run"]
