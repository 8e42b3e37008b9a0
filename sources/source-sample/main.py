"""source-sample: generated shop data (``users``, ``purchases``, ``products``), for demos and benchmarks.

    python sources/source-sample/main.py read --config sample_files/config.json \
        --catalog sample_files/configured_catalog.json > messages.jsonl

The connector lives in ``airbyte_dest_kit.connectors.source_sample``;
installed, it is the ``source-sample`` command.
"""

import sys
from pathlib import Path

try:
    import airbyte_dest_kit  # noqa: F401 - installed (editable or not)
except ImportError:  # running from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from airbyte_dest_kit.runtime.startup import explain_missing_dependencies

if __name__ == "__main__":
    with explain_missing_dependencies("source-sample"):  # says how to install what is missing
        from airbyte_dest_kit.connectors import source_sample

        source_sample()
