""":class:`DestinationAcceptance`: subclass it in your pytest file and give it a ``destination`` fixture.

    from airbyte_dest_kit.testing.acceptance import DestinationAcceptance, Target, WriterRunner, duckdb_reader

    class TestMyDestination(DestinationAcceptance):
        @pytest.fixture
        def destination(self, tmp_path):
            path = tmp_path / "out.duckdb"
            return Target(
                runner=WriterRunner(lambda config: MyWriter(config["path"]), spec_path=HERE / "spec.json"),
                config={"path": str(path)},
                invalid_config={"path": "/no/such/folder/out.duckdb"},
                read_table=duckdb_reader(path),
                tmp=tmp_path,
                capabilities=MyWriter.capabilities,  # a scenario needing what it lacks is a strict xfail
            )

Every ``test_…`` method plays ``scenarios/….jsonl``; a few check more in Python.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import jsonschema
import pytest

from airbyte_dest_kit.testing.acceptance.readers import clock, instant, wall_clock
from airbyte_dest_kit.testing.acceptance.scenario import Scenario, Target


class DestinationAcceptance:
    """The protocol's promises to a destination, as tests. Define the ``destination`` fixture (a :class:`Target`)."""

    @pytest.fixture
    def destination(self) -> Target:
        raise NotImplementedError("define a `destination` fixture returning an acceptance Target in your test class")

    @pytest.fixture
    def scenario(self, request: pytest.FixtureRequest, destination: Target) -> Scenario:
        """The scenario named after the test; one needing what the destination cannot do is a strict xfail:
        it must fail (a destination that can do it after all is told to drop the declaration)."""
        scenario = Scenario.load(request.node.originalname.removeprefix("test_"))
        lacking = sorted(scenario.requires & destination.capabilities.lacking())
        if lacking:
            reason = f"the destination declares it cannot do: {', '.join(lacking)}"
            request.node.add_marker(pytest.mark.xfail(strict=True, reason=reason))
        return scenario

    # -- spec and check ----------------------------------------------------------------------------

    def test_spec_is_a_valid_json_schema_the_config_satisfies(self, destination: Target) -> None:
        run = destination.runner.spec(destination.tmp)
        assert run.returncode == 0, run.stdout + run.stderr
        (message,) = run.of_type("SPEC")
        schema = message["spec"]["connectionSpecification"]
        jsonschema.validators.validator_for(schema).check_schema(schema)
        jsonschema.validate(dict(destination.config), schema)

    def _status(self, destination: Target, config: Any) -> dict[str, Any]:
        run = destination.runner.check(config, destination.tmp)
        assert run.returncode == 0, f"check exits 0 whatever it finds: {run.stdout}{run.stderr}"
        statuses = run.of_type("CONNECTION_STATUS")
        assert len(statuses) == 1, f"check prints exactly one CONNECTION_STATUS: {run.stdout}"
        status: dict[str, Any] = statuses[0]["connectionStatus"]
        return status

    def test_check_succeeds_with_the_valid_config(self, destination: Target) -> None:
        assert self._status(destination, destination.config)["status"] == "SUCCEEDED"

    def test_check_fails_with_the_invalid_config_and_says_why(self, destination: Target) -> None:
        status = self._status(destination, destination.invalid_config)
        assert status["status"] == "FAILED"
        assert status.get("message"), "a FAILED check says what to fix"

    # -- modes ----------------------------------------------------------------------------------------

    def test_append_twice_keeps_both_syncs(self, destination: Target, scenario: Scenario) -> None:
        scenario.play(destination)

    def test_overwrite_twice_keeps_only_the_last_sync(self, destination: Target, scenario: Scenario) -> None:
        scenario.play(destination)

    def test_overwrite_with_zero_records_empties_the_stream(self, destination: Target, scenario: Scenario) -> None:
        scenario.play(destination)

    def test_overwrite_failing_halfway_leaves_old_data(self, destination: Target, scenario: Scenario) -> None:
        scenario.play(destination)

    def test_append_failing_after_a_state_keeps_what_it_echoed(self, destination: Target, scenario: Scenario) -> None:
        scenario.play(destination)

    def test_dedup_twice_merges_by_cursor_across_syncs(self, destination: Target, scenario: Scenario) -> None:
        scenario.play(destination)

    def test_dedup_applies_cdc_deletes(self, destination: Target, scenario: Scenario) -> None:
        scenario.play(destination)

    def test_truncate_refresh_replaces_old_generations_at_the_end(
        self, destination: Target, scenario: Scenario
    ) -> None:
        scenario.play(destination)

    def test_a_normal_sync_after_a_cancelled_truncate_keeps_every_row(
        self, destination: Target, scenario: Scenario
    ) -> None:
        scenario.play(destination)

    def test_staged_rows_of_a_cancelled_dedup_refresh_merge_by_the_dedup_rules(
        self, destination: Target, scenario: Scenario
    ) -> None:
        scenario.play(destination)

    def test_schema_evolution_adds_and_widens_columns(self, destination: Target, scenario: Scenario) -> None:
        scenario.play(destination)

    # -- states and messages ---------------------------------------------------------------------------

    def test_interleaved_states_of_two_streams_are_echoed_in_order(
        self, destination: Target, scenario: Scenario
    ) -> None:
        scenario.play(destination)

    def test_global_and_legacy_states_are_echoed_exactly(self, destination: Target, scenario: Scenario) -> None:
        scenario.play(destination)

    def test_zero_records_change_nothing(self, destination: Target, scenario: Scenario) -> None:
        scenario.play(destination)

    def test_kill_9_mid_sync_keeps_every_echoed_state(self, destination: Target, scenario: Scenario) -> None:
        scenario.play(destination)

    def test_unknown_message_types_are_ignored(self, destination: Target, scenario: Scenario) -> None:
        scenario.play(destination)

    def test_a_stray_stream_fails_the_sync_naming_it(self, destination: Target, scenario: Scenario) -> None:
        scenario.play(destination)

    def test_missing_and_undeclared_fields_never_fail(self, destination: Target, scenario: Scenario) -> None:
        scenario.play(destination)

    # -- names and values ------------------------------------------------------------------------------

    def test_awkward_names_and_values_round_trip(self, destination: Target, scenario: Scenario) -> None:
        scenario.play(destination)
        first = next(r for r in destination.rows("select") if r["id"] == 1)
        long_column = next(k for k in first if k.startswith("a_column_name_"))
        assert len(long_column.encode()) <= 100 and first[long_column] == "long"
        assert instant(first["when"]) == dt.datetime(2024, 5, 1, 10, tzinfo=dt.timezone.utc), first["when"]

    def test_values_at_the_limits_round_trip(self, destination: Target, scenario: Scenario) -> None:
        scenario.play(destination)

    def test_stream_names_in_camel_case_and_with_special_characters(
        self, destination: Target, scenario: Scenario
    ) -> None:
        scenario.play(destination)

    def test_namespaces_keep_streams_of_the_same_name_apart(self, destination: Target, scenario: Scenario) -> None:
        scenario.play(destination)

    def test_times_and_timestamps_with_and_without_zones_round_trip(
        self, destination: Target, scenario: Scenario
    ) -> None:
        scenario.play(destination)
        first, second = sorted(destination.rows("times"), key=lambda row: int(row["id"]))
        utc, plus_two = dt.timezone.utc, dt.timezone(dt.timedelta(hours=2))
        # with a zone: the same instant (a database may give it in UTC); without one: as written, never shifted
        assert instant(first["ts_tz"]) == dt.datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=utc), first
        assert instant(second["ts_tz"]) == dt.datetime(1969, 7, 20, 20, 17, 40, tzinfo=utc), second
        assert wall_clock(first["ts"]) == dt.datetime(2024, 5, 1, 12, 0, 0, 500000), first
        assert wall_clock(second["ts"]) == dt.datetime(1969, 7, 20, 20, 17, 40), second
        assert clock(first["t_tz"]) == dt.time(10, tzinfo=plus_two), first
        assert clock(second["t_tz"]) == dt.time(0, tzinfo=utc), second
        assert (clock(first["t"]), clock(second["t"])) == (dt.time(23, 59, 59, 250000), dt.time(0)), (first, second)

    def test_arrays_of_mixed_types_and_unions_round_trip(self, destination: Target, scenario: Scenario) -> None:
        scenario.play(destination)

    # -- sizes (generated scenarios, see generated.py) --------------------------------------------------

    def test_five_hundred_columns_round_trip(self, destination: Target, scenario: Scenario) -> None:
        scenario.play(destination)

    def test_a_ten_megabyte_record_round_trips(self, destination: Target, scenario: Scenario) -> None:
        scenario.play(destination)

    def test_a_hundred_streams_in_one_sync(self, destination: Target, scenario: Scenario) -> None:
        scenario.play(destination)

    def test_overwrite_beside_a_stream_named_like_its_staging_table(
        self, destination: Target, scenario: Scenario
    ) -> None:
        scenario.play(destination)

    def test_dedup_with_deletes_beside_a_stream_named_like_its_tombstones(
        self, destination: Target, scenario: Scenario
    ) -> None:
        scenario.play(destination)
