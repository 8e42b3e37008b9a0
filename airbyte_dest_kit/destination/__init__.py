"""The destination model: :class:`~.destination.Destination` (``write`` by hand), :class:`~.writer.Writer`
(the contract a target implements to get the pipeline), :mod:`.plan` (a configured catalog → one
:class:`~airbyte_dest_kit.streams.spec.StreamSpec` per stream), :class:`~.writer_destination.WriterDestination`
(a destination made of a writer), and :mod:`.pipeline`, which runs between stdin and the writer."""
