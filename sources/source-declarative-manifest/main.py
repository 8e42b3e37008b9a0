"""source-declarative-manifest: run a declarative (low-code) manifest as a source.

    python main.py spec|check|discover|read --config config.json [--catalog K] [--state S]
        # the manifest in the config, under "__injected_declarative_manifest" (Airbyte's form)
    python main.py spec|check|discover|read --manifest manifest.yaml [--config ...] [--catalog K] [--state S]

The runtime lives in ``airbyte_dest_kit.sources.declarative``; installed, this is the
``source-declarative-manifest`` command.
"""

import sys
from pathlib import Path

try:
    import airbyte_dest_kit  # noqa: F401 - installed (editable or not)
except ImportError:  # running from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from airbyte_dest_kit.runtime.startup import explain_missing_dependencies

if __name__ == "__main__":
    with explain_missing_dependencies("source-declarative-manifest"):  # says how to install what is missing
        from airbyte_dest_kit.connectors import source_declarative_manifest

        source_declarative_manifest()
