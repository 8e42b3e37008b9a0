"""The console commands: one per reference connector, each loadable, and a missing extra named with its fix."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from airbyte_dest_kit.connectors import COMMANDS, Command

REPO = Path(__file__).resolve().parents[2]


def test_every_console_script_is_a_command_with_a_launcher_in_the_checkout() -> None:
    installed = metadata.distribution("airbyte_dest_kit").entry_points
    scripts = {entry.name: entry.value for entry in installed if entry.group == "console_scripts"}
    assert scripts.pop("dest-kit") == "airbyte_dest_kit.scaffold.cli:entry"  # the one command that is no connector
    assert scripts == {
        command.name: f"airbyte_dest_kit.connectors:{command.name.replace('-', '_')}" for command in COMMANDS
    }
    for command in COMMANDS:
        folder = "destinations" if command.name.startswith("destination-") else "sources"
        launcher = (REPO / folder / command.name / "main.py").read_text()
        assert f"from airbyte_dest_kit.connectors import {command.name.replace('-', '_')}" in launcher


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: command.name)
def test_every_command_prints_its_spec(command: Command) -> None:
    code = f"from airbyte_dest_kit.connectors import {command.name.replace('-', '_')} as run; run(['spec'])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=REPO, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "connectionSpecification" in json.loads(done.stdout)["spec"]


def test_a_missing_extra_names_the_pip_install_line_that_fixes_it() -> None:
    # sys.modules[name] = None is how Python spells "not installed" to importlib
    code = (
        "import sys; sys.modules['sqlalchemy'] = None; "
        "from airbyte_dest_kit.connectors import destination_postgres as run; run(['spec'])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=REPO, timeout=60)
    assert done.returncode == 1
    expected = (
        "destination-postgres needs the 'postgres' extra (sqlalchemy not installed): "
        "pip install 'airbyte_dest_kit[postgres]'"
    )
    [message] = [json.loads(line) for line in done.stdout.splitlines()]
    assert message["trace"]["error"]["message"] == expected
    assert message["trace"]["error"]["failure_type"] == "config_error"
    assert done.stderr.decode().strip() == expected
