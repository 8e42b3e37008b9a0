"""The suite tests itself: deliberately broken writers (the DuckDB writer with one bug each) must each fail the
scenario that guards against that bug, while the writer without the bug passes it. And a declared inability
is a strict expected failure: it shows as xfailed, and as a failure once the destination can do it after all.
"""

from __future__ import annotations

import dataclasses
import json
import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from airbyte_dest_kit.connectors.destination_duckdb import connector as duckdb_connector
from airbyte_dest_kit.store import MergeTarget
from airbyte_dest_kit.streams.spec import META, StreamSpec
from airbyte_dest_kit.testing.acceptance import Scenario, Target, WriterRunner, duckdb_reader
from airbyte_dest_kit.writers.duckdb import DuckDBWriter

SPEC = Path(duckdb_connector.__file__ or "").parent / "spec.json"


class EchoesStatesBeforeCommitting(DuckDBWriter):
    """Keeps every batch in memory until the stream finishes: the states echoed meanwhile cover nothing."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.pending: list[tuple[StreamSpec, pa.Table]] = []

    def write(self, stream: StreamSpec, batch: pa.Table) -> None:
        self.pending.append((stream, batch))

    def finish(self, stream: StreamSpec) -> None:
        for spec, batch in self.pending:
            super().write(spec, batch)
        self.pending.clear()
        super().finish(stream)


class LosesTheLastBatch(DuckDBWriter):
    """Writes each batch when the next one comes, and forgets the one still held when the stream finishes."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.held: tuple[StreamSpec, pa.Table] | None = None

    def write(self, stream: StreamSpec, batch: pa.Table) -> None:
        if self.held is not None:
            super().write(*self.held)
        self.held = (stream, batch)

    def finish(self, stream: StreamSpec) -> None:
        self.held = None
        super().finish(stream)


class OverwritesPerBatch(DuckDBWriter):
    """Empties the table before each batch, so only the last batch survives."""

    def append(self, stream: StreamSpec, table: str, rows: pa.Table) -> None:
        self.con.execute(f"DELETE FROM {self.qualified(stream.schema_name, table)}")
        super().append(stream, table, rows)


class DedupsByArrival(DuckDBWriter):
    """Merges as if the stream had no cursor: the last version to arrive wins, whatever its cursor."""

    def merge(self, stream: StreamSpec, target: MergeTarget, source: pa.Table | str) -> None:
        super().merge(dataclasses.replace(stream, cursor=None), target, source)


class DropsMetaChanges(DuckDBWriter):
    """Writes ``_airbyte_meta`` without its ``changes``: a nulled value goes unreported."""

    def write(self, stream: StreamSpec, batch: pa.Table) -> None:
        metas = [_without_changes(meta) for meta in batch.column(META).to_pylist()]
        index = batch.schema.get_field_index(META)
        super().write(stream, batch.set_column(index, batch.schema.field(index), pa.array(metas, batch[META].type)))


def _without_changes(meta: Any) -> Any:
    parsed = json.loads(meta) if isinstance(meta, str) else meta
    cleared = {**parsed, "changes": []}
    return json.dumps(cleared) if isinstance(meta, str) else cleared


def _target(writer: Callable[[str], DuckDBWriter], tmp: Path) -> Target:
    path = tmp / "broken.duckdb"

    def create(config: Mapping[str, Any]) -> DuckDBWriter:
        return writer(config["destination_path"])

    config = {"destination_path": str(path)}
    invalid = {"destination_path": str(tmp)}  # a folder, not a database file
    return Target(WriterRunner(create, spec_path=SPEC), config, invalid, duckdb_reader(path), tmp)


