"""Files (JSON lines, Parquet, CSV) in a local folder or object storage: the store (:mod:`.store`), its
formats (:mod:`.formats`) and where files go (:mod:`.filesystem`)."""

from airbyte_dest_kit.writers.files.filesystem import ObjectStorage, filesystem_for
from airbyte_dest_kit.writers.files.formats import FORMATS, FileFormat, Format, Partitioning
from airbyte_dest_kit.writers.files.store import FileWriter

__all__ = ["FORMATS", "FileFormat", "FileWriter", "Format", "ObjectStorage", "Partitioning", "filesystem_for"]
