"""Run the example manifests through this kit's and airbyte-cdk's ``source-declarative-manifest`` against
the same local shop API, and print where the outputs differ. Not part of CI (it needs airbyte-cdk)::

    python3 -m venv /tmp/cdk-venv && /tmp/cdk-venv/bin/pip install airbyte-cdk
    .venv/bin/python scripts/compare_with_airbyte_cdk.py /tmp/cdk-venv/bin/source-declarative-manifest

Both get the same config file, with the manifest injected under ``__injected_declarative_manifest``. Each
case reads the listed streams; the incremental case then resumes from each side's own final state with
more events on the API. Compared: the set of records per stream and the final state per stream. The
differences docs/declarative.md documents (full-refresh state markers, concurrent vs in-order reads) are expected.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from airbyte_dest_kit.testing.http_api import LocalShopApi

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "sources" / "source-declarative-manifest" / "examples"
OURS = [sys.executable, str(ROOT / "sources" / "source-declarative-manifest" / "main.py")]

PER_KIND = {
    "type": "ListPartitionRouter",
    "cursor_field": "kind",
    "values": ["click", "purchase"],
    "request_option": {"type": "RequestOption", "inject_into": "request_parameter", "field_name": "kind"},
}
# (example file, streams, config, a change to the manifest's first stream's retriever)
CASES: list[tuple[str, list[str], dict[str, Any], dict[str, Any]]] = [
    ("shop-plans", ["plans"], {"region": "eu"}, {}),
    ("shop-paginated", ["customers", "orders", "events"], {"page_size": 20}, {}),
    (
        "shop-events-incremental",
        ["events"],
        {"start_date": "2024-03-01T00:30:00Z", "end_date": "2024-03-01T06:00:00Z"},
        {},
    ),
    (
        "shop-events-incremental",
        ["events"],
        {"start_date": "2024-03-01T00:30:00Z", "end_date": "2024-03-01T06:00:00Z"},
        {"partition_router": PER_KIND},
    ),
    ("shop-customer-orders", ["customers", "customer_orders", "events_by_kind"], {"kinds": ["click", "purchase"]}, {}),
    ("shop-event-search", ["event_search"], {"username": "shop", "password": "compare-key-123", "kinds": ["view"]}, {}),
]


def inline_schema_files(value: Any) -> Any:
    """airbyte-cdk reads JsonFileSchemaLoader files from an installed Python package, not next to the
    manifest (a documented difference): give it the same schemas inline."""
    if isinstance(value, list):
        return [inline_schema_files(item) for item in value]
    if not isinstance(value, dict):
        return value
    if value.get("type") == "JsonFileSchemaLoader":
        return {"type": "InlineSchemaLoader", "schema": json.loads((EXAMPLES / value["file_path"]).read_text())}
    return {key: inline_schema_files(item) for key, item in value.items()}


def read(
    command: list[str], config: dict[str, Any], streams: list[str], mode: str, state: Any, work: Path
) -> dict[str, Any]:
    (work / "config.json").write_text(json.dumps(config))
    catalog = {
        "streams": [
            {
                "stream": {"name": name, "json_schema": {}, "supported_sync_modes": ["full_refresh", "incremental"]},
                "sync_mode": mode,
                "destination_sync_mode": "append",
            }
            for name in streams
        ]
    }
    (work / "catalog.json").write_text(json.dumps(catalog))
    argv = [*command, "read", "--config", str(work / "config.json"), "--catalog", str(work / "catalog.json")]
    if state is not None:
        (work / "state.json").write_text(json.dumps(state))
        argv += ["--state", str(work / "state.json")]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    records: dict[str, list[str]] = defaultdict(list)
    states: dict[str, Any] = {}
    errors = []
    for line in done.stdout.splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if message["type"] == "RECORD":
            records[message["record"]["stream"]].append(json.dumps(message["record"]["data"], sort_keys=True))
        elif message["type"] == "STATE":
            states[message["state"]["stream"]["stream_descriptor"]["name"]] = message["state"]
        elif message["type"] == "TRACE" and message["trace"]["type"] == "ERROR":
            errors.append(message["trace"]["error"]["message"])
    return {"exit": done.returncode, "records": records, "states": states, "errors": errors}


def compare(label: str, ours: dict[str, Any], theirs: dict[str, Any], streams: list[str]) -> None:
    print(f"{label}: exit codes {ours['exit']} / {theirs['exit']}", *ours["errors"][:1], *theirs["errors"][:1])
    for name in streams:
        same = sorted(ours["records"][name]) == sorted(theirs["records"][name])
        our_state = ours["states"].get(name, {}).get("stream", {}).get("stream_state")
        their_state = theirs["states"].get(name, {}).get("stream", {}).get("stream_state")
        print(
            f"  {name:16} records {len(ours['records'][name]):4} / {len(theirs['records'][name]):4}"
            f" {'same' if same else 'DIFFERENT'}; final state {our_state} / {their_state}"
        )


def main() -> int:
    cdk = [sys.argv[1]] if len(sys.argv) > 1 else ["source-declarative-manifest"]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name, streams, extra, retriever_change in CASES:
            manifest = yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text())
            if retriever_change:
                manifest["streams"][0]["retriever"].update(retriever_change)
            mode = "incremental" if "incremental" in name else "full_refresh"
            outputs = []
            for command, given in ((OURS, manifest), (cdk, inline_schema_files(manifest))):
                with LocalShopApi(api_key="compare-key-123", customers=12, orders=40, rate_limit_every=5) as api:
                    credentials = {
                        "client_id": api.client_id,
                        "client_secret": api.client_secret,
                        "refresh_token": api.refresh_token,
                    }
                    config = {
                        "__injected_declarative_manifest": given,
                        "base_url": api.base_url,
                        "api_key": api.api_key,
                        "credentials": credentials,
                        **extra,
                    }
                    first = read(command, config, streams, mode, None, work)
                    api.events = 150
                    resumed = list(first["states"].values())
                    config["credentials"]["refresh_token"] = api.refresh_token
                    second = read(command, config, streams, mode, resumed, work) if mode == "incremental" else None
                    outputs.append((first, second))
            label = f"{name} + {', '.join(retriever_change)}" if retriever_change else name
            compare(label, outputs[0][0], outputs[1][0], streams)
            if outputs[0][1] is not None:
                compare(f"{label}, resumed", outputs[0][1], outputs[1][1], streams)
    return 0


if __name__ == "__main__":
    sys.exit(main())
