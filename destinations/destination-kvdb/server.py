"""A local KvDB-compatible key-value server: one process, one SQLite file, fault knobs for tests.

    python server.py --host 127.0.0.1 --port 8765 --data ./kv.sqlite [--token T]

It speaks the part of the KvDB API the Airbyte guide's client uses, with JSON values:

- ``POST /<bucket>`` with ``{"txn": [{"set": key, "value": <json>}, {"delete": key}, …]}``: applied in order,
  all or nothing (one SQLite transaction), and committed before the answer: an acknowledged transaction
  survives a restart (or a ``kill -9``) of the server.
- ``GET /<bucket>/<key>`` (the key percent-encoded in the path): the value, or 404.
- ``GET /<bucket>/?prefix=&values=true|false&format=json&limit=&skip=``: ``[[key, value], …]`` (or a list of
  keys) in key order (code point order), ``skip`` keys skipped, at most ``limit`` (default: all).
- With ``--token``, every request needs ``Authorization: Bearer <token>`` (401 otherwise).

Values are kept as the JSON text the client sent (numbers, escapes and all; SQLite's JSON functions do not
re-encode them) and answered as that text. Buckets exist once written to.

Fault knobs, for tests of clients (command line, or at runtime with ``PUT /_admin/faults`` and a JSON
object of the same names; ``GET /_admin/faults`` shows them, ``GET /_admin/stats`` counts requests):

- ``latency``: seconds added before every bucket request is answered;
- ``failure_rate``: share of bucket requests answered ``503``;
- ``throttle_rate``: share answered ``429`` with ``Retry-After: <retry_after>``;
- ``drop_rate``: share whose connection is closed without an answer; with ``drop_after_commit`` (the
  default) a dropped transaction is committed first, so the client cannot know whether it landed;
- ``fault_limit``: after this many injected faults the server recovers (no limit by default), so a test
  can make it fail "for a while"; ``seed`` makes the choice of requests repeatable.

The admin paths ``/_admin/...`` need the token too, and are never faulty. Standard library only.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import signal
import sqlite3
import sys
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import asdict, dataclass, fields
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any

ADMIN = "_admin"
DEFAULT_MAX_BODY_BYTES = 16 * 2**20
MAX_KEY_CHARS = 1024
MAX_PAGE = 100_000


class RequestError(Exception):
    """A request the server refuses: the status and a message saying what to change."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# -- storage ---------------------------------------------------------------------------------------------


