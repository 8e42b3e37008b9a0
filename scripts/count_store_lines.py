"""Code lines of every store writer, counted one way: lines holding code, without docstrings, comments or
blank lines (a statement over three lines counts three).

    python scripts/count_store_lines.py                    # a table, for this checkout
    python scripts/count_store_lines.py --root ../other    # another checkout (an older layout counts too)
    python scripts/count_store_lines.py --json

A store is the code a target implements on :mod:`airbyte_dest_kit.store`; what the kit shares (modes,
swaps, winner rule, stream layout) and the file store's formats are listed on their own lines, not in the
stores.
Before the formats moved out, ``writers/files.py`` held store and formats together: it counts as the store.
"""

from __future__ import annotations

import ast
import io
import json
import sys
import tokenize
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]
GROUPS = {  # files under airbyte_dest_kit/, in this layout and in the older ones (missing files count nothing)
    "store: duckdb": ["writers/duckdb.py"],
    "store: sql (the SQLWriter)": ["writers/sql/writer.py", "writers/sql/__init__.py"],
    "store: sql with its dialects, bulk load, errors": ["writers/sql/*.py"],
    "store: kvdb": ["writers/kvdb/*.py", "writers/kvdb.py"],
    "store: files (store.py)": ["writers/files/store.py", "writers/files.py"],
    "store: files, with filesystem.py (pyarrow.fs, atomic publish)": [
        "writers/files/store.py",
        "writers/files/filesystem.py",
        "writers/files.py",
    ],
    "files: formats (formats.py)": ["writers/files/formats.py"],
    "shared: the store layer, winner rule, stream spec and plan": [
        "store/*.py",
        "streams/winner.py",
        "streams/spec.py",
        "destination/plan.py",
        "modes.py",
        "swaps.py",
        "merge_rule.py",
        "layout.py",
    ],
}
_NOT_CODE = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}


def _docstring_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            value = first.value if isinstance(first, ast.Expr) else None
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                lines.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    return lines


def code_lines(source: str) -> int:
    """Lines with a token that is code, docstrings excluded."""
    docstrings = _docstring_lines(ast.parse(source))
    lines: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in _NOT_CODE:
            lines.update(range(token.start[0], token.end[0] + 1))
    return len(lines - docstrings)


def count(package: Path, patterns: list[str]) -> int:
    files = sorted({path for pattern in patterns for path in package.glob(pattern)})
    return sum(code_lines(path.read_text()) for path in files)


def main() -> None:
    root = Path(sys.argv[sys.argv.index("--root") + 1]) if "--root" in sys.argv else CHECKOUT
    figures = {name: count(root / "airbyte_dest_kit", patterns) for name, patterns in GROUPS.items()}
    if "--json" in sys.argv:
        print(json.dumps(figures, indent=2))
        return
    for name, lines in figures.items():
        print(f"{lines:6d}  {name}")


if __name__ == "__main__":
    main()
