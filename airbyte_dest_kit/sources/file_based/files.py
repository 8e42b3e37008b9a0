"""Which files a stream reads: globs matched against paths relative to the root, and how files are listed
and opened through ``pyarrow.fs`` (a local folder, an S3 bucket, any filesystem pyarrow has).

Globs: ``*`` matches within a folder, ``**`` as a whole path segment matches any number of folders (none
too: ``**/*.csv`` matches ``a.csv`` and ``x/y/a.csv``), ``?`` one character, ``[abc]`` / ``[!abc]`` a set,
``{csv,tsv}`` alternatives. A stream's files are those any of its globs match. Listing starts at each
glob's literal folder (``data/2024/*.csv`` lists ``data/2024/`` only), so a bucket with millions of objects
outside the globs costs nothing.

Compression by extension: ``.gz``, ``.bz2``, ``.zst`` / ``.zstd`` are decompressed while read.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.fs as pafs

from airbyte_dest_kit.errors import ConfigError

UTC = dt.timezone.utc
COMPRESSION = {".gz": "gzip", ".gzip": "gzip", ".bz2": "bz2", ".zst": "zstd", ".zstd": "zstd"}
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # Airbyte's, in states and in _ab_source_file_last_modified


@dataclass(frozen=True, order=True)
class RemoteFile:
    """A file of a stream; files sort (and are read, and enter the history) by modification time, then path."""

    last_modified: dt.datetime  # UTC, whole microseconds
    uri: str  # the path relative to the root: an S3 key, or a path under the local folder
    size: int | None = None

    @property
    def modified_text(self) -> str:
        return self.last_modified.strftime(TIMESTAMP_FORMAT)


def expand_braces(glob: str) -> list[str]:
    """``a.{csv,tsv}`` → ``a.csv``, ``a.tsv`` (nested braces too)."""
    depth, start = 0, -1
    for position, char in enumerate(glob):
        if char == "{":
            if depth == 0:
                start = position
            depth += 1
        elif char == "}" and depth:
            depth -= 1
            if depth == 0:
                options, level, begin = [], 0, start + 1
                for inner, c in enumerate(glob[start + 1 : position], start + 1):
                    level += c == "{"
                    level -= c == "}"
                    if c == "," and level == 0:
                        options.append(glob[begin:inner])
                        begin = inner + 1
                options.append(glob[begin:position])
                head, tail = glob[:start], glob[position + 1 :]
                return [expanded for option in options for expanded in expand_braces(head + option + tail)]
    return [glob]


def glob_pattern(glob: str) -> str:
    """One brace-free glob as a regular expression over a whole relative path."""
    parts, i = [], 0
    while i < len(glob):
        char = glob[i]
        if glob.startswith("**", i):
            at_segment_start = i == 0 or glob[i - 1] == "/"
            after = glob[i + 2 : i + 3]
            if at_segment_start and after == "/":
                parts.append("(?:.*/)?")
                i += 3
                continue
            if at_segment_start and after == "":
                parts.append(".*")
                i += 2
                continue
            parts.append("[^/]*")
            i += 2
        elif char == "*":
            parts.append("[^/]*")
            i += 1
        elif char == "?":
            parts.append("[^/]")
            i += 1
        elif char == "[" and "]" in glob[i + 2 :] or glob[i : i + 2] == "[]":
            end = glob.index("]", i + 2) if glob[i + 1 : i + 2] in ("!", "]") else glob.index("]", i + 1)
            body = glob[i + 1 : end]
            body = "^" + body[1:] if body.startswith("!") else body
            parts.append("[" + body.replace("\\", "\\\\") + "]")
            i = end + 1
        else:
            parts.append(re.escape(char))
            i += 1
    return "".join(parts)


def glob_matcher(globs: Sequence[str]) -> Callable[[str], bool]:
    expanded = [g.lstrip("/") for glob in globs for g in expand_braces(glob)]
    compiled = re.compile("|".join(f"(?:{glob_pattern(g)})" for g in expanded) + r"\Z", re.DOTALL)
    return lambda path: compiled.match(path) is not None


def listing_prefixes(globs: Sequence[str]) -> list[str]:
    """The folders to list: each glob's literal leading folders; none inside another."""
    prefixes = set()
    for expanded in (g.lstrip("/") for glob in globs for g in expand_braces(glob)):
        literal = re.split(r"[*?\[]", expanded, maxsplit=1)[0]
        prefixes.add(literal.rsplit("/", 1)[0] + "/" if "/" in literal else "")
    ordered = sorted(prefixes, key=len)
    return [p for i, p in enumerate(ordered) if not any(p.startswith(q) for q in ordered[:i])]


