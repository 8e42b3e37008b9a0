"""The console commands and the launchers of the checkout: one per reference connector, each loadable, each
naming itself in usage lines and ``--version``, and a missing extra or dependency named with its fix."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

import airbyte_dest_kit
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


BIN = Path(sys.executable).parent  # where this environment installed the console commands


def launcher(command: Command) -> Path:
    folder = "destinations" if command.name.startswith("destination-") else "sources"
    return REPO / folder / command.name / "main.py"


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: command.name)
def test_console_commands_and_launchers_print_their_name_and_version(command: Command) -> None:
    for argv, name in (([str(BIN / command.name)], command.name), ([sys.executable, "main.py"], "main.py")):
        done = subprocess.run([*argv, "--version"], capture_output=True, text=True, cwd=launcher(command).parent)
        assert (done.returncode, done.stdout) == (0, f"{name} (airbyte_dest_kit {airbyte_dest_kit.__version__})\n")


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: command.name)
def test_usage_lines_name_the_command_as_the_user_typed_it(command: Command) -> None:
    # a console command is a file in the venv's bin folder: its usage line shows the name, not that path
    for argv, name in (([str(BIN / command.name)], command.name), ([sys.executable, "main.py"], "main.py")):
        done = subprocess.run(argv, capture_output=True, text=True, cwd=launcher(command).parent)
        assert done.returncode == 2
        assert done.stderr.startswith(f"usage: {name} [-h] [--version] COMMAND ...\n")


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: command.name)
def test_a_launcher_run_without_the_kits_dependencies_says_how_to_install_them(command: Command) -> None:
    # -S: no site-packages, so only the standard library and the checkout (the launcher's fallback) are there
    done = subprocess.run(
        [sys.executable, "-S", "main.py", "spec"], capture_output=True, text=True, cwd=launcher(command).parent
    )
    assert done.returncode == 1, done.stderr
    [message] = [json.loads(line) for line in done.stdout.splitlines()]
    error = message["trace"]["error"]
    assert error["failure_type"] == "config_error"
    found = re.fullmatch(
        rf"{command.name} cannot start: the Python module '(\w+)' is not installed for {re.escape(sys.executable)} "
        rf"\(airbyte_dest_kit needs it\)\. To install the kit's dependencies, from the checkout root "
        rf"{re.escape(str(REPO))} run `make install` and use {re.escape(str(REPO / '.venv' / 'bin' / 'python'))}, "
        rf"or run `{re.escape(sys.executable)} -m pip install -e {re.escape(str(REPO))}`",
        error["message"],
    )
    assert found, error["message"]
    assert done.stderr == error["message"] + "\n"
    # the module it names is one this Python really lacks, and the kit's own modules were found
    assert subprocess.run([sys.executable, "-S", "-c", f"import {found.group(1)}"], capture_output=True).returncode
    assert subprocess.run([sys.executable, "-c", f"import {found.group(1)}"], capture_output=True).returncode == 0
