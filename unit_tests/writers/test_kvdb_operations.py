"""KvDB transaction entries: a batch's set operations made in Arrow are the same text as one by one."""

from __future__ import annotations

import orjson
import pyarrow as pa

from airbyte_dest_kit.writers.kvdb import set_operation, set_operations


def test_set_operations_in_arrow_match_set_operation_for_hostile_keys_and_values() -> None:
    keys = ['users/"quoted"', "users/back\\slash", "users/tab\tnul\x00", "naïve/日本/🦆", "users/%2F%25"]
    values = ['{"a":1}', '{"text":"é\\n\\u0000"}', "{}", '{"nested":{"x":[1,2]}}', '{"big":12345678901234567890}']
    for value_type in (pa.string(), pa.large_string()):
        arrow = set_operations(
            keys, pa.chunked_array([pa.array(values[:2], value_type), pa.array(values[2:], value_type)])
        )
        made = [text.encode() for text in arrow.to_pylist()]
        assert made == [set_operation(k, v) for k, v in zip(keys, values, strict=True)]
        assert [orjson.loads(m)["set"] for m in made] == keys
