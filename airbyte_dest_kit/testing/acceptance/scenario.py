"""Scenarios: JSONL files in ``scenarios/``, one per test, named after it (``test_append_twice`` plays
``append_twice.jsonl``). Each line is one step, played in order against a :class:`Target`:

- ``{"requires": ["dedup"], "about": "…"}``: the first line; what the destination must be able to do.
- ``{"write": {"catalog": {…}, "messages": [… a str is a raw line …], "exit": 0, "states": [… exact STATE
  lines expected on stdout …], "error_contains": "line 5"}}``: one ``write`` run and its expected outcome
  (the STATE lines exactly, in order per stream as the protocol orders them).
- ``{"rows": {"stream": "items", "columns": ["id", "name"], "equal": [[1, "a"], …]}}``: the stream's table
  holds exactly these rows (in any order), projected on ``columns``; ``"includes"`` instead of
  ``"equal"``: at least these rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airbyte_dest_kit.testing.acceptance.readers import ReadTable, Rows, plain
from airbyte_dest_kit.testing.acceptance.runners import Runner
from airbyte_dest_kit.testing.harness import Run

SCENARIOS = Path(__file__).parent / "scenarios"

# What a destination may declare it cannot do (``Target.cannot``); scenarios needing it are expected failures.
CAPABILITIES = frozenset({"dedup", "truncate_refresh", "schema_evolution"})


@dataclass
class Target:
    """The destination under test: how to run it, a valid and an invalid config, how to read a table back.

    ``schema`` is where streams without a namespace land; ``cannot`` names the :data:`CAPABILITIES` it lacks.
    """

    runner: Runner
    config: Mapping[str, Any]
    invalid_config: Mapping[str, Any]
    read_table: ReadTable
    tmp: Path
    schema: str = "main"
    cannot: Collection[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        unknown = set(self.cannot) - CAPABILITIES
        if unknown:
            raise ValueError(f"Target.cannot: unknown capabilities {sorted(unknown)}; known: {sorted(CAPABILITIES)}")

    def write(self, catalog: Mapping[str, Any], messages: Sequence[Mapping[str, Any] | str]) -> Run:
        return self.runner.write(self.config, catalog, messages, self.tmp)

    def rows(self, table: str) -> Rows:
        """The rows of ``table`` in the target schema, every value in its :func:`plain` form."""
        return [{k: plain(v) for k, v in row.items()} for row in self.read_table(self.schema, table)]


def _sort_key(row: Sequence[Any]) -> str:
    """Numbers compare as numbers (3 == 3.0 == True as a database may give them): sort on their float form."""

    def norm(value: Any) -> Any:
        if isinstance(value, bool | int | float):
            return float(value)
        if isinstance(value, list):
            return [norm(v) for v in value]
        if isinstance(value, dict):
            return {k: norm(v) for k, v in value.items()}
        return value

    return json.dumps(norm(list(row)), sort_keys=True, default=str)


@dataclass
class Scenario:
    name: str
    requires: frozenset[str]
    steps: list[dict[str, Any]]

    @classmethod
    def load(cls, name: str) -> Scenario:
        path = SCENARIOS / f"{name}.jsonl"
        if not path.is_file():
            raise FileNotFoundError(f"no scenario {path.name} in {SCENARIOS} for test_{name}")
        header, *steps = (json.loads(line) for line in path.read_text().splitlines() if line.strip())
        return cls(name, frozenset(header.get("requires", ())), steps)

    def play(self, target: Target) -> list[Run]:
        """Every step in order; the runs, for tests that check more."""
        runs = []
        for number, step in enumerate(self.steps, start=2):
            where = f"{self.name}.jsonl line {number}"
            ((kind, body),) = step.items()
            if kind == "write":
                runs.append(_write(target, body, where))
            elif kind == "rows":
                _rows(target, body, where)
            else:
                raise ValueError(f"{where}: unknown step {kind!r} (write, rows)")
        return runs


def _write(target: Target, body: Mapping[str, Any], where: str) -> Run:
    run = target.write(body["catalog"], body["messages"])
    shown = f"{where}\nstdout:\n{run.stdout}\nstderr:\n{run.stderr[-3000:]}"
    assert run.returncode == body.get("exit", 0), f"exit {run.returncode}, expected {body.get('exit', 0)}: {shown}"
    assert _per_stream(run.of_type("STATE")) == _per_stream(body["states"]), f"STATE lines differ: {shown}"
    if "error_contains" in body:
        errors = run.errors()
        assert errors and body["error_contains"] in errors[0]["message"], f"error message: {shown}"
    return run


def _per_stream(states: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The states by the stream they are of, in order: the protocol orders echoed states per stream (GLOBAL
    and LEGACY states are one sequence)."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for message in states:
        state = message["state"]
        stream = state["stream"]["stream_descriptor"] if state.get("type") == "STREAM" else None
        grouped.setdefault(json.dumps(stream, sort_keys=True), []).append(message)
    return grouped


def _rows(target: Target, body: Mapping[str, Any], where: str) -> None:
    columns: list[str] = body["columns"]
    got = sorted(([row.get(c) for c in columns] for row in target.rows(body["stream"])), key=_sort_key)
    compare: Callable[[list[list[Any]], list[list[Any]]], bool]
    if "equal" in body:
        expected = sorted(body["equal"], key=_sort_key)
        compare = _equal
    else:
        expected = sorted(body["includes"], key=_sort_key)
        compare = _includes
    how = "exactly" if "equal" in body else "at least"
    assert compare(got, expected), f"{where}: {body['stream']} {columns} holds\n  {got}\nexpected {how}\n  {expected}"


def _equal(got: list[list[Any]], expected: list[list[Any]]) -> bool:
    return got == expected


def _includes(got: list[list[Any]], expected: list[list[Any]]) -> bool:
    remaining = list(got)
    for row in expected:
        if row not in remaining:
            return False
        remaining.remove(row)
    return True
