"""Where the files go: a local folder or a URI ``pyarrow.fs`` understands (``s3://bucket/prefix``), and how
a file written locally appears whole under its final name there."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import pyarrow as pa
import pyarrow.fs as pafs

from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.runtime.object_storage import ObjectStorage as ObjectStorage  # the writer's option too
from airbyte_dest_kit.runtime.object_storage import s3_filesystem

LOCAL = pafs.LocalFileSystem()


def filesystem_for(destination: str, storage: ObjectStorage | None = None) -> tuple[pafs.FileSystem, str]:
    """The filesystem and root path of ``destination``: a local folder, or a URI ``pyarrow.fs`` knows."""
    if "://" not in destination:
        return LOCAL, str(Path(destination).expanduser().absolute())
    parsed = urlparse(destination)
    if parsed.scheme == "s3":
        s3 = s3_filesystem(storage or ObjectStorage(), endpoint_key="s3_endpoint")
        return s3, f"{parsed.netloc}{parsed.path}".rstrip("/")
    try:
        filesystem, path = pafs.FileSystem.from_uri(destination)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise ConfigError(f"config key 'destination_path': {destination!r} is not a folder or a URI: {exc}") from exc
    return filesystem, str(path)


def publish(fs: pafs.FileSystem, written: Path, target: str) -> None:
    """The local file ``written`` appears whole under ``target`` on ``fs``, or not at all: on a local disk
    it is fsynced and renamed (then its folder fsynced); an object is visible only once its upload completed."""
    parent = target.rsplit("/", 1)[0]
    fs.create_dir(parent, recursive=True)
    if isinstance(fs, pafs.LocalFileSystem):
        fsync(written)
        os.replace(written, target)
        fsync(Path(parent))
    else:
        pafs.copy_files(str(written), target, source_filesystem=LOCAL, destination_filesystem=fs)


def check_temp_directory(folder: str | None) -> None:
    """Raise a :class:`ConfigError` naming the config key ``temp_directory`` unless ``folder`` (None: the
    system's temp folder) is an existing folder this process can create files in."""
    if folder is None:
        return
    fix = "or leave the key out to use the system's temp folder"
    if not Path(folder).is_dir():
        raise ConfigError(f"config key 'temp_directory': {folder!r} is not an existing folder; create it, {fix}")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".airbyte-check-", dir=folder))
    except OSError as exc:
        raise ConfigError(
            f"config key 'temp_directory': cannot create files in {folder!r} ({exc}); "
            f"give a folder this process can write to, {fix}"
        ) from exc


@contextmanager
def local_copy(fs: pafs.FileSystem, path: str, temp_directory: str | None) -> Iterator[str]:
    """``path`` on the local disk: itself there, else a copy downloaded into ``temp_directory``, removed after."""
    if isinstance(fs, pafs.LocalFileSystem):
        yield path
        return
    with scratch_folder(temp_directory) as scratch:
        local = str(scratch / path.rsplit("/", 1)[-1])
        pafs.copy_files(path, local, source_filesystem=fs, destination_filesystem=LOCAL)
        yield local


@contextmanager
def scratch_folder(parent: Path | str | None) -> Iterator[Path]:
    """A hidden folder in ``parent`` (None: the system's temp folder) for files being written (globs for
    ``part-*`` never look inside), removed after."""
    if parent is not None:
        Path(parent).mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=".tmp-", dir=parent))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
