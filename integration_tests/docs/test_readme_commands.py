"""README.md's commands and examples, run the way a reader runs them, so the README cannot drift from the product.

Every fenced block of README.md names its language. ``sh`` blocks are commands: they all run in order in one
bash session, as in a reader's terminal (a ``cd`` or an activated venv carries over to the next block), from
a copy of the checkout in a temporary folder. Each command must exit 0 (a pipeline fails when any part does)
and print no FAILED connection status and no TRACE ERROR (``check`` exits 0 whatever it finds, as the
protocol asks); a failure names its README line and shows what the command printed. ``python`` blocks are
examples: each is executed as a module (not as ``__main__``, so ``launch`` is not called), and a class one
derives from the kit's may only define names the kit has, so a renamed hook or capability fails here. Blocks
in ``text``, ``json`` or ``yaml`` are shown, not run. Relative links in README.md, CONTRIBUTING.md and docs/
must lead to a file (and heading) that exists.

What the session cannot do for real, and what stands in for it:

- ``make`` runs dry (``make -n``): ``make test`` would run this test again, and ``make install`` and
  ``make demo`` would build a second venv. :func:`test_make_targets_do_what_the_readme_says` checks what
  each target runs instead. In place of what ``make install`` makes, the copy gets a ``.venv`` holding the
  copy installed editable, its dependencies taken from this environment through a ``.pth`` file: so
  ``. .venv/bin/activate`` and the README's ``pip install -e`` commands run without downloading the
  dependencies again, and never touch this environment (pip still fetches the build backend, setuptools,
  from its index or cache, as for any editable install).
- The sample configs write under ``/tmp/``; in the copy those paths are moved into the temporary folder.
- Container commands cannot run (no container engine here): the README links to the images' docs instead
  of listing ``docker`` commands, and integration_tests/images checks the images.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import shutil
import subprocess
import sysconfig
import venv
from dataclasses import dataclass
from pathlib import Path

import pytest

import airbyte_dest_kit.store

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
RUN, EXAMPLE, SHOWN = "sh", "python", {"text", "json", "yaml"}
OPENING = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})\s*(?P<language>\S*)")
CONTINUED = ("\\", "|", "&&", "||")  # a command line ending so goes on in the next line
CONTAINER_ENGINES = {"docker", "podman"}
# What a copy of the checkout leaves out (as .dockerignore does).
NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", "*.egg-info", ".*_cache", ".hypothesis", ".bench", ".demo", "build", "dist",
    "secrets", "*.duckdb", "*.duckdb.wal",
)  # fmt: skip
# Optional store operations: a StoreWriter example may define them though no base class does.
STORE_OPERATIONS = {
    name
    for protocol in (airbyte_dest_kit.store.Swaps, airbyte_dest_kit.store.Merges, airbyte_dest_kit.store.Rewrites)
    for name in vars(protocol)
    if not name.startswith("_")
}


@dataclass(frozen=True)
class Block:
    language: str
    line: int  # README line of the block's first line of content
    text: str


@dataclass(frozen=True)
class Command:
    line: int
    text: str


def fenced_blocks(markdown: str) -> list[Block]:
    """The fenced code blocks of ``markdown``, with the README line of each one's content."""
    blocks: list[Block] = []
    fence, language, start, body = "", "", 0, []
    for number, line in enumerate(markdown.splitlines(), 1):
        if not fence:
            opened = OPENING.match(line)
            if opened:
                fence, language, start, body = opened["fence"], opened["language"], number + 1, []
        elif line.strip().startswith(fence) and not line.strip().strip(fence[0]):
            blocks.append(Block(language, start, "\n".join(body)))
            fence = ""
        else:
            body.append(line)
    assert not fence, f"README.md:{start - 1}: a code block is never closed"
    return blocks


def commands(block: Block) -> list[Command]:
    """A shell block's commands: lines joined where a command goes on (``\\``, a pipe, ``&&``), comments and
    blank lines left out; each command with the README line it starts on."""
    found: list[Command] = []
    lines = block.text.splitlines()
    current: list[str] = []
    for offset, line in enumerate(lines):
        code = re.sub(r"\s+#.*$", "", line).rstrip() if not line.rstrip().endswith("\\") else line.rstrip()
        if not current and (not code.strip() or code.lstrip().startswith("#")):
            continue
        if not current:
            start = block.line + offset
        current.append(line)
        following = next((later.strip() for later in lines[offset + 1 :] if later.strip()), "")
        if not code.endswith(CONTINUED) and not following.startswith(("|", "&&", "||")):
            found.append(Command(start, "\n".join(current)))
            current = []
    assert not current, f"README.md:{start}: the command goes on past the end of its block"
    return found


