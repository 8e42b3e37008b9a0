from .source import SourceShop

__all__ = ["SourceShop"]