class FileStore:
    """Files under ``root`` of ``filesystem``; ``describe`` names the root in messages (``s3://bucket``)."""

    def __init__(self, filesystem: pafs.FileSystem, root: str, describe: str, root_key: str) -> None:
        self.filesystem, self.root, self.describe, self.root_key = filesystem, root.rstrip("/"), describe, root_key

    def path(self, uri: str) -> str:
        return f"{self.root}/{uri}" if self.root else uri

    def list(self, globs: Sequence[str], start_date: dt.datetime | None = None) -> list[RemoteFile]:
        """Every file a glob matches, modified at or after ``start_date``, by (modification time, path)."""
        matches = glob_matcher(globs)
        found: dict[str, RemoteFile] = {}
        self._check_root()
        for prefix in listing_prefixes(globs):
            for info in self._infos(prefix):
                if info.type != pafs.FileType.File:
                    continue
                uri = info.path[len(self.root) + 1 :] if self.root else info.path
                if uri in found or not matches(uri):
                    continue
                modified = _utc(info.mtime)
                if start_date is None or modified >= start_date:
                    found[uri] = RemoteFile(modified, uri, info.size)
        return sorted(found.values())

    def _infos(self, prefix: str) -> Iterable[pafs.FileInfo]:
        base = self.path(prefix.rstrip("/")) if prefix else self.root
        try:
            infos: list[pafs.FileInfo] = self.filesystem.get_file_info(
                pafs.FileSelector(base, recursive=True, allow_not_found=True)
            )
            return infos
        except OSError as exc:
            raise self._unreachable(exc, f"under {prefix!r}" if prefix else "") from exc

    def _check_root(self) -> None:
        try:
            root = self.filesystem.get_file_info(self.root or "/")
        except OSError as exc:
            raise self._unreachable(exc, "") from exc
        if root.type == pafs.FileType.NotFound:
            raise ConfigError(f"config key {self.root_key!r}: {self.describe} does not exist; check it")

    def _unreachable(self, error: OSError, where: str) -> ConfigError:
        return ConfigError(
            f"cannot list the files of {self.describe}{' ' + where if where else ''}: {error}; check "
            f"{self.root_key!r}, the credentials and their permissions"
        )

    def open(self, uri: str) -> pa.NativeFile:
        """A readable stream of the file's bytes, decompressed when its extension says so."""
        suffix = "." + uri.rsplit(".", 1)[-1].lower() if "." in uri else ""
        return self.filesystem.open_input_stream(self.path(uri), compression=COMPRESSION.get(suffix))

    def open_random_access(self, uri: str) -> pa.NativeFile:
        return self.filesystem.open_input_file(self.path(uri))


def _utc(moment: dt.datetime | None) -> dt.datetime:
    if moment is None:
        return dt.datetime.min.replace(tzinfo=UTC)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_timestamp(text: str) -> dt.datetime:
    """A timestamp of a saved state: Airbyte's ``%Y-%m-%dT%H:%M:%S.%fZ``, or any ISO 8601 form."""
    try:
        return dt.datetime.strptime(text, TIMESTAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
