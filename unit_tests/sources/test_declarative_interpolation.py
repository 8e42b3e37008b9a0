"""Jinja in manifests: literal values, defaults, macros, the sandbox, and errors naming the field."""

from __future__ import annotations

import datetime as dt

import pytest

from airbyte_dest_kit.sources.declarative.interpolation import Interpolated, InterpolatedMapping, config_for_templates
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


# The spec of CONFIG: end_date and region may be missing; credentials has a oneOf of two auth methods.
SPEC_SCHEMA = {
    "type": "object",
    "required": ["start"],
    "properties": {
        "start": {"type": "string"},
        "size": {"type": "string"},
        "end_date": {"type": "string"},
        "nested": {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}},
        "credentials": {
            "type": "object",
            "oneOf": [
                {"properties": {"method": {"const": "token"}, "token": {"type": "string"}}},
                {"properties": {"method": {"const": "oauth"}, "client_id": {"type": "string"}}},
            ],
        },
    },
    "anyOf": [{"properties": {"region": {"type": "string"}}}],
}
WITH_SPEC = config_for_templates({**CONFIG, "credentials": {"method": "oauth"}}, SPEC_SCHEMA)
PATH = "streams[0].retriever.requester.path"


def render(source: str, default: object = None, **context: object) -> object:
    field = Interpolated(source, PATH, parameters={"p": "v"}, default=default)
    return field.eval({"config": WITH_SPEC, **context})


@pytest.mark.parametrize(
    ("source", "missing"),
    [
        ("{{ config['nope']['x'] }}", "config['nope']"),
        ("/users/{{ config.nope }}", "config['nope']"),
        ("{{ 'a' if config['nope'] else 'b' }}", "config['nope']"),  # a typo must not pick a branch
        ("{{ config['nested']['c'] }}", "config['nested']['c']"),
        ("{{ config['credentials']['secret'] }}", "config['credentials']['secret']"),
    ],
)
def test_a_config_key_the_spec_does_not_declare_is_an_error_naming_the_field_and_the_key(
    source: str, missing: str
) -> None:
    with pytest.raises(ManifestError) as raised:
        render(source)
    assert raised.value.where == PATH
    assert str(raised.value).startswith(f"manifest: {PATH}: {source!r}: {missing} is not in the config, and the spec")
    assert str(raised.value).endswith(
        ": fix the name, or ask for a value that may be missing with .get() or | default()"
    )


def test_the_error_lists_the_keys_that_are_there() -> None:
    with pytest.raises(ManifestError) as raised:
        render("{{ config['nested']['c'] }}")
    assert "config['nested']['c'] is not in the config, and the spec does not declare it (keys here: a, b)" in str(
        raised.value
    )


def test_without_a_spec_every_missing_config_key_is_an_error() -> None:
    with pytest.raises(ManifestError, match=r"config\['end_date'\] is not in the config"):
        ev("{{ config['end_date'] }}")


def test_a_declared_config_key_left_unset_is_undefined_as_in_airbyte_cdk() -> None:
    assert render("{{ config['end_date'] }}") is None  # renders empty: the field's default
    assert render("{{ config['end_date'] }}", default="{{ config['size'] }}") == 25
    assert render("{{ config['end_date']['x'] }}", default="d") == "d"
    assert render("{{ 'a' if config['end_date'] else 'b' }}") == "b"
    assert render("{{ config['region'] }}") is None  # declared in an anyOf branch
    assert render("{{ config['credentials']['client_id'] }}") is None  # declared in a oneOf branch
    assert render("{{ config['nested']['b'] }}") is None


def test_asking_for_a_value_that_may_be_missing_is_never_an_error() -> None:
    assert render("{{ config.get('nope', 'd') }}") == "d"
    assert render("{{ config['nope'] | default('d') }}") == "d"
    assert render("{{ config['nope'] is defined }}") is False
    assert render("{{ 'nope' in config }}") is False
    assert render("{{ parameters.get('q', 'd') }}") == "d"
    assert render("{{ parameters['q'] | default('d') }}") == "d"


def test_a_parameter_no_parameters_set_is_an_error_naming_the_field() -> None:
    with pytest.raises(ManifestError) as raised:
        render("/{{ parameters['resource'] }}")
    assert str(raised.value) == (
        f"manifest: {PATH}: \"/{{{{ parameters['resource'] }}}}\": parameters['resource'] is set by no $parameters "
        "in force here (keys here: p): fix the name, or ask for a value that may be missing with .get() or | default()"
    )


def test_missing_values_of_a_request_render_empty_as_in_airbyte_cdk() -> None:
    """Values that change from request to request: a missing one is often expected (no token before the first
    page, a partition without the field, no next link on the last page)."""
    assert render("{{ next_page_token['next_page_url'] }}", next_page_token=None) is None
    assert render("{{ next_page_token['next_page_url'] }}", default="/items", next_page_token=None) == "/items"
    assert render("{{ next_page_token.next_page_token }}", next_page_token=None) is None
    assert render("{{ stream_state.get('updated_at') }}", stream_state={}) is None
    assert render("{{ stream_partition.parent_id }}", stream_slice={}) is None
    assert render("{{ stream_partition.parent_id }}", stream_slice={"parent_id": 7}) == 7
    assert render("{{ response.data | default(['none']) }}", response={}) == ["none"]
    assert render("{{ response['links']['next'] }}", response={}) is None
    assert render("{{ not response['next'] }}", response={}) is True


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
    with pytest.raises(ManifestError) as unknown_filter:
        Interpolated("{{ config['a'] | nope }}", "f")
    assert (
        str(unknown_filter.value) == "manifest: f: Jinja error in \"{{ config['a'] | nope }}\": No filter named 'nope'."
    )
    with pytest.raises(ManifestError, match=r"manifest: f: Jinja error in .*: No test named 'nope'"):
        Interpolated("{{ config['a'] is nope }}", "f")
    with pytest.raises(ManifestError, match="f: '{{ response.x }}' uses response, which this field does not have"):
        ev("{{ response.x }}")
    with pytest.raises(ManifestError, match="ZeroDivisionError"):
        ev("{{ 1 / 0 }}")


def test_mappings_render_keys_and_values_and_drop_nones() -> None:
    mapping = InterpolatedMapping(
        {"a": "{{ config['size'] }}", "{{ parameters.p }}": "x", "gone": "{{ config.get('no') }}"}, "m", {"p": "key"}
    )
    assert mapping.eval({"config": CONFIG}) == {"a": 25, "key": "x"}
    assert InterpolatedMapping("{{ config['nested'] }}", "m").eval({"config": CONFIG}) == {"a": 1}
