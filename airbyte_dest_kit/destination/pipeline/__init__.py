"""The streaming pipeline for Writer-based destinations (see ``airbyte_dest_kit.destination.writer_destination``)."""
