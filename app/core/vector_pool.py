"""The vector indexes one process holds in memory: one per index file and model, shared by the stores that open it.

The desktop app indexes on one thread and searches on another, each with a
store of its own (its own SQLite connection, its own embedder). Without a
pool each store would load its own copy of the graph: two copies, 2.6 GB at a
million 256-d passages. With one, the first store to open an index loads it
(or builds it), the others get the same object, and what the indexing side
adds is what the search side finds. The copy is dropped when the last store
that uses it closes.

Sharing the object keeps the rule that each native handle has one owner: the
hnswlib graphs are only ever called by :class:`~app.core.vectors.VectorIndex`,
under its own locks (see its module docstring); each thread keeps its own
catalog connection and embedder. The command line runs one store per
process and needs no pool.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable

from app.core.vectors import VectorIndex


class _Entry:
    def __init__(self) -> None:
        self.users = 0
        self.opening = threading.Lock()  # one thread loads or builds it; the others wait for that one
        self.index: VectorIndex | None = None


class VectorPool:
    """Vector indexes shared by the stores of one process (built once, by the composition root)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[Hashable, _Entry] = {}

    def acquire(self, key: Hashable, open_index: Callable[[], VectorIndex]) -> VectorIndex:
        """The index held under ``key``, opened with ``open_index`` if no store holds it yet."""
        with self._lock:
            entry = self._entries.setdefault(key, _Entry())
            entry.users += 1
        try:
            with entry.opening:
                if entry.index is None:
                    entry.index = open_index()
                return entry.index
        except BaseException:
            self.release(key)
            raise

    def release(self, key: Hashable) -> None:
        """One store is done with the index under ``key``; the last one out drops it."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return
            entry.users -= 1
            if entry.users <= 0:
                del self._entries[key]

    def held(self) -> dict[Hashable, int]:
        """How many stores use each index held now."""
        with self._lock:
            return {key: entry.users for key, entry in self._entries.items()}
