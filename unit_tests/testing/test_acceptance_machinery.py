"""The acceptance suite's own parts that need no destination: how read-back values compare, the STATE lines a
resumed sync must echo, placeholders, and a forked write fed as it goes (killed, or finished)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from airbyte_dest_kit.destination.destination import Destination
from airbyte_dest_kit.protocol.models import AirbyteMessage, Type
from airbyte_dest_kit.testing.acceptance import DestinationRunner, plain
from airbyte_dest_kit.testing.acceptance.readers import clock, instant, wall_clock
from airbyte_dest_kit.testing.acceptance.scenario import _bind, _echoes
from airbyte_dest_kit.testing.builders import echoed, global_state, record, stream_state

UTC = dt.timezone.utc


@pytest.mark.parametrize(
    "text",
    ["2024-05-01 10:00:00", "2024-05-01T12:00:00+02:00", "2024-05-01 10:00:00Z", "2024-05-01 10:00:00.000+00"],
)
def test_instant_reads_every_form_targets_give(text: str) -> None:
    assert instant(text) == dt.datetime(2024, 5, 1, 10, tzinfo=UTC)


def test_wall_clock_and_clock_read_short_fractions_and_zones() -> None:
    assert wall_clock("2024-05-01T12:00:00.5") == dt.datetime(2024, 5, 1, 12, 0, 0, 500000)
    assert clock("23:59:59.25") == dt.time(23, 59, 59, 250000)
    assert clock("00:00:00Z") == dt.time(0, tzinfo=UTC)
    assert clock("10:00:00+02") == dt.time(10, tzinfo=dt.timezone(dt.timedelta(hours=2)))


def test_plain_gives_a_mysql_time_as_its_text() -> None:
    assert plain(dt.timedelta(hours=23, minutes=59, seconds=59, microseconds=250000)) == "23:59:59.250000"


def test_echoes_count_each_streams_records_since_its_last_state() -> None:
    a1, b1, g = stream_state("a", {"p": 1}), stream_state("b", {"p": 1}, namespace="n"), global_state({"p": 2})
    messages: Sequence[Mapping[str, Any] | str] = [
        record("a", {}),
        record("b", {}, namespace="n"),
        record("a", {}),
        "a raw line",
        a1,
        b1,
        record("a", {}),
        g,
    ]
    assert _echoes(messages) == [echoed(a1, 2), echoed(b1, 1), echoed(g, 1)]


def test_placeholders_are_bound_in_keys_values_and_lists() -> None:
    step = {"rows": {"namespace": "${namespace}", "equal": [["${namespace}_x"]], "${namespace}": 1}}
    assert _bind(step, {"${namespace}": "ns"}) == {"rows": {"namespace": "ns", "equal": [["ns_x"]], "ns": 1}}


class _EchoesStatesAtOnce(Destination):
    """Yields each STATE as it arrives (writes nothing): enough to drive a live write."""

    def spec(self) -> dict[str, Any]:
        return {"connectionSpecification": {"type": "object"}}

    def write(self, config: Any, catalog: Any, input_messages: Iterator[AirbyteMessage]) -> Iterator[AirbyteMessage]:
        yield from (m for m in input_messages if m.type == Type.STATE)


def test_a_forked_write_is_fed_as_it_goes_and_killed_with_what_it_printed(tmp_path: Path) -> None:
    live = DestinationRunner(_EchoesStatesAtOnce).start_write({}, {"streams": []}, tmp_path)
    first = stream_state("a", {"p": 1})
    live.send([record("a", {"id": 1}), first])
    assert live.wait_for("STATE", 1, timeout=30), live.printed
    live.send([record("a", {"id": 2})])
    assert not live.wait_for("STATE", 2, timeout=0.2)  # no second state was sent
    killed = live.kill()
    assert killed.of_type("STATE") == [echoed(first, 1)]
    assert killed.returncode == -9  # killed, not ended: its input was never closed


def test_a_live_write_hands_out_each_state_once_and_finishes_with_the_whole_run(tmp_path: Path) -> None:
    live = DestinationRunner(_EchoesStatesAtOnce).start_write({}, {"streams": []}, tmp_path)
    first, second = stream_state("a", {"p": 1}), stream_state("a", {"p": 2})
    live.send([record("a", {"id": 1}), first, second])
    assert live.next_state(timeout=30) == echoed(first, 1)
    assert live.next_state(timeout=30) == echoed(second, 0)
    assert live.next_state(timeout=0.2) is None  # no third state was sent
    run = live.finish()
    assert run.returncode == 0 and run.of_type("STATE") == [echoed(first, 1), echoed(second, 0)]
