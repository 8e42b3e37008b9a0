"""Run Airbyte's own connectors on the real airbyte-cdk and, with their imports ported, on this kit; print
where their output differs, and how many of the connector's own tests pass on each. Not part of CI (it
needs the released connectors and airbyte-cdk, in environments of their own)::

    python3 -m venv /tmp/ref-cdk6
    /tmp/ref-cdk6/bin/pip install airbyte-cdk==6.61.6 airbyte-source-faker==7.2.1 pytest
    python3 -m venv /tmp/ref-kit && /tmp/ref-kit/bin/pip install -e '.[http]' mimesis==6.1.1 pytest
    .venv/bin/python scripts/compare_airbyte_connectors.py faker /tmp/ref-cdk6/bin/python /tmp/ref-kit/bin/python

    # a connector's folder from Airbyte's repository (its package, unit_tests/, integration_tests/ …), each
    # environment with the connector's own dependencies installed:
    .venv/bin/python scripts/compare_airbyte_connectors.py tests <folder> <reference python> <kit python>

``faker`` runs source-faker (the package installed in the reference environment) with the same seed on both
sides: spec, check, discover, a full-refresh read, an incremental read, and an incremental read resumed from
each side's own final states. Messages are compared in order, without LOG messages, ``emitted_at`` times and
the ``updated_at`` values faker takes from the wall clock, and with the null fields of record data left out
(airbyte-cdk 6 drops them; the kit keeps them). ``tests`` runs the connector's own pytest suites
(``unit_tests``, ``integration_tests``) unported on the reference and ported on the kit, from the connector's
folder, and prints the pass counts.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from integration_tests.cdk_compat.port import port_to_kit  # noqa: E402 - after the repo is on the path

FAKER_CONFIG = {"count": 250, "seed": 42, "records_per_slice": 100, "parallelism": 1}
FAKER_STREAMS = ["users", "products", "purchases"]
LAUNCH = "import sys; from {package}.run import run; sys.argv[0] = 'main.py'; run()"


def installed_package(python: str, package: str) -> Path:
    code = f"import {package}, pathlib; print(pathlib.Path({package}.__file__).parent)"
    return Path(subprocess.run([python, "-c", code], check=True, capture_output=True, text=True).stdout.strip())


def normalised(message: dict[str, Any]) -> dict[str, Any] | None:
    """What must be equal on both sides: no LOG, no times, faker's wall-clock ``updated_at`` masked."""
    kind = message["type"]
    if kind == "LOG":
        return None
    if kind == "TRACE":
        message["trace"].pop("emitted_at", None)
    if kind == "RECORD":
        message["record"].pop("emitted_at", None)
        # airbyte-cdk 6 drops the top-level fields that are null from record data; the kit keeps them
        data = {key: value for key, value in message["record"]["data"].items() if value is not None}
        if "updated_at" in data:
            data["updated_at"] = "<now>"
        message["record"]["data"] = data
    if kind == "STATE":
        stream_state = message["state"].get("stream", {}).get("stream_state") or {}
        if "updated_at" in stream_state:
            stream_state["updated_at"] = "<now>"
    return message


def run(command: list[str], cwd: Path, args: list[str]) -> tuple[int, list[dict[str, Any]]]:
    done = subprocess.run([*command, *args], cwd=cwd, capture_output=True, text=True, timeout=600)
    messages = []
    for line in done.stdout.splitlines():
        try:
            messages.append(json.loads(line))
        except ValueError:
            continue
    return done.returncode, messages


def compare(label: str, ours: tuple[int, list[dict[str, Any]]], theirs: tuple[int, list[dict[str, Any]]]) -> bool:
    our_messages = [m for m in map(normalised, ours[1]) if m is not None]
    their_messages = [m for m in map(normalised, theirs[1]) if m is not None]
    counts = {kind: sum(m["type"] == kind for m in their_messages) for kind in ("RECORD", "STATE", "TRACE")}
    same = ours[0] == theirs[0] and our_messages == their_messages
    print(
        f"{label:24} exit {ours[0]} / {theirs[0]}, {len(our_messages)} / {len(their_messages)} messages {counts}:"
        f" {'identical' if same else 'DIFFERENT'}"
    )
    if not same:
        for number, (mine, reference) in enumerate(zip(our_messages, their_messages, strict=False)):
            if mine != reference:
                print(f"  first difference at message {number}:\n  kit:        {mine}\n  airbyte-cdk: {reference}")
                break
    return same


