"""The KvDB server (``destinations/destination-kvdb/server.py``) as a real process on 127.0.0.1, for tests.

Each server has its own SQLite file and a free port, kept across restarts::

    server = KvdbServer(tmp_path / "kv.sqlite", token="t").start()
    server.set_faults(failure_rate=1.0, fault_limit=3)  # the next three bucket requests answer 503
    server.entries("bucket", prefix="users/")  # [(key, value), ...] in key order
    server.restart()  # kill -9, then start again on the same port
    server.stop()
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SERVER = REPO / "destinations" / "destination-kvdb" / "server.py"


class KvdbServer:
    def __init__(self, data: Path, token: str | None = None, *options: str) -> None:
        self.data, self.token, self.options = data, token, list(options)
        self.port = 0  # the first start picks a free port; restarts keep it
        self.process: subprocess.Popen[str] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> KvdbServer:
        command = [sys.executable, str(SERVER), "--port", str(self.port), "--data", str(self.data), *self.options]
        if self.token is not None:
            command += ["--token", self.token]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        banner = self.process.stdout.readline()  # printed once the socket listens
        assert "listening on http://127.0.0.1:" in banner, f"the server did not start: {banner!r}"
        self.port = int(banner.split("http://127.0.0.1:")[1].split()[0])
        return self

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None:
            self.process.send_signal(sig)
            self.process.wait(10)
            assert self.process.stdout is not None
            self.process.stdout.close()
            self.process = None

    def restart(self) -> None:
        """Kill -9 (nothing flushed on the way out), then start again on the same port and file."""
        self.stop(signal.SIGKILL)
        self.start()

    # -- talking to it, with the standard library (the code under test is the HTTP client) ---------------

    def request(self, method: str, path: str, body: Any = None) -> Any:
        return json.loads(self.request_text(method, path, body))

    def request_text(self, method: str, path: str, body: Any = None) -> str:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        if self.token is not None:
            request.add_header("Authorization", f"Bearer {self.token}")
        with urllib.request.urlopen(request, timeout=10) as response:
            return str(response.read().decode())

    def set_faults(self, **knobs: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.request("PUT", "/_admin/faults", knobs)
        return result

    def stats(self) -> dict[str, int]:
        result: dict[str, int] = self.request("GET", "/_admin/stats")
        return result

    def entries(self, bucket: str, prefix: str = "") -> list[tuple[str, Any]]:
        query = urllib.parse.urlencode({"prefix": prefix, "values": "true", "format": "json"})
        return [(key, value) for key, value in self.request("GET", f"/{urllib.parse.quote(bucket)}/?{query}")]

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        return [key for key, _ in self.entries(bucket, prefix)]

    def __enter__(self) -> KvdbServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
