"""Run a declarative (low-code) manifest as a source.

python main.py spec|check|discover|read --config config.json [--catalog K] [--state S]
    # the manifest in the config, under "__injected_declarative_manifest" (Airbyte's form)
python main.py spec|check|discover|read --manifest manifest.yaml [--config ...] [--catalog K] [--state S]
"""

from __future__ import annotations

import sys
from pathlib import Path

try:
    import airbyte_dest_kit  # noqa: F401 - installed (editable) in the project's venv
except ImportError:  # running from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from airbyte_dest_kit.sources.declarative import run

if __name__ == "__main__":
    run()
