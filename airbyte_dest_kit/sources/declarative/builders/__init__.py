"""How the factory builds each family of components, one module per family (mixed into
:class:`~airbyte_dest_kit.sources.declarative.factory.Factory`)."""
