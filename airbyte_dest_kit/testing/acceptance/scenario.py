"""Scenarios: JSONL files in ``scenarios/``, one per test, named after it (``test_append_twice`` plays
``append_twice.jsonl``); scenarios too big to keep as files (500 columns, a 10 MB record, 100 streams) are
built by code in :mod:`.generated`, as the same steps. Each line is one step, played in order against a
:class:`Target`:

- ``{"requires": ["dedup"], "about": "…"}``: the first line; what the destination must be able to do.
- ``{"write": {"catalog": {…}, "messages": [… a str is a raw line …], "exit": 0, "states": [… exact STATE
  lines expected on stdout …], "error_contains": "line 5"}}``: one ``write`` run and its expected outcome
  (the STATE lines exactly, in order per stream as the protocol orders them).
- ``{"rows": {"stream": "items", "columns": ["id", "name"], "equal": [[1, "a"], …]}}``: the stream's table
  holds exactly these rows (in any order), projected on ``columns``; ``"includes"`` instead of
  ``"equal"``: at least these rows; ``"or_equal"`` beside ``"equal"``: other rows the table may hold
  instead (a store of JSON keeps a value a typed column must NULL); ``"namespace"``: the stream's namespace
  (else the config's default);
  ``"json"``: columns of JSON values (unions), whose text a target may give unparsed (``'"a"'`` for ``"a"``).
- ``{"kill": {"catalog": {…}, "messages": […], "states": 1, "then": […], "key": "id"}}``: a ``write`` of one
  stream as a process of its own, sent ``messages``; once it echoed ``states`` STATE lines it is sent
  ``then`` and killed (``kill -9``). The states it echoed must be the first ones sent, exactly; every
  record before an echoed state must be in the target (found by its ``key`` field); then the sync is
  resumed from the last echoed state, as the platform would: the rest of the input in a new ``write`` that
  must succeed echoing every state, after which every record is in the target.

``${namespace}`` anywhere in a step stands for :attr:`Target.namespace`, a second namespace besides the
config's default.
"""

from __future__ import annotations

import json
import reprlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airbyte_dest_kit.destination.writer import ABILITIES, Capabilities
from airbyte_dest_kit.testing.acceptance import generated
from airbyte_dest_kit.testing.acceptance.readers import ReadTable, Rows, plain
from airbyte_dest_kit.testing.acceptance.runners import Runner
from airbyte_dest_kit.testing.harness import Run
from airbyte_dest_kit.testing.live import LiveWrite

SCENARIOS = Path(__file__).parent / "scenarios"


@dataclass
class Target:
    """The destination under test: how to run it, a valid and an invalid config, how to read a table back.

    ``schema`` is where streams without a namespace land; ``namespace`` a second one scenarios may write to
    (the fixture removes it after the test where it outlives ``tmp``); ``capabilities`` what the destination
    can do, in the writer's own terms (``MyWriter.capabilities``): a scenario requiring an ability it lacks
    is an expected failure.
    """

    runner: Runner
    config: Mapping[str, Any]
    invalid_config: Mapping[str, Any]
    read_table: ReadTable
    tmp: Path
    schema: str = "main"
    capabilities: Capabilities = field(default_factory=Capabilities)
    namespace: str = "acceptance_namespace"

    def write(self, catalog: Mapping[str, Any], messages: Sequence[Mapping[str, Any] | str]) -> Run:
        return self.runner.write(self.config, catalog, messages, self.tmp)

    def start_write(self, catalog: Mapping[str, Any]) -> LiveWrite:
        return self.runner.start_write(self.config, catalog, self.tmp)

    def rows(self, table: str, namespace: str | None = None) -> Rows:
        """The rows of ``table`` in ``namespace`` (else the config's default schema), every value in its
        :func:`plain` form."""
        rows = self.read_table(self.schema if namespace is None else namespace, table)
        return [{k: plain(v) for k, v in row.items()} for row in rows]


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
        if path.is_file():
            header, *steps = (json.loads(line) for line in path.read_text().splitlines() if line.strip())
        elif name in generated.SCENARIOS:
            header, *steps = generated.SCENARIOS[name]()
        else:
            raise FileNotFoundError(f"no scenario {path.name} in {SCENARIOS} (nor one generated) for test_{name}")
        requires = frozenset(header.get("requires", ()))
        if not requires <= set(ABILITIES):
            raise ValueError(f"scenario {name}: requires {sorted(requires)}; a writer's abilities are {ABILITIES}")
        return cls(name, requires, steps)

    def play(self, target: Target) -> list[Run]:
        """Every step in order; the runs, for tests that check more."""
        runs = []
        for number, step in enumerate(self.steps, start=2):
            where = f"{self.name}.jsonl line {number}"
            ((kind, body),) = _bind(step, {"${namespace}": target.namespace}).items()
            if kind == "write":
                runs.append(_write(target, body, where))
            elif kind == "rows":
                _rows(target, body, where)
            elif kind == "kill":
                runs.append(_kill(target, body, where))
            else:
                raise ValueError(f"{where}: unknown step {kind!r} (write, rows, kill)")
        return runs


