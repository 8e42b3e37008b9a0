"""Code lines of every store writer, counted one way: lines holding code, without docstrings, comments or
blank lines (a statement over three lines counts three).

    python scripts/count_store_lines.py            # a table
    python scripts/count_store_lines.py --json     # the same figures as JSON

A store is the module(s) a target implements on :mod:`airbyte_dest_kit.modes`; what the kit shares
(modes, merge rule, layout) and a store's formats are listed on their own lines, not in the stores.
"""

from __future__ import annotations

import ast
import io
import json
import sys
import tokenize
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "airbyte_dest_kit"
GROUPS = {
    "store: duckdb": ["writers/duckdb.py"],
    "store: sql (all dialects)": ["writers/sql/*.py"],
    "store: kvdb": ["writers/kvdb.py"],
    "store: files": ["writers/files/store.py", "writers/files/filesystem.py", "writers/files.py"],
    "files: formats": ["writers/files/formats.py"],
    "shared: modes + merge_rule + layout": ["modes.py", "merge_rule.py", "layout.py"],
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


def count(patterns: list[str]) -> int:
    files = sorted({path for pattern in patterns for path in PACKAGE.glob(pattern)})
    return sum(code_lines(path.read_text()) for path in files)


def main() -> None:
    figures = {name: count(patterns) for name, patterns in GROUPS.items()}
    if "--json" in sys.argv:
        print(json.dumps(figures, indent=2))
        return
    for name, lines in figures.items():
        print(f"{lines:6d}  {name}")


if __name__ == "__main__":
    main()
