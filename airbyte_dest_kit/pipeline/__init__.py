"""The streaming pipeline for Writer-based destinations (see ``runner.WriterDestination``)."""