class KvStore:
    """Buckets of ``key → JSON text`` in one SQLite file; every call is one transaction."""

    def __init__(self, path: str) -> None:
        self._con = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()  # one writer at a time is what SQLite does anyway
        self._con.execute("PRAGMA journal_mode = WAL")
        self._con.execute("PRAGMA synchronous = FULL")  # acknowledged = on disk
        # Measured on 200,000 keys of 400-byte values: a WITHOUT ROWID table (values inside the key's B-tree)
        # slowed to 300 ms a 1,000-key transaction as it grew, a rowid table with a key index stays near
        # 50 ms, helped by a larger page cache and fewer WAL checkpoints.
        self._con.execute("PRAGMA cache_size = -65536")
        self._con.execute("PRAGMA wal_autocheckpoint = 10000")
        self._con.execute(
            "CREATE TABLE IF NOT EXISTS entries (bucket TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL)"
        )
        self._con.execute("CREATE UNIQUE INDEX IF NOT EXISTS entries_by_key ON entries (bucket, key)")

    def apply(self, bucket: str, body: str) -> tuple[int, int]:
        """Apply a ``{"txn": [...]}`` body atomically; ``(keys set, keys deleted)``."""
        operations = self._operations(body)
        with self._lock:
            self._con.execute("BEGIN IMMEDIATE")
            try:
                # In order, one statement per run of sets or of deletes.
                for is_set, run in itertools.groupby(operations, key=lambda operation: operation[1] is not None):
                    if is_set:
                        self._con.executemany(
                            "INSERT OR REPLACE INTO entries (bucket, key, value) VALUES (?, ?, ?)",
                            ((bucket, key, value) for key, value in run),
                        )
                    else:
                        self._con.executemany(
                            "DELETE FROM entries WHERE bucket = ? AND key = ?", ((bucket, key) for key, _ in run)
                        )
                self._con.execute("COMMIT")
            except BaseException:
                self._con.execute("ROLLBACK")
                raise
        sets = sum(1 for _, value in operations if value is not None)
        return sets, len(operations) - sets

    def _operations(self, body: str) -> list[tuple[str, str | None]]:
        """``(key, value JSON text or None for a delete)`` per txn entry, validated before anything is applied."""
        with self._lock:  # SQLite's reader, strict where Python's json is lenient (NaN, Infinity)
            valid = self._con.execute("SELECT json_valid(?)", (body,)).fetchone()[0]
        txn = json.loads(body).get("txn") if valid and body.lstrip().startswith("{") else None
        if not valid:
            raise RequestError(400, "the request body is not valid JSON")
        if not isinstance(txn, list):
            raise RequestError(400, 'the request body must be {"txn": [...]}')
        keys = []
        for index, entry in enumerate(txn):
            where = f"txn[{index}]"
            if not isinstance(entry, dict):
                raise RequestError(400, f'{where} must be an object: {{"set": key, "value": …}} or {{"delete": key}}')
            if ("set" in entry) == ("delete" in entry):
                raise RequestError(400, f"{where} needs exactly one of 'set' and 'delete'")
            key = entry.get("set", entry.get("delete"))
            if not isinstance(key, str) or not key or len(key) > MAX_KEY_CHARS:
                raise RequestError(400, f"{where}: a key must be a non-empty string of at most {MAX_KEY_CHARS} chars")
            if "set" in entry and "value" not in entry:
                raise RequestError(400, f"{where} sets {key!r} without a 'value'")
            keys.append(key)
        with self._lock:  # the values as the client wrote them (SQLite's JSON functions keep their text)
            rows = self._con.execute("SELECT value -> '$.value' FROM json_each(?, '$.txn') ORDER BY key", (body,))
            texts = [text for (text,) in rows.fetchall()]
        return [(key, text if "set" in entry else None) for key, text, entry in zip(keys, texts, txn, strict=True)]

    def get(self, bucket: str, key: str) -> str | None:
        with self._lock:
            row = self._con.execute("SELECT value FROM entries WHERE bucket = ? AND key = ?", (bucket, key)).fetchone()
        return None if row is None else str(row[0])

    def list(self, bucket: str, prefix: str, skip: int, limit: int | None) -> list[tuple[str, str]]:
        """Keys starting with ``prefix`` in key order, and their values."""
        # A range on the primary key, so a prefix costs what its keys cost: every string that starts with
        # the prefix sorts before the prefix with its last character incremented (code point order).
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1) if prefix and ord(prefix[-1]) < sys.maxunicode else None
        sql = "SELECT key, value FROM entries WHERE bucket = ? AND key >= ?"
        params: list[Any] = [bucket, prefix]
        if upper is not None:
            sql += " AND key < ?"
            params.append(upper)
        elif prefix:
            sql += " AND substr(key, 1, length(?)) = ?"
            params += [prefix, prefix]
        sql += " ORDER BY key LIMIT ? OFFSET ?"
        params += [-1 if limit is None else limit, skip]
        with self._lock:
            return [(str(k), str(v)) for k, v in self._con.execute(sql, params).fetchall()]

    def close(self) -> None:
        with self._lock:
            self._con.close()


# -- faults and counters ---------------------------------------------------------------------------------


@dataclass
class Faults:
    latency: float = 0.0
    failure_rate: float = 0.0
    throttle_rate: float = 0.0
    retry_after: float = 1.0
    drop_rate: float = 0.0
    drop_after_commit: bool = True
    fault_limit: int | None = None
    seed: int | None = None


