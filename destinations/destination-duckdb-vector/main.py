"""destination-duckdb-vector-vector: records as chunks and vectors in a DuckDB file.

    python main.py spec
    python main.py check --config sample_files/config.json
    cat sample_files/messages.jsonl | python main.py write --config sample_files/config.json \
        --catalog sample_files/configured_catalog.json
    python main.py query --config sample_files/config.json --text "ducks in winter" -k 3

The connector lives in ``airbyte_dest_kit.connectors.destination_duckdb_vector``;
installed, it is the ``destination-duckdb-vector`` command.
"""

import sys
from pathlib import Path

try:
    import airbyte_dest_kit  # noqa: F401 - installed (editable or not)
except ImportError:  # running from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from airbyte_dest_kit.runtime.startup import explain_missing_dependencies

if __name__ == "__main__":
    with explain_missing_dependencies("destination-duckdb-vector"):  # says how to install what is missing
        from airbyte_dest_kit.connectors import destination_duckdb_vector

        destination_duckdb_vector()
