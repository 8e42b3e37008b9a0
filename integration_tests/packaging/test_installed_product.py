"""The product as users get it: ``python -m build``, then the wheel (and the sdist) installed into a fresh
venv, run from outside the checkout through the console commands.

The fresh venvs install our distribution with ``--no-deps`` and reach the dependencies through a ``.pth``
line naming this environment's site-packages (which adds the folder without running its ``.pth`` files,
so the editable checkout stays out of sight); the test asserts the package is imported from the new venv.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.packaging


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(REPO)], check=True, capture_output=True)
    return out


def fresh_venv(folder: Path, distribution: Path) -> Path:
    """A venv holding ``distribution`` (a wheel or an sdist); returns its bin folder."""
    venv.create(folder, with_pip=False)
    bin_dir = folder / "bin"
    site = Path(
        subprocess.run(
            [bin_dir / "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    (site / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(bin_dir / "python"), "install", "--quiet", "--no-deps",
         str(distribution)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return bin_dir


def run(command: list[str | Path], cwd: Path, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    return subprocess.run(command, input=stdin, capture_output=True, cwd=cwd, env=env, timeout=60)


def test_wheel_and_sdist_build_with_the_package_data(dist: Path) -> None:
    [wheel] = dist.glob("*.whl")
    [sdist] = dist.glob("*.tar.gz")
    assert wheel.name == "airbyte_dest_kit-0.1.0-py3-none-any.whl" and sdist.name == "airbyte_dest_kit-0.1.0.tar.gz"


@pytest.mark.parametrize("kind", ["wheel", "sdist"])
def test_the_installed_commands_run_a_sync_without_a_checkout(dist: Path, tmp_path: Path, kind: str) -> None:
    [distribution] = dist.glob("*.whl" if kind == "wheel" else "*.tar.gz")
    bin_dir = fresh_venv(tmp_path / "venv", distribution)
    work = tmp_path / "work"
    work.mkdir()

    where = run([bin_dir / "python", "-c", "import airbyte_dest_kit as k; print(k.__version__, k.__file__)"], work)
    version, location = where.stdout.decode().split()
    assert version == "0.1.0" and location.startswith(str(tmp_path / "venv"))

    spec = run([bin_dir / "destination-duckdb", "spec"], work)
    assert spec.returncode == 0
    assert json.loads(spec.stdout)["spec"]["connectionSpecification"]["required"] == ["destination_path"]

    (work / "source.json").write_text(json.dumps({"count": 50, "seed": 7}))
    catalog = REPO / "sources/source-sample/sample_files/configured_catalog.json"
    read = run([bin_dir / "source-sample", "read", "--config", "source.json", "--catalog", str(catalog)], work)
    assert read.returncode == 0, read.stderr
    (work / "destination.json").write_text(json.dumps({"destination_path": str(work / "out.duckdb")}))
    write = run(
        [bin_dir / "destination-duckdb", "write", "--config", "destination.json", "--catalog", str(catalog)],
        work,
        stdin=read.stdout,
    )
    assert write.returncode == 0, write.stdout
    assert b'"STATE"' in write.stdout
    with duckdb.connect(str(work / "out.duckdb"), read_only=True) as connection:
        assert connection.execute("select count(*) from main.users").fetchall() == [(50,)]

    # dest-kit's templates and the acceptance scenarios ship in the distribution
    assert run([bin_dir / "dest-kit", "new", "destination", "shop"], work).returncode == 0
    tested = run(
        [bin_dir / "dest-kit", "test", "destination-shop", "-q", "-p", "no:cacheprovider", "-k", "append"], work
    )
    assert tested.returncode == 0 and b"2 passed" in tested.stdout, tested.stdout + tested.stderr
