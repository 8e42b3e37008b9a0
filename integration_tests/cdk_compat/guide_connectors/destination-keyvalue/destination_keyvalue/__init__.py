from .destination import DestinationKeyValue

__all__ = ["DestinationKeyValue"]
