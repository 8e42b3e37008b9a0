"""The store layer: the sync modes written once (:class:`StoreWriter`) over a small storage interface
(:class:`Store`, with the optional :class:`Swaps`, :class:`Merges` and :class:`Rewrites`), and swaps for
targets without a transactional one. A new store implements the operations; every mode follows.

    from airbyte_dest_kit.store import Store, StoreWriter, SwapPair, plan_evolution
"""

from airbyte_dest_kit.store.modes import StoreWriter
from airbyte_dest_kit.store.store import ColumnTypes, Merges, MergeTarget, Rewrites, Store, SwapPair, Swaps
from airbyte_dest_kit.store.swaps import resume_journal, resume_renames, swap_by_journal, swap_by_renames
from airbyte_dest_kit.streams.schema import plan_evolution, widen

__all__ = [
    "ColumnTypes",
    "MergeTarget",
    "Merges",
    "Rewrites",
    "Store",
    "StoreWriter",
    "SwapPair",
    "Swaps",
    "plan_evolution",
    "resume_journal",
    "resume_renames",
    "swap_by_journal",
    "swap_by_renames",
    "widen",
]
