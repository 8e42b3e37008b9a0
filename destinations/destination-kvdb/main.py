"""destination-kvdb: land Airbyte messages in a KvDB-style HTTP key-value bucket (the Airbyte guide's example).

    python server.py --host 127.0.0.1 --port 8765 --data ./kv.sqlite --token T      # a local server
    python main.py spec
    python main.py check --config sample_files/config.json
    cat sample_files/messages.jsonl | python main.py write --config sample_files/config.json \
        --catalog sample_files/configured_catalog.json

The connector lives in ``airbyte_dest_kit.connectors.destination_kvdb``;
installed, it is the ``destination-kvdb`` command.
"""

import sys
from pathlib import Path

try:
    import airbyte_dest_kit  # noqa: F401 - installed (editable or not)
except ImportError:  # running from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from airbyte_dest_kit.runtime.startup import explain_missing_dependencies

if __name__ == "__main__":
    with explain_missing_dependencies("destination-kvdb"):  # says how to install what is missing
        from airbyte_dest_kit.connectors import destination_kvdb

        destination_kvdb()
