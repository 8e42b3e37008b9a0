"""The stream model: what a configured stream becomes in a target (:class:`StreamSpec`, its columns and
their types), the naming rule, the winner rule of append_dedup, and SQL spelling of names and strings."""
