"""source-files: CSV, JSON lines, Parquet and Avro files from a local folder or an S3 bucket, configured like
Airbyte's file-based sources (a source-s3 config and state carry over).

    cd sources/source-files
    python main.py discover --config sample_files/config.json
    python main.py read --config sample_files/config.json --catalog sample_files/configured_catalog.json

The connector lives in ``airbyte_dest_kit.connectors.source_files``; installed, it is the ``source-files``
command.
"""

import sys
from pathlib import Path

try:
    import airbyte_dest_kit  # noqa: F401 - installed (editable or not)
except ImportError:  # running from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from airbyte_dest_kit.runtime.startup import explain_missing_dependencies

if __name__ == "__main__":
    with explain_missing_dependencies("source-files"):  # says how to install what is missing
        from airbyte_dest_kit.connectors import source_files

        source_files()
