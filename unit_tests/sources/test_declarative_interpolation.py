"""Jinja in manifests: literal values, defaults, macros, the sandbox, and errors naming the field."""

from __future__ import annotations

import datetime as dt

import pytest

from airbyte_dest_kit.sources.declarative.interpolation import Interpolated, InterpolatedMapping
from airbyte_dest_kit.sources.declarative.manifest import ManifestError

CONFIG = {"start": "2024-03-01T10:00:00Z", "size": "25", "nested": {"a": 1}, "ids": [3, 4]}


def ev(source: object, **context: object) -> object:
    return Interpolated(source, "f", parameters={"p": "v"}).eval({"config": CONFIG, **context})


def test_rendered_literals_become_values_and_plain_strings_stay() -> None:
    assert ev("{{ config['size'] }}") == 25
    assert ev("{{ config['ids'] }}") == [3, 4]
    assert ev("{{ 1 < 2 }}") is True
    assert ev("/users/{{ parameters.p }}") == "/users/v"
    assert ev(7) == 7
    assert Interpolated("{{ config['size'] }}", "f", types=(str,)).eval({"config": CONFIG}) == "25"


def test_undefined_values_give_the_default() -> None:
    assert ev("{{ config['missing'] }}") is None
    assert ev("{{ config.missing.deeper }}") is None
    assert Interpolated("{{ config['missing'] }}", "f", default="{{ config['size'] }}").eval({"config": CONFIG}) == 25


def test_aliases_and_macros() -> None:
    assert ev("{{ stream_interval.start_time }}", stream_slice={"start_time": "x"}) == "x"
    assert ev("{{ stream_partition['id'] }}", stream_slice={"id": 5}) == 5
    assert ev("{{ max(2, 9, 4) }} {{ min(config['ids']) }}") == "9 3"
    assert ev("{{ format_datetime(config['start'], '%Y/%m/%d') }}") == "2024/03/01"
    assert ev("{{ format_datetime(1709287200, '%Y-%m-%dT%H:%M:%SZ') }}") == "2024-03-01T10:00:00Z"
    assert ev("{{ timestamp(config['start']) }}") == 1709287200.0
    assert ev("{{ (str_to_datetime(config['start']) - duration('P1D')).strftime('%Y-%m-%d') }}") == "2024-02-29"
    today = dt.datetime.now(dt.timezone.utc).date()
    assert ev("{{ day_delta(-1, '%Y-%m-%d') }}") in {str(today - dt.timedelta(days=1)), str(today)}
    assert ev("{{ today_utc() }}") in {str(today), str(today + dt.timedelta(days=1))}
    assert ev("{{ 'abc' | base64encode }}") == "YWJj"
    assert ev("{{ stream_state['at'] }}", stream_state={"at": "x"}) == "x"  # still offered (Airbyte 7 dropped it)


def test_the_sandbox_blocks_python_internals_and_range() -> None:
    with pytest.raises(ManifestError, match="SecurityError"):
        ev("{{ config.__class__.__init__.__globals__ }}")
    with pytest.raises(ManifestError, match="uses range, which this field does not have"):
        ev("{% for i in range(10) %}{{ i }}{% endfor %}")


def test_errors_name_the_field() -> None:
    with pytest.raises(ManifestError, match=r"manifest: f: Jinja syntax error in \"\{\{ config\['a' \}\}\""):
        Interpolated("{{ config['a' }}", "f")
    with pytest.raises(ManifestError, match="f: '{{ response.x }}' uses response, which this field does not have"):
        ev("{{ response.x }}")
    with pytest.raises(ManifestError, match="ZeroDivisionError"):
        ev("{{ 1 / 0 }}")


def test_mappings_render_keys_and_values_and_drop_nones() -> None:
    mapping = InterpolatedMapping(
        {"a": "{{ config['size'] }}", "{{ parameters.p }}": "x", "gone": "{{ config.no }}"}, "m", {"p": "key"}
    )
    assert mapping.eval({"config": CONFIG}) == {"a": 25, "key": "x"}
    assert InterpolatedMapping("{{ config['nested'] }}", "m").eval({"config": CONFIG}) == {"a": 1}