# Each broken writer and the scenario that must catch it.
CAUGHT_BY = {
    "echoes-before-commit": (EchoesStatesBeforeCommitting, "append_failing_after_a_state_keeps_what_it_echoed"),
    # killed in a forked child (the runner is a WriterRunner around a closure): its echoed states cover nothing
    "echoes-before-commit-killed": (EchoesStatesBeforeCommitting, "kill_9_mid_sync_keeps_every_echoed_state"),
    "loses-last-batch": (LosesTheLastBatch, "append_twice_keeps_both_syncs"),
    "overwrites-per-batch": (OverwritesPerBatch, "append_twice_keeps_both_syncs"),
    "dedups-by-arrival": (DedupsByArrival, "dedup_twice_merges_by_cursor_across_syncs"),
    "drops-meta-changes": (DropsMetaChanges, "awkward_names_and_values_round_trip"),
}


@pytest.mark.parametrize("bug", list(CAUGHT_BY))
def test_the_scenario_fails_for_the_broken_writer(bug: str, tmp_path: Path) -> None:
    broken, name = CAUGHT_BY[bug]
    with pytest.raises(AssertionError):
        Scenario.load(name).play(_target(broken, tmp_path))


@pytest.mark.parametrize("name", sorted({name for _, name in CAUGHT_BY.values()}))
def test_the_same_scenario_passes_for_the_writer_without_the_bug(name: str, tmp_path: Path) -> None:
    Scenario.load(name).play(_target(DuckDBWriter, tmp_path))


def test_every_scenario_has_its_test_and_every_test_its_scenario() -> None:
    from airbyte_dest_kit.testing.acceptance import SCENARIOS, DestinationAcceptance, generated

    files = {p.stem for p in SCENARIOS.glob("*.jsonl")}
    tests = {
        name.removeprefix("test_")
        for name, method in vars(DestinationAcceptance).items()
        if name.startswith("test_") and "scenario" in method.__code__.co_varnames
    }
    assert not files & set(generated.SCENARIOS), "a scenario is either a file or generated"
    assert files | set(generated.SCENARIOS) == tests


class _OutcomeByClass:
    """The outcome of each test class's one selected test, as pytest reports it (xfailed, failed, passed)."""

    def __init__(self) -> None:
        self.outcomes: dict[str, str] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call":
            expected_failure = hasattr(report, "wasxfail") and report.skipped
            self.outcomes[report.nodeid.split("::")[-2]] = "xfailed" if expected_failure else report.outcome


def test_declared_inabilities_are_strict_expected_failures(tmp_path: Path) -> None:
    """A writer that cannot dedup declaring it: its dedup scenario xfails. DuckDB declaring it wrongly: the
    scenario passes, which fails the test (strict), so a declaration never hides a working feature; and no
    scenario is ever skipped."""
    (tmp_path / "test_declared.py").write_text(
        textwrap.dedent(
            f"""
            import pytest
            from airbyte_dest_kit import Capabilities
            from airbyte_dest_kit.testing.acceptance import DestinationAcceptance, Target, WriterRunner, duckdb_reader
            from airbyte_dest_kit.writers.duckdb import DuckDBWriter
            import dataclasses


            class NoDedup(DuckDBWriter):
                pass


            # after the class: a store derives its capabilities when subclassed
            NoDedup.capabilities = dataclasses.replace(DuckDBWriter.capabilities, dedup=False)


            class Base(DestinationAcceptance):
                writer = DuckDBWriter

                @pytest.fixture
                def destination(self, tmp_path):
                    path = tmp_path / "x.duckdb"
                    runner = WriterRunner(lambda c: self.writer(c["destination_path"]), spec_path={str(SPEC)!r})
                    config = {{"destination_path": str(path)}}
                    declared = Capabilities(dedup=False)
                    return Target(runner, config, {{}}, duckdb_reader(path), tmp_path, capabilities=declared)


            class TestNoDedup(Base):
                writer = NoDedup


            class TestWronglyDeclared(Base):
                pass
            """
        )
    )
    outcomes = _OutcomeByClass()
    args = [str(tmp_path), "-q", "-p", "no:cacheprovider", "-k", "dedup_twice", "--rootdir", str(tmp_path)]
    pytest.main(args, plugins=[outcomes])
    assert outcomes.outcomes == {"TestNoDedup": "xfailed", "TestWronglyDeclared": "failed"}
