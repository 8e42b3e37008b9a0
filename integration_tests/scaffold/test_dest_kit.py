"""``dest-kit``, the installed console command: the connectors it generates pass their own tests out of the
box (``dest-kit test``) and use only the kit's public modules."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import airbyte_dest_kit

DEST_KIT = Path(sys.executable).parent / "dest-kit"
# What generated code may import: the package, its sources and testing modules (re-exports), nothing deeper.
PUBLIC = re.compile(r"^from airbyte_dest_kit(\.sources|\.testing)? ")


def dest_kit(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(DEST_KIT), *args], capture_output=True, text=True, cwd=cwd, timeout=300)


@pytest.mark.parametrize("kind", ["destination", "source"])
def test_a_generated_connector_passes_its_tests_out_of_the_box(kind: str, tmp_path: Path) -> None:
    created = dest_kit("new", kind, "my-shop", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    folder = tmp_path / f"{kind}-my-shop"
    assert {"main.py", "spec.json", "README.md", "sample_files", "tests"} <= {p.name for p in folder.iterdir()}
    code = (folder / f"{kind}.py").read_text()
    assert f"class {kind.title()}MyShop(" in code

    tested = dest_kit("test", str(folder), "-q", "-p", "no:cacheprovider", cwd=tmp_path)
    assert tested.returncode == 0, tested.stdout[-4000:] + tested.stderr[-2000:]
    assert " failed" not in tested.stdout and " skipped" not in tested.stdout
    if kind == "destination":  # what it cannot do shows as expected failures, never as skips
        assert "passed, 4 xfailed" in tested.stdout  # the four dedup scenarios

    imports = [line for p in folder.rglob("*.py") for line in p.read_text().splitlines() if "airbyte_dest_kit" in line]
    private = [line for line in imports if line.startswith(("from ", "import ")) and not PUBLIC.match(line)]
    assert imports and not private


def test_new_refuses_a_bad_name_and_an_existing_folder(tmp_path: Path) -> None:
    bad = dest_kit("new", "destination", "My Shop", cwd=tmp_path)
    assert bad.returncode == 2 and "lowercase letters and digits" in bad.stderr
    assert dest_kit("new", "source", "shop", cwd=tmp_path).returncode == 0
    again = dest_kit("new", "source", "source-shop", cwd=tmp_path)
    assert again.returncode == 2 and "already exists" in again.stderr


def test_help_tells_a_newcomer_where_to_start(tmp_path: Path) -> None:
    shown = dest_kit("--help", cwd=tmp_path).stdout
    assert "dest-kit new destination shop" in shown and "dest-kit test destination-shop" in shown
    assert "--into" in dest_kit("new", "--help", cwd=tmp_path).stdout


def test_version_names_the_command_and_the_kits_version(tmp_path: Path) -> None:
    shown = dest_kit("--version", cwd=tmp_path)
    assert (shown.returncode, shown.stdout) == (0, f"dest-kit (airbyte_dest_kit {airbyte_dest_kit.__version__})\n")
    assert dest_kit("new", "source", "shop", cwd=tmp_path).returncode == 0
    generated = subprocess.run(
        [sys.executable, "main.py", "--version"], capture_output=True, text=True, cwd=tmp_path / "source-shop"
    )
    assert (generated.returncode, generated.stdout) == (
        0,
        f"main.py (airbyte_dest_kit {airbyte_dest_kit.__version__})\n",
    )
