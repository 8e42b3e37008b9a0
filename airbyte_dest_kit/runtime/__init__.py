"""What every connector shares at run time: the command line (``spec``, ``check`` and a connector's own
commands), config and catalog files, secrets masked in every line printed, optional dependencies, and
the retrying HTTP client that HTTP sources and writers use."""
