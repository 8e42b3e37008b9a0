"""source-http-example: an HTTP source over the local shop API (``airbyte_dest_kit.testing.http_api``).

    python main.py discover --config sample_files/config.json

The connector lives in ``airbyte_dest_kit.connectors.source_http_example``;
installed, it is the ``source-http-example`` command.
"""

import sys
from pathlib import Path

try:
    import airbyte_dest_kit  # noqa: F401 - installed (editable or not)
except ImportError:  # running from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from airbyte_dest_kit.connectors import source_http_example

if __name__ == "__main__":
    source_http_example()
