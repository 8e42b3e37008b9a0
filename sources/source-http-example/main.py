"""source-http-example: an HTTP source over the local shop API (``airbyte_dest_kit.testing.http_api``).

    python -m airbyte_dest_kit.testing.http_api      # in another shell: the API on 127.0.0.1:8000, until Ctrl-C
    python main.py discover --config sample_files/config.json
    python main.py read --config sample_files/config.json --catalog sample_files/configured_catalog.json

The connector lives in ``airbyte_dest_kit.connectors.source_http_example``;
installed, it is the ``source-http-example`` command.
"""

import sys
from pathlib import Path

try:
    import airbyte_dest_kit  # noqa: F401 - installed (editable or not)
except ImportError:  # running from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from airbyte_dest_kit.runtime.startup import explain_missing_dependencies

if __name__ == "__main__":
    with explain_missing_dependencies("source-http-example"):  # says how to install what is missing
        from airbyte_dest_kit.connectors import source_http_example

        source_http_example()