def _bind(value: Any, names: Mapping[str, str]) -> Any:
    """``value`` with each placeholder of ``names`` in its strings replaced."""
    if isinstance(value, str):
        for placeholder, name in names.items():
            value = value.replace(placeholder, name)
        return value
    if isinstance(value, list):
        return [_bind(v, names) for v in value]
    if isinstance(value, dict):
        return {_bind(k, names): _bind(v, names) for k, v in value.items()}
    return value


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
    json_columns = set(body.get("json", ()))

    def value(row: Mapping[str, Any], column: str) -> Any:
        found = row.get(column)
        if column in json_columns and isinstance(found, str):
            try:
                return json.loads(found)
            except ValueError:
                return found  # a target that gives JSON values parsed: this string is the value
        return found

    rows = target.rows(body["stream"], body.get("namespace"))
    got = sorted(([value(row, c) for c in columns] for row in rows), key=_sort_key)
    compare: Callable[[list[list[Any]], list[list[Any]]], bool]
    if "equal" in body:
        alternatives = [body["equal"], *([body["or_equal"]] if "or_equal" in body else [])]
        compare, how = _equal, "exactly" if len(alternatives) == 1 else "exactly one of"
    else:
        alternatives, compare, how = [body["includes"]], _includes, "at least"
    expected = [sorted(rows, key=_sort_key) for rows in alternatives]
    shown = f"{where}: {body['stream']} {columns} holds\n  {_short(got)}\nexpected {how}\n  "
    assert any(compare(got, rows) for rows in expected), shown + "\n  ".join(_short(rows) for rows in expected)


_SHORT = reprlib.Repr()
_SHORT.maxlist, _SHORT.maxstring, _SHORT.maxother, _SHORT.maxlevel = 40, 200, 200, 6


def _short(value: Any) -> str:
    """``value`` shown with long strings and lists cut (a failing 10 MB record must not flood the report)."""
    return _SHORT.repr(value)


def _equal(got: list[list[Any]], expected: list[list[Any]]) -> bool:
    return got == expected


def _includes(got: list[list[Any]], expected: list[list[Any]]) -> bool:
    remaining = list(got)
    for row in expected:
        if row not in remaining:
            return False
        remaining.remove(row)
    return True


def _kill(target: Target, body: Mapping[str, Any], where: str) -> Run:
    """See the module docstring: kill -9 mid-sync, every echoed state covered, then the resumed sync."""
    catalog, key = body["catalog"], body["key"]
    messages, then = list(body["messages"]), list(body["then"])
    live = target.start_write(catalog)
    live.send(messages)
    if not live.wait_for("STATE", body["states"], timeout=60):
        live.kill()
        raise AssertionError(f"{where}: {body['states']} STATE lines expected before the kill, got {live.printed}")
    live.send(then)
    echoed = live.kill().of_type("STATE")
    sent = [*messages, *then]
    states = [i for i, m in enumerate(sent) if _is_state(m)]
    owed = _echoes(sent)  # one stream's states: echoed in the order they were sent, the first ones by now
    assert echoed == owed[: len(echoed)], f"{where}: the killed sync echoed {_short(echoed)}, owing {_short(owed)}"
    resumed_from = states[len(echoed) - 1] if echoed else -1
    _has_keys(target, _records(sent[: resumed_from + 1]), key, f"{where}: after the kill, the echoed states' records")
    rest = sent[resumed_from + 1 :]
    run = _write(target, {"catalog": catalog, "messages": rest, "states": _echoes(rest)}, f"{where} (the resumed sync)")
    _has_keys(target, _records(sent), key, f"{where}: after the resumed sync, every record")
    return run


def _is_state(message: Mapping[str, Any] | str) -> bool:
    return isinstance(message, Mapping) and message.get("type") == "STATE"


def _records(messages: Sequence[Mapping[str, Any] | str]) -> list[Mapping[str, Any]]:
    return [m["record"] for m in messages if isinstance(m, Mapping) and m.get("type") == "RECORD"]


def _has_keys(target: Target, records: Sequence[Mapping[str, Any]], key: str, what: str) -> None:
    """Each record's ``key`` value is in its stream's table."""
    wanted: dict[tuple[str, str | None], set[Any]] = {}
    for record in records:
        wanted.setdefault((record["stream"], record.get("namespace")), set()).add(record["data"][key])
    for (stream, namespace), keys in wanted.items():
        missing = keys - {row.get(key) for row in target.rows(stream, namespace)}
        assert not missing, f"{what} are in {stream}: {key} {_short(sorted(missing))} missing"


def _echoes(messages: Sequence[Mapping[str, Any] | str]) -> list[dict[str, Any]]:
    """The STATE lines a destination prints for ``messages``: each state with destinationStats.recordCount,
    the records of its stream since its stream's previous state (of every stream for GLOBAL and LEGACY)."""
    counts: dict[str, int] = {}
    echoes = []
    for message in messages:
        if isinstance(message, Mapping) and message.get("type") == "RECORD":
            record = message["record"]
            stream = _stream_key({"name": record["stream"], "namespace": record.get("namespace")})
            counts[stream] = counts.get(stream, 0) + 1
        elif isinstance(message, Mapping) and message.get("type") == "STATE":
            state = message["state"]
            if state.get("type") == "STREAM":
                count = counts.pop(_stream_key(state["stream"]["stream_descriptor"]), 0)
            else:
                count = sum(counts.values())
                counts.clear()
            echoes.append({**message, "state": {**state, "destinationStats": {"recordCount": float(count)}}})
    return echoes


def _stream_key(descriptor: Mapping[str, Any]) -> str:
    return json.dumps([descriptor["name"], descriptor.get("namespace")])
