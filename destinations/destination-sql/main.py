"""destination-sql: land Airbyte messages in any database SQLAlchemy reaches.

    python main.py check --config sample_files/config.json
    cat messages.jsonl | python main.py write --config sample_files/config.json --catalog catalog.json

The connector lives in ``airbyte_dest_kit.connectors.destination_sql``;
installed, it is the ``destination-sql`` command.
"""

import sys
from pathlib import Path

try:
    import airbyte_dest_kit  # noqa: F401 - installed (editable or not)
except ImportError:  # running from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from airbyte_dest_kit.runtime.startup import explain_missing_dependencies

if __name__ == "__main__":
    with explain_missing_dependencies("destination-sql"):  # says how to install what is missing
        from airbyte_dest_kit.connectors import destination_sql

        destination_sql()
