"""How many of a folder of manifests load on this kit, of those that load on airbyte-cdk. Not part of CI (it
needs airbyte-cdk and manifests, neither of which the repository holds)::

    python3 -m venv /tmp/cdk-venv && /tmp/cdk-venv/bin/pip install airbyte-cdk
    .venv/bin/python scripts/compare_manifests.py MANIFESTS_DIR /tmp/cdk-venv/bin/source-declarative-manifest

``MANIFESTS_DIR`` holds one folder per connector with its ``manifest.yaml`` (and ``components.py`` when it
has custom components, given to airbyte-cdk only), or bare ``*.yaml`` files. Each manifest gets a config
made up from its spec (every property filled with a value of its type, format and pattern) and runs
``spec`` and ``discover`` on both sides. There is no network: a discover that fails only on the network
still counts as loaded. airbyte-cdk's results are cached next to the manifests (``.cdk-results.json``,
per config; ``--fresh`` runs them again). ``--kit COMMAND``, repeatable, compares other kit commands (an
older checkout's, for a before and after in one pass)::

    --kit "env PYTHONPATH=/tmp/old /repo/.venv/bin/python /tmp/old/sources/source-declarative-manifest/main.py"
 Prints, for each manifest the kit does not load, the component or field its
error names, then the share and a histogram of these blockers.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parent.parent
KIT = [sys.executable, str(ROOT / "sources" / "source-declarative-manifest" / "main.py")]
INJECTED = "__injected_declarative_manifest"
TIMEOUT = 120
# The messages of failures that only say the network is not there.
NETWORK = re.compile(
    r"ConnectError|ConnectionError|Name or service not known|Temporary failure in name resolution|"
    r"Failed to resolve|Max retries exceeded|nodename nor servname|No address associated|Connection refused|"
    r"getaddrinfo|NameResolutionError|cannot reach|could not connect|Network is unreachable",
    re.IGNORECASE,
)


# -- a config from a spec ---------------------------------------------------------------------------------

SAMPLES = [
    "2024-01-01T00:00:00Z",
    "2024-01-01T00:00:00.000Z",
    "2024-01-01",
    "2024-01-01 00:00:00",
    "2024-01",
    "01/01/2024 00:00",
    "example",
    "abc123",
    "1",
    "12345",
    "https://example.com",
    "example.com",
    "user@example.com",
    "us",
    "US",
    "en",
    "a",
]


def sample_string(schema: dict[str, Any], name: str) -> str:
    pattern = schema.get("pattern")
    fmt = schema.get("format")
    preferred = {"date-time": SAMPLES[0], "date": "2024-01-01", "email": "user@example.com", "uri": SAMPLES[9]}
    candidates = [preferred[fmt]] if fmt in preferred else []
    candidates += [str(example) for example in _as_list(schema.get("examples"))]
    # a free-form string is a date where its name says so, else a word (it may be a subdomain or a key)
    candidates += [SAMPLES[0] if "date" in name or "time" in name else "example", *SAMPLES]
    if not pattern:
        return candidates[0]
    try:
        compiled = re.compile(pattern)
    except re.error:
        return candidates[0]
    return next((c for c in candidates if compiled.search(c)), candidates[0])


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def sample_value(schema: Any, name: str = "") -> Any:
    if not isinstance(schema, dict):
        return "example"
    if "const" in schema:
        return schema["const"]
    if "default" in schema and jsonschema.Draft7Validator(schema).is_valid(schema["default"]):
        return schema["default"]
    if schema.get("enum"):
        return schema["enum"][0]
    for combinator in ("oneOf", "anyOf"):
        if schema.get(combinator):
            return sample_value(schema[combinator][0], name)
    kinds = [kind for kind in _as_list(schema.get("type")) if kind != "null"]
    kind = kinds[0] if kinds else ("object" if "properties" in schema else "string")
    if kind == "object":
        return {key: sample_value(sub, key.lower()) for key, sub in (schema.get("properties") or {}).items()}
    if kind == "array":
        items = schema.get("items", {"type": "string"})
        return [sample_value(items, name) for _ in range(max(1, int(schema.get("minItems", 1))))]
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return float(schema.get("minimum", 1))
    if kind == "boolean":
        return False
    return sample_string(schema, name)


def config_for(manifest: dict[str, Any]) -> dict[str, Any]:
    spec = manifest.get("spec") or {}
    schema = spec.get("connection_specification") if isinstance(spec, dict) else None
    value = sample_value(schema) if isinstance(schema, dict) else {}
    return value if isinstance(value, dict) else {}


# -- running one side -----------------------------------------------------------------------------------


@dataclass
class Outcome:
    loaded: bool
    error: str = ""


def run_side(argv_for: Callable[[list[str]], list[str]], workdir: Path, env: dict[str, str] | None = None) -> Outcome:
    """``spec`` then ``discover``; loaded when both succeed, or discover fails only on the network."""
    for args in (["spec"], ["discover", "--config", str(workdir / "config.json")]):
        try:
            done = subprocess.run(argv_for(args), capture_output=True, text=True, timeout=TIMEOUT, env=env, cwd=workdir)
        except subprocess.TimeoutExpired:
            return Outcome(False, f"{args[0]}: timed out after {TIMEOUT}s")
        wanted = "SPEC" if args[0] == "spec" else "CATALOG"
        if f'"type":"{wanted}"' in done.stdout.replace(" ", ""):
            continue
        if args[0] == "discover" and NETWORK.search(done.stdout + done.stderr):
            return Outcome(True, "network only")
        return Outcome(False, f"{args[0]}: {trace_error(done.stdout) or done.stderr.strip()[-400:]}")
    return Outcome(True)


def trace_error(stdout: str) -> str:
    for line in stdout.splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if isinstance(message, dict) and message.get("type") == "TRACE":
            error = message.get("trace", {}).get("error") or {}
            if error.get("message"):
                return str(error.get("internal_message") or "") + " | " + str(error["message"])
    return ""


def prepare(name: str, manifest_path: Path, scratch: Path) -> Path:
    manifest = yaml.safe_load(manifest_path.read_text())
    workdir = scratch / name
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "config.json").write_text(json.dumps(config_for(manifest)))
    return workdir


def cdk_outcome(cdk: str, name: str, manifest_path: Path, scratch: Path) -> Outcome:
    workdir = prepare(name, manifest_path, scratch)
    extra = ["--manifest-path", str(manifest_path)]
    components = manifest_path.parent / "components.py"
    if components.exists():
        extra += ["--components-path", str(components)]
    env = {**os.environ, "AIRBYTE_ENABLE_UNSAFE_CODE": "true"}  # to load the connector's components.py
    return run_side(lambda args: [cdk, *args, *extra], workdir, env)


def kit_outcome(kit: list[str], name: str, manifest_path: Path, scratch: Path) -> Outcome:
    workdir = prepare(name, manifest_path, scratch)
    return run_side(lambda args: [*kit, "--manifest", str(manifest_path), *args], workdir)


# -- what blocked it ------------------------------------------------------------------------------------

BLOCKERS = [
    (re.compile(r"custom Python component"), lambda m: "custom Python component (class_name)"),
    (re.compile(r"field '([^']+)' of (\w+) is not supported"), lambda m: f"{m.group(2)}.{m.group(1)}"),
    (re.compile(r"component type '([^']+)' is not supported"), lambda m: m.group(1)),
    (re.compile(r"a list of several partition routers"), lambda m: "partition_router as a list"),
    (re.compile(r"incremental parents"), lambda m: "ParentStreamConfig.incremental_dependency"),
    (re.compile(r"schema_normalization"), lambda m: "RecordSelector.schema_normalization"),
]


def blocker(error: str) -> str:
    message = error.split(" | ")[-1]
    for pattern, name in BLOCKERS:
        match = pattern.search(message)
        if match:
            return name(match)
    return re.sub(r"\[\d+\]", "[]", message)[:100]


def manifests_in(folder: Path) -> dict[str, Path]:
    found = {path.parent.name: path for path in folder.glob("*/manifest.yaml")}
    found.update({path.stem: path for path in folder.glob("*.yaml")})
    return dict(sorted(found.items()))


def report(label: str, manifests: list[str], cdk_loaded: list[str], kit: dict[str, Outcome]) -> None:
    both = [name for name in cdk_loaded if kit[name].loaded]
    blockers: Counter[str] = Counter()
    print(f"== {label}")
    for name in cdk_loaded:
        if not kit[name].loaded:
            blockers[blocker(kit[name].error)] += 1
            print(f"{name}: {kit[name].error[:300]}")
    kit_only = [name for name in manifests if kit[name].loaded and name not in cdk_loaded]
    print(f"manifests: {len(manifests)}; load on airbyte-cdk: {len(cdk_loaded)}; on the kit too: {len(both)}")
    print(f"share: {len(both)}/{len(cdk_loaded)} = {100 * len(both) / max(1, len(cdk_loaded)):.1f}%")
    if kit_only:
        print(f"load on the kit only: {', '.join(kit_only)}")
    print("blockers (manifests blocked):")
    for name, count in blockers.most_common():
        print(f"  {count:4d}  {name}")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("manifests", type=Path)
    parser.add_argument("cdk", help="airbyte-cdk's source-declarative-manifest executable")
    parser.add_argument(
        "--kit",
        action="append",
        help="a kit command to compare (repeatable, e.g. an older checkout's; default: this checkout's)",
    )
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--fresh", action="store_true", help="run airbyte-cdk again instead of using its cache")
    parser.add_argument("--json", type=Path, help="write every outcome here")
    args = parser.parse_args()
    kits = args.kit or [shlex.join(KIT)]
    manifests = manifests_in(args.manifests)
    cache_path = args.manifests / ".cdk-results.json"
    cache = {} if args.fresh or not cache_path.exists() else json.loads(cache_path.read_text())
    configs = {name: config_for(yaml.safe_load(path.read_text())) for name, path in manifests.items()}
    # a cached result counts for the config it was run with only
    cache = {
        name: outcome for name, outcome in cache.items() if name in configs and outcome.get("config") == configs[name]
    }
    with tempfile.TemporaryDirectory() as tmp, concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        scratch = Path(tmp)
        # one manifest's runs after another's, so the kits' results come in as airbyte-cdk's do
        todo: dict[str, concurrent.futures.Future[Outcome]] = {}
        kit_futures: list[dict[str, concurrent.futures.Future[Outcome]]] = [{} for _ in kits]
        for name, path in manifests.items():
            if name not in cache:
                todo[name] = pool.submit(cdk_outcome, args.cdk, name, path, scratch / "cdk")
            for i, kit in enumerate(kits):
                kit_futures[i][name] = pool.submit(kit_outcome, shlex.split(kit), name, path, scratch / f"kit{i}")
        for name, future in todo.items():
            cache[name] = {**vars(future.result()), "config": configs[name]}
            cache_path.write_text(json.dumps(cache, indent=1, sort_keys=True))  # kept if interrupted
        outcomes = [{name: future.result() for name, future in futures.items()} for futures in kit_futures]
    cdk_loaded = [name for name in manifests if cache[name]["loaded"]]
    for kit, outcome in zip(kits, outcomes, strict=True):
        report(kit, list(manifests), cdk_loaded, outcome)
    if args.json:
        results = {
            "cdk": cache,
            "kits": {kit: {n: vars(o) for n, o in o_.items()} for kit, o_ in zip(kits, outcomes, strict=True)},
        }
        args.json.write_text(json.dumps(results, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
