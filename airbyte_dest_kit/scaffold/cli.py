"""``dest-kit``: start a connector from a working skeleton, and run its tests.

    dest-kit new destination shop      # ./destination-shop: a JSON lines writer + the acceptance suite
    dest-kit new source shop           # ./source-shop: a paginated HTTP source + tests on an API double
    dest-kit test destination-shop     # runs that folder's tests (pytest)

The skeletons live in ``airbyte_dest_kit/templates``: every ``*.tmpl`` file is copied without its suffix,
with ``{{connector}}`` (``destination-shop``) and ``{{Class}}`` (``DestinationShop``) filled in.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from airbyte_dest_kit.runtime.startup import add_version_option

TEMPLATES = Path(__file__).parent / "templates"
NAME = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")

DESCRIPTION = """\
Build Airbyte connectors with airbyte_dest_kit.

Start a connector that already works, then make it yours:
  dest-kit new destination shop     creates ./destination-shop (writes JSON lines files)
  dest-kit new source shop          creates ./source-shop (reads a paginated HTTP API)
  dest-kit test destination-shop    runs its tests: for a destination, the kit's acceptance suite
"""


def generate(kind: str, name: str, into: Path) -> Path:
    """A new ``{kind}-{name}`` folder under ``into`` from the ``kind`` template; returns the folder."""
    name = name.removeprefix(f"{kind}-")
    if not NAME.fullmatch(name):
        raise ValueError(
            f"connector name {name!r}: use lowercase letters and digits, words joined by '-' (e.g. 'my-shop')"
        )
    connector = f"{kind}-{name}"
    folder = into / connector
    if folder.exists():
        raise ValueError(f"{folder} already exists: choose another name or remove it")
    values = {"{{connector}}": connector, "{{Class}}": kind.title() + "".join(w.title() for w in name.split("-"))}
    for template in sorted((TEMPLATES / kind).rglob("*.tmpl")):
        text = template.read_text()
        for placeholder, value in values.items():
            text = text.replace(placeholder, value)
        target = folder / template.relative_to(TEMPLATES / kind).with_suffix("")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return folder


def run_tests(folder: Path, pytest_args: Sequence[str]) -> int:
    """pytest on the connector's ``tests`` folder, from the connector's folder (where its pytest.ini is)."""
    if not (folder / "tests").is_dir():
        raise ValueError(f"{folder} has no tests folder: give the folder of a connector made by `dest-kit new`")
    return subprocess.run([sys.executable, "-m", "pytest", "tests", *pytest_args], cwd=folder).returncode


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dest-kit", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_version_option(parser)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    new = commands.add_parser("new", help="create a connector folder that works out of the box")
    new.add_argument("kind", choices=["destination", "source"], help="what to create")
    new.add_argument("name", help="its name, e.g. 'shop' (the folder is destination-shop or source-shop)")
    new.add_argument("--into", type=Path, default=Path("."), help="where to create the folder (default: here)")
    test = commands.add_parser("test", help="run a connector's tests (pytest); extra arguments go to pytest")
    test.add_argument("path", type=Path, help="the connector's folder")
    test.add_argument("pytest_args", nargs=argparse.REMAINDER, help="passed to pytest, e.g. -k dedup -x")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "new":
            folder = generate(args.kind, args.name, args.into)
            print(f"created {folder}\nnext: read {folder / 'README.md'}, then run: dest-kit test {folder}")
            return 0
        return run_tests(args.path, args.pytest_args)
    except ValueError as exc:
        print(f"dest-kit: {exc}", file=sys.stderr)
        return 2


def entry() -> None:
    """The ``dest-kit`` console command."""
    raise SystemExit(main())