class FaultInjector:
    """Decides, per bucket request, whether to misbehave, and counts what it did."""

    def __init__(self, faults: Faults) -> None:
        self._lock = threading.Lock()
        self.faults = faults
        self._random = random.Random(faults.seed)
        self.injected = 0

    def update(self, changes: dict[str, Any]) -> Faults:
        defaults = asdict(Faults())
        for name, value in changes.items():
            if name not in defaults:
                raise RequestError(400, f"unknown fault knob {name!r}; known: {sorted(defaults)}")
            kind = type(defaults[name]) if defaults[name] is not None else int
            if not (value is None and defaults[name] is None) and not _fits(value, kind):
                raise RequestError(400, f"fault knob {name!r} must be a {kind.__name__}, not {value!r}")
        with self._lock:
            self.faults = Faults(**{**asdict(self.faults), **changes})
            if "seed" in changes:
                self._random = random.Random(self.faults.seed)
            self.injected = 0  # a new setting starts a new fault budget
            return self.faults

    def choose(self) -> str | None:
        """``"fail"``, ``"throttle"``, ``"drop"`` or None (answer normally)."""
        with self._lock:
            f = self.faults
            if f.fault_limit is not None and self.injected >= f.fault_limit:
                return None
            draw = self._random.random()
            for name, rate in (("fail", f.failure_rate), ("throttle", f.throttle_rate), ("drop", f.drop_rate)):
                if draw < rate:
                    self.injected += 1
                    return name
                draw -= rate
            return None


def _fits(value: object, kind: type) -> bool:
    if isinstance(value, bool) or kind is bool:
        return isinstance(value, bool) and kind is bool
    return isinstance(value, int) or (kind is float and isinstance(value, float))


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()

    def add(self, **amounts: int) -> None:
        with self._lock:
            self.counts.update(amounts)

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self.counts)


# -- HTTP ------------------------------------------------------------------------------------------------


class KvServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], store: KvStore, token: str | None, faults: Faults, max_body_bytes: int
    ) -> None:
        super().__init__(address, KvHandler)
        self.store = store
        self.token = token
        self.injector = FaultInjector(faults)
        self.stats = Stats()
        self.max_body_bytes = max_body_bytes


class KvHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: clients' connection pools are exercised
    # Headers and body go out in separate writes: with Nagle's algorithm each answer would wait for the
    # client's delayed ACK (about 40 ms a request on Linux).
    disable_nagle_algorithm = True
    server: KvServer
    verbose = False

    def do_GET(self) -> None:  # the names http.server dispatches to
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def _serve(self, method: str) -> None:
        url = urllib.parse.urlsplit(self.path)
        bucket, slash, rest = url.path.removeprefix("/").partition("/")
        bucket, key = urllib.parse.unquote(bucket), urllib.parse.unquote(rest)
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        try:
            body = self._body()
            self._authorise()
            if bucket == ADMIN:
                self._admin(method, key, body)
                return
            self.server.stats.add(requests=1)
            if not bucket:
                raise RequestError(404, "no bucket in the path: use /<bucket>, /<bucket>/ or /<bucket>/<key>")
            fault = self._misbehave()
            if fault == "fail":
                raise RequestError(503, "injected failure: the service is unavailable, retry later")
            if fault == "throttle":
                retry_after = f"{self.server.injector.faults.retry_after:g}"
                self._answer(
                    429, json.dumps({"error": "injected throttling: too many requests"}), {"Retry-After": retry_after}
                )
                return
            if fault == "drop" and not (self.server.injector.faults.drop_after_commit and method == "POST"):
                self._drop()
                return
            if method == "POST" and not slash:
                sets, deletes = self.server.store.apply(bucket, body)
                self.server.stats.add(transactions=1, sets=sets, deletes=deletes)
                if fault == "drop":
                    self._drop()
                    return
                self._answer(200, json.dumps({"set": sets, "deleted": deletes}))
            elif method == "GET" and slash and not key:
                self._answer(200, self._listing(bucket, query))
            elif method == "GET" and key:
                value = self.server.store.get(bucket, key)
                if value is None:
                    raise RequestError(404, f"no key {key!r} in bucket {bucket!r}")
                self._answer(200, value)
            else:
                raise RequestError(405, f"{method} {url.path} is not part of the API")
        except RequestError as exc:
            self.server.stats.add(**{f"status_{exc.status}": 1})
            headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
            self._answer(exc.status, json.dumps({"error": exc.message}), headers)

    def _body(self) -> str:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self.close_connection = True
            raise RequestError(411, "send a Content-Length; chunked bodies are not supported")
        length = int(self.headers.get("Content-Length") or 0)
        if length > self.server.max_body_bytes:
            self.close_connection = True  # the body stays unread: this connection cannot be reused
            raise RequestError(
                413,
                f"the request body has {length} bytes, over this server's limit of {self.server.max_body_bytes}; "
                "send smaller transactions",
            )
        return self.rfile.read(length).decode("utf-8", errors="replace") if length else ""

    def _authorise(self) -> None:
        token = self.server.token
        if token is not None and self.headers.get("Authorization") != f"Bearer {token}":
            raise RequestError(401, "missing or wrong bearer token (send 'Authorization: Bearer <secret key>')")

    def _misbehave(self) -> str | None:
        """Wait the configured latency, then pick this request's fault, if any."""
        latency = self.server.injector.faults.latency
        if latency > 0:
            time.sleep(latency)
        fault = self.server.injector.choose()
        if fault is not None:
            self.server.stats.add(**{f"fault_{fault}": 1})
        return fault

    def _listing(self, bucket: str, query: dict[str, str]) -> str:
        if query.get("format", "json") != "json":
            raise RequestError(400, "only format=json is supported")
        values = query.get("values", "false")
        if values not in ("true", "false"):
            raise RequestError(400, "values must be true or false")
        try:
            skip = int(query.get("skip") or 0)
            limit = int(query["limit"]) if query.get("limit") else None
        except ValueError:
            raise RequestError(400, "skip and limit must be integers") from None
        if skip < 0 or (limit is not None and not 0 <= limit <= MAX_PAGE):
            raise RequestError(400, f"skip must be >= 0 and limit between 0 and {MAX_PAGE}")
        entries = self.server.store.list(bucket, query.get("prefix", ""), skip, limit)
        if values == "true":  # stored JSON text goes out as it is
            return "[" + ",".join(f"[{json.dumps(k)},{v}]" for k, v in entries) + "]"
        return json.dumps([k for k, _ in entries])

    def _admin(self, method: str, what: str, body: str) -> None:
        if what == "faults" and method == "PUT":
            try:
                changes = json.loads(body or "{}")
            except json.JSONDecodeError:
                raise RequestError(400, "the body must be a JSON object of fault knobs") from None
            if not isinstance(changes, dict):
                raise RequestError(400, "the body must be a JSON object of fault knobs")
            self._answer(200, json.dumps(asdict(self.server.injector.update(changes))))
        elif what == "faults" and method == "GET":
            self._answer(200, json.dumps(asdict(self.server.injector.faults)))
        elif what == "stats" and method == "GET":
            self._answer(200, json.dumps(self.server.stats.snapshot()))
        else:
            raise RequestError(404, "admin paths: GET|PUT /_admin/faults, GET /_admin/stats")

    def _answer(self, status: int, text: str, headers: dict[str, str] | None = None) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _drop(self) -> None:
        """Close the connection without an answer, as a crashing proxy or a network cut would."""
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        if self.verbose:
            super().log_message(format, *args)


# -- command line ----------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="A local KvDB-compatible key-value server (see the docstring).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port (printed on stdout)")
    parser.add_argument("--data", required=True, help="SQLite file holding the buckets (created if missing)")
    parser.add_argument("--token", help="require 'Authorization: Bearer <token>' on every request")
    parser.add_argument("--max-body-bytes", type=int, default=DEFAULT_MAX_BODY_BYTES)
    parser.add_argument("--verbose", action="store_true", help="log every request on stderr")
    defaults = Faults()
    for knob in fields(Faults):
        flag = "--" + knob.name.replace("_", "-")
        default = getattr(defaults, knob.name)
        if knob.name == "drop_after_commit":
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=default)
        else:
            kind = float if isinstance(default, float) else int
            parser.add_argument(flag, type=kind, default=default, help=f"fault knob (default {default})")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if sqlite3.sqlite_version_info < (3, 38, 0):  # the -> operator keeps values as the client wrote them
        raise SystemExit(f"SQLite {sqlite3.sqlite_version} is too old for this server: it needs 3.38 or later")
    faults = Faults(**{f.name: getattr(args, f.name) for f in fields(Faults)})
    store = KvStore(args.data)
    KvHandler.verbose = args.verbose
    server = KvServer((args.host, args.port), store, args.token, faults, args.max_body_bytes)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    host, port = server.server_address[:2]
    print(f"kvdb server listening on http://{host!s}:{port} (data: {args.data})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        store.close()


if __name__ == "__main__":
    main()