def catalog(mode: str) -> dict[str, Any]:
    return {
        "streams": [
            {
                "stream": {"name": name, "json_schema": {}, "supported_sync_modes": ["full_refresh", "incremental"]},
                "sync_mode": mode,
                "destination_sync_mode": "append",
            }
            for name in FAKER_STREAMS
        ]
    }


def final_states(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    states = [message["state"] for message in messages if message["type"] == "STATE"]
    by_stream = {state["stream"]["stream_descriptor"]["name"]: state for state in states}
    return list(by_stream.values())


def compare_faker(reference_python: str, kit_python: str) -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        original = work / "reference"
        shutil.copytree(installed_package(reference_python, "source_faker"), original / "source_faker")
        port_to_kit(original, work / "kit")
        for kind in ("full_refresh", "incremental"):
            (work / f"{kind}.json").write_text(json.dumps(catalog(kind)))
        (work / "config.json").write_text(json.dumps(FAKER_CONFIG))
        sides = {
            "kit": ([kit_python, "-c", LAUNCH.format(package="source_faker")], work / "kit"),
            "airbyte-cdk": ([reference_python, "-c", LAUNCH.format(package="source_faker")], original),
        }
        config = ["--config", str(work / "config.json")]
        outputs: dict[str, dict[str, tuple[int, list[dict[str, Any]]]]] = {side: {} for side in sides}
        for side, (command, folder) in sides.items():
            results = outputs[side]
            results["spec"] = run(command, folder, ["spec"])
            results["check"] = run(command, folder, ["check", *config])
            results["discover"] = run(command, folder, ["discover", *config])
            for kind in ("full_refresh", "incremental"):
                catalog_file = str(work / f"{kind}.json")
                results[f"read {kind}"] = run(command, folder, ["read", *config, "--catalog", catalog_file])
            state = work / f"state-{side}.json"
            state.write_text(json.dumps(final_states(results["read incremental"][1])))
            incremental = ["--catalog", str(work / "incremental.json"), "--state", str(state)]
            results["read incremental resumed"] = run(command, folder, ["read", *config, *incremental])
        return all([compare(label, outputs["kit"][label], outputs["airbyte-cdk"][label]) for label in outputs["kit"]])


# Airbyte's connectors also name test files *_tests.py
PYTEST = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "python_files=test_*.py *_test.py *_tests.py"]
PYTEST_SUMMARY = re.compile(r"(\d+) (passed|failed|error)")


def pytest_counts(python: str, folder: Path) -> str:
    suites = [name for name in ("unit_tests", "integration_tests") if (folder / name).is_dir()]
    done = subprocess.run([python, *PYTEST, *suites], cwd=folder, capture_output=True, text=True)
    summary = done.stdout.splitlines()[-1] if done.stdout else ""
    counts = {kind: int(number) for number, kind in PYTEST_SUMMARY.findall(summary)}
    failed = [line for line in done.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
    total = sum(counts.values())
    return "\n  ".join([f"{counts.get('passed', 0)}/{total} passed", *failed])


def compare_tests(folder: Path, reference_python: str, kit_python: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ported = Path(tmp) / folder.name
        port_to_kit(folder, ported)
        print(f"{folder.name} on airbyte-cdk: {pytest_counts(reference_python, folder)}")
        print(f"{folder.name} on the kit:     {pytest_counts(kit_python, ported)}")


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "faker":
        return 0 if compare_faker(sys.argv[2], sys.argv[3]) else 1
    if len(sys.argv) == 5 and sys.argv[1] == "tests":
        compare_tests(Path(sys.argv[2]).resolve(), sys.argv[3], sys.argv[4])
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
