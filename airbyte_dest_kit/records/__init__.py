"""RECORD lines → typed rows: the one typing rule, used by the pipeline for incoming records and by stores
that read back what they wrote (:mod:`.typer`), with the line repairs it needs and exact JSON text."""
