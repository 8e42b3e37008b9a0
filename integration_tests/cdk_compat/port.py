"""Port an airbyte-cdk connector to the kit the way the README tells users to: ``airbyte_cdk`` →
``airbyte_dest_kit.cdk`` in the import lines, and nothing else."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

IMPORT_LINE = re.compile(r"^\s*(from\s+airbyte_cdk(\.\w+)*\s+import\s|import\s+airbyte_cdk(\.\w+)*\s*$)")


class NotAnImportLine(AssertionError):
    pass


def port_to_kit(source: Path, target: Path) -> list[str]:
    """Copy the connector folder ``source`` to ``target`` with its imports ported; returns the changed lines.

    Raises :class:`NotAnImportLine` when ``airbyte_cdk`` appears anywhere but an import line: porting would
    then need more than changed imports.
    """
    changed: list[str] = []
    for path in sorted(source.rglob("*")):
        if path.is_dir() or "__pycache__" in path.parts:
            continue
        copy = target / path.relative_to(source)
        copy.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix != ".py":
            shutil.copyfile(path, copy)
            continue
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        for number, line in enumerate(lines):
            if "airbyte_cdk" not in line:
                continue
            if not IMPORT_LINE.match(line):
                raise NotAnImportLine(f"{path}:{number + 1} uses airbyte_cdk outside an import: {line.strip()}")
            lines[number] = line.replace("airbyte_cdk", "airbyte_dest_kit.cdk")
            changed.append(f"{path.relative_to(source)}: {lines[number].strip()}")
        copy.write_text("".join(lines), encoding="utf-8")
    return changed