def readme_blocks() -> list[Block]:
    return fenced_blocks(README.read_text(encoding="utf-8"))


def test_every_code_block_says_whether_it_runs() -> None:
    wrong = [
        f"README.md:{block.line - 1}: ```{block.language}"
        for block in readme_blocks()
        if block.language not in {RUN, EXAMPLE, *SHOWN}
    ]
    assert not wrong, (
        f"tag commands ```{RUN} (this test runs them), examples ```{EXAMPLE}, output or files "
        f"{' / '.join(sorted(SHOWN))}: {wrong}"
    )


def test_python_examples_run_against_the_current_api() -> None:
    examples = [block for block in readme_blocks() if block.language == EXAMPLE]
    assert examples, "README.md has no python example: is the fence language still 'python'?"
    problems = []
    for block in examples:
        namespace = {"__name__": "readme_example"}
        try:
            exec(compile(block.text, f"README.md:{block.line}", "exec"), namespace)
        except Exception as exc:  # noqa: BLE001 - any failure of an example is the finding
            problems.append(f"README.md:{block.line}: {type(exc).__name__}: {exc}")
            continue
        for cls in [value for value in namespace.values() if inspect.isclass(value)]:
            if cls.__module__ != "readme_example":
                continue
            known = {name for base in cls.__mro__[1:] for name in dir(base)}
            if issubclass(cls, airbyte_dest_kit.store.Store):
                known |= STORE_OPERATIONS
            unknown = sorted(name for name in vars(cls) if not name.startswith("_") and name not in known)
            if unknown and any(base.__module__.startswith("airbyte_dest_kit") for base in cls.__mro__):
                problems.append(f"README.md:{block.line}: {cls.__name__} defines {unknown}, which the kit never uses")
    assert not problems, "\n".join(problems)


def anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_relative_links_in_the_readme_and_docs_resolve() -> None:
    broken = []
    for page in [README, REPO / "CONTRIBUTING.md", *sorted((REPO / "docs").glob("*.md"))]:
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            for target in re.findall(r"\]\(([^)\s]+)\)", line):
                if re.match(r"[a-z]+:", target):
                    continue  # a URL
                path, _, fragment = target.partition("#")
                linked = (page.parent / path).resolve() if path else page
                headings = (
                    [anchor(h) for h in re.findall(r"^#+ (.+)$", linked.read_text(), re.M)] if linked.is_file() else []
                )
                if not linked.exists() or (fragment and fragment not in headings):
                    broken.append(f"{page.relative_to(REPO)}:{number}: {target}")
    assert not broken, "links to nothing:\n" + "\n".join(broken)


def session_env(tmp: Path | None = None) -> dict[str, str]:
    """This process's environment without its venv, Python and outer make settings (``make test`` sets them)."""
    quiet = {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "MAKEFLAGS", "MAKELEVEL", "MFLAGS"}
    env = {key: value for key, value in os.environ.items() if key not in quiet}
    if tmp is not None:
        env["TMPDIR"] = str(tmp)
    return env


def test_make_targets_do_what_the_readme_says(pytestconfig: pytest.Config) -> None:
    """The session runs ``make`` dry; here each target the README names must run what the README says it does."""
    expected = {
        "demo": ".venv/bin/python scripts/demo.py",  # a sample sync into DuckDB, with a summary
        "test": ".venv/bin/python -m pytest",  # the unit and integration tests (pyproject's testpaths)
        "install": ".venv/bin/python -m pip install --quiet -e '.[dev]'",  # the kit, every extra, the test tools
        "docs-check": ".venv/bin/python -m pytest integration_tests/docs",  # this folder
    }
    named = {
        word
        for block in readme_blocks()
        if block.language == RUN
        for command in commands(block)
        for word in re.findall(r"^make\s+(\S+)", command.text, re.MULTILINE)
    }
    assert {"demo", "test", "install"} <= named, f"README.md's commands name make {sorted(named)}"
    for target, runs in expected.items():
        # -B: every target out of date, so the dry run prints the whole chain whatever this checkout's state
        dry = subprocess.run(
            ["make", "-n", "-B", target], cwd=REPO, env=session_env(), capture_output=True, text=True, timeout=60
        )
        assert dry.returncode == 0, dry.stderr
        assert runs in dry.stdout.splitlines(), f"make {target} runs:\n{dry.stdout}"
        assert "-m venv .venv" in dry.stdout, f"make {target} does not create the venv on a fresh machine"
    testpaths = pytestconfig.getini("testpaths")
    assert any(Path(__file__).is_relative_to(REPO / path) for path in testpaths), "make test must run this test"


