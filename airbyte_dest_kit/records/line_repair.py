"""RECORD lines DuckDB's JSON reader cannot take as they are, rewritten the way sources' parsers read them.

Both cases are rare, so this runs in Python on those lines only (the typer finds them):

- a key twice in one object: DuckDB reads the first value, the JSON parsers sources use (Python's, orjson)
  the last; the rewritten line keeps the last, at every level.
- a lone UTF-16 surrogate escape (``"\\ud800"``): valid JSON text, but no UTF-8 store can hold it. It
  becomes U+FFFD, and the record's ``meta.changes`` gets an entry for the top-level field that held it
  (``TRUNCATED``, ``DESTINATION_SERIALIZATION_ERROR``: the value is kept, less what could not be stored).
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from airbyte_dest_kit.protocol.codec import loads_lenient

_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def _without_surrogates(value: Any) -> tuple[Any, bool]:
    """``value`` with every lone surrogate (in keys and strings, at any depth) replaced; whether one was."""
    if isinstance(value, str):
        fixed = _SURROGATE.sub(REPLACEMENT, value)
        return fixed, fixed != value
    if isinstance(value, list):
        items = [_without_surrogates(item) for item in value]
        return [item for item, _ in items], any(changed for _, changed in items)
    if isinstance(value, dict):
        result, changed = {}, False
        for key, item in value.items():
            new_key, key_changed = _without_surrogates(key)
            result[new_key], item_changed = _without_surrogates(item)
            changed = changed or key_changed or item_changed
        return result, changed
    return value, False


def repair_record_line(line: str) -> str | None:
    """The line as compact JSON the typer can read, or None when it is not JSON at all."""
    try:
        message = loads_lenient(line)
    except ValueError:
        return None
    record = message.get("record") if isinstance(message, dict) else None
    data = record.get("data") if isinstance(record, dict) else None
    if isinstance(record, dict) and isinstance(data, dict):
        fixed: dict[str, Any] = {}
        changed_fields = []
        for key, value in data.items():
            new_key, key_changed = _without_surrogates(key)
            fixed[new_key], value_changed = _without_surrogates(value)
            if key_changed or value_changed:
                changed_fields.append(new_key)
        record["data"] = fixed
        if changed_fields:
            meta = record.setdefault("meta", {})
            changes = meta.setdefault("changes", []) if isinstance(meta, dict) else None
            if isinstance(changes, list):  # any other shape is reported as bad input by the typer
                changes.extend(
                    {"field": name, "change": "TRUNCATED", "reason": "DESTINATION_SERIALIZATION_ERROR"}
                    for name in changed_fields
                )
    message, _ = _without_surrogates(message)  # anywhere else (meta, the envelope): replaced, nothing to report
    return orjson.dumps(message).decode()
