"""Finding and reading a connector's spec file: ``spec.json`` or ``spec.yaml`` (airbyte-cdk reads both)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.runtime.config import read_json_file

SPEC_NAMES = ("spec.json", "spec.yaml")


def find_spec_file(folders: Iterable[Path]) -> Path:
    """The one spec file in the first of ``folders`` that has one; two in one folder is ambiguous."""
    searched = []
    for folder in folders:
        found = [folder / name for name in SPEC_NAMES if (folder / name).is_file()]
        if len(found) > 1:
            raise ConfigError(f"{folder} holds both spec.json and spec.yaml; keep one of them")
        if found:
            return found[0]
        searched.append(str(folder))
    raise ConfigError(f"no spec.json or spec.yaml in {', '.join(searched)}; add the connector's spec file there")


def read_spec_file(path: Path) -> dict[str, Any]:
    """A spec file's object; it must hold ``connectionSpecification``."""
    if path.suffix == ".yaml":
        import yaml  # only for YAML specs: every connector command starts through here, most with spec.json

        try:
            spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ConfigError(f"spec file {path} is not valid YAML: {exc}") from None
    else:
        spec = read_json_file(str(path), "spec")
    if not isinstance(spec, dict) or "connectionSpecification" not in spec:
        raise ConfigError(f"spec file {path} must hold an object with 'connectionSpecification'")
    return spec