def prepared_copy(tmp_path: Path) -> Path:
    """A copy of the checkout with the ``.venv`` that ``make install`` would make, and the sample configs'
    outputs moved from ``/tmp/`` into ``tmp_path``."""
    copy = tmp_path / "checkout"
    shutil.copytree(REPO, copy, ignore=NOT_COPIED)
    output = tmp_path / "output"
    for config in [*copy.glob("destinations/*/sample_files/*.json"), *copy.glob("sources/*/sample_files/*.json")]:
        config.write_text(config.read_text().replace("/tmp/", f"{output}/"))
    venv.create(copy / ".venv", with_pip=True, symlinks=True)
    python = copy / ".venv" / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # this environment's site-packages, without running its .pth files: the checkout's editable install stays out
    (Path(site) / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    installed = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", "-e", str(copy)], capture_output=True, text=True
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return copy


def session_script(to_run: list[Command], logs: Path) -> str:
    """One bash script for every command: each one's output to its own log, and a line saying how it ended."""
    parts = ["set -o pipefail", 'make() { command make -n "$@"; }  # dry: see the module\'s docstring']
    for command in to_run:
        parts += [
            f"{{ {command.text}\n}} >'{logs / str(command.line)}' 2>&1 </dev/null",
            f'status=$?; if [ $status -ne 0 ]; then echo "@@failed {command.line} $status"; exit 1; fi',
            f"echo '@@ok {command.line}'",
        ]
    return "\n".join(parts) + "\n"


def protocol_failure(printed: str) -> str | None:
    """The first message in a command's output saying it failed though it exited 0."""
    for line in printed.splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if not isinstance(message, dict):
            continue
        status = message.get("connectionStatus") or {}
        if message.get("type") == "CONNECTION_STATUS" and status.get("status") != "SUCCEEDED":
            return line
        if message.get("type") == "TRACE" and (message.get("trace") or {}).get("type") == "ERROR":
            return line
    return None


def test_readme_commands_run(tmp_path: Path) -> None:
    to_run = [command for block in readme_blocks() if block.language == RUN for command in commands(block)]
    assert to_run, "README.md has no sh block: is the fence language still 'sh'?"
    containers = [c.line for c in to_run if c.text.split()[0] in CONTAINER_ENGINES]
    assert not containers, f"README.md lines {containers}: no container engine runs here; link to the images' docs"

    copy = prepared_copy(tmp_path)
    logs = tmp_path / "logs"
    logs.mkdir()
    (tmp_path / "tmp").mkdir()
    session = subprocess.run(
        ["bash", "-c", session_script(to_run, logs)],
        cwd=copy,
        env=session_env(tmp_path / "tmp"),
        capture_output=True,
        text=True,
        timeout=600,
    )

    ran = [int(line) for line in re.findall(r"^@@ok (\d+)$", session.stdout, re.MULTILINE)]
    for command in to_run:
        log = logs / str(command.line)
        printed = log.read_text(errors="replace") if log.exists() else ""
        failed = re.search(rf"^@@failed {command.line} (\d+)$", session.stdout, re.MULTILINE)
        if failed:
            raise AssertionError(f"README.md:{command.line}: exit {failed[1]}\n$ {command.text}\n{printed[-4000:]}")
        said_failed = protocol_failure(printed)
        if said_failed:
            raise AssertionError(f"README.md:{command.line}: {said_failed}\n$ {command.text}")
    assert session.returncode == 0, session.stdout[-2000:] + session.stderr[-2000:]
    assert ran == [c.line for c in to_run], "every README command runs once, in order"
