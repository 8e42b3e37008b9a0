"""Routing RECORD lines without a JSON parse: only unambiguous lines take the fast path."""

from __future__ import annotations

import pytest

from airbyte_dest_kit.destination.pipeline.router import MessageLine, RecordRun, route_chunk
from airbyte_dest_kit.errors import InputError


def route(text: str, first_line: int = 1) -> list[tuple[str, object, list[int]]]:
    out: list[tuple[str, object, list[int]]] = []
    routed = route_chunk(text.encode(), first_line)
    assert routed.error is None and routed.line_count == text.count("\n")
    for item in routed.items:
        if isinstance(item, RecordRun):
            out.append(("run", item.key, item.line_numbers.to_pylist()))
        else:
            assert isinstance(item, MessageLine)
            out.append(("message", item.text[:30], [item.line_number]))
    return out


def rec(stream: str, before: str = "", after: str = "", data: str = "{}") -> str:
    return f'{{"type":"RECORD","record":{{{before}"stream":"{stream}",{after}"emitted_at":1,"data":{data}}}}}\n'


def test_runs_are_split_by_stream_and_by_message_lines_in_input_order() -> None:
    text = rec("a") + rec("b") + rec("a") + '{"type":"STATE","state":{}}\n' + rec("a")
    assert route(text, 10) == [
        ("run", (None, "a"), [10, 12]),
        ("run", (None, "b"), [11]),
        ("message", '{"type":"STATE","state":{}}', [13]),
        ("run", (None, "a"), [14]),
    ]


def test_namespace_before_or_after_stream_is_read_from_the_prefix() -> None:
    text = (
        rec("a", before='"namespace":"n1",') + rec("a", after='"namespace":"n2",') + rec("a", after='"namespace":null,')
    )
    assert [(kind, key) for kind, key, _ in route(text)] == [
        ("run", ("n1", "a")),
        ("run", ("n2", "a")),
        ("run", (None, "a")),
    ]


def test_a_namespace_key_later_in_the_line_takes_the_slow_path() -> None:
    # Could be the record's namespace (written after its data) or a data field: only a parse can tell.
    text = rec("a", data='{"namespace":"x"}') + rec("a")
    assert route(text)[0][0] == "message"
    assert route(text)[1] == ("run", (None, "a"), [2])


@pytest.mark.parametrize(
    "line",
    [
        '{"record":{"stream":"a","emitted_at":1,"data":{}},"type":"RECORD"}',
        '{"type": "RECORD", "record": {"stream": "a", "emitted_at": 1, "data": {}}}',
        '{"type":"RECORD","record":{"stream":"caf\\u00e9","emitted_at":1,"data":{}}}',
    ],
)
def test_other_shapes_and_escaped_names_are_message_lines(line: str) -> None:
    assert route(line + "\n") == [("message", line[:30], [1])]


def test_blank_lines_are_ignored_and_numbered() -> None:
    assert route("\n\n" + rec("a")) == [("run", (None, "a"), [3])]


def test_invalid_utf8_is_an_input_error_after_the_lines_before_it() -> None:
    chunk = rec("a").encode() + b'{"type":"RECORD","record":{"stream":"a","data":"\xff"}}\n' + rec("a").encode()
    routed = route_chunk(chunk, 5)
    assert isinstance(routed.error, InputError) and routed.error.line == 6
    assert [i.line_numbers.to_pylist() for i in routed.items if isinstance(i, RecordRun)] == [[5]]
    assert routed.line_count == 3


def test_names_that_extend_the_first_lines_stream_are_routed_apart() -> None:
    # The first line's stream is tested as a plain prefix; "a" must not take "ab", "a.*" or "a\u00e9".
    text = rec("a") + rec("ab") + rec("a.*") + rec("a") + rec("aé") + rec("caf\\u00e9") + rec("a")
    assert route(text) == [
        ("run", (None, "a"), [1, 4]),
        ("run", (None, "ab"), [2]),
        ("run", (None, "a.*"), [3]),
        ("run", (None, "aé"), [5]),
        ("message", text.splitlines()[5][:30], [6]),
        ("run", (None, "a"), [7]),
    ]


def test_a_chunk_that_starts_with_a_message_line_routes_its_records() -> None:
    text = '{"type":"STATE","state":{}}\n' + rec("a") + rec("b") + rec("a")
    assert route(text) == [
        ("message", '{"type":"STATE","state":{}}', [1]),
        ("run", (None, "a"), [2, 4]),
        ("run", (None, "b"), [3]),
    ]
