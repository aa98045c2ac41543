"""The catalog's change log: which chunks changed after a generation, so a vector index catches up on just those.

Triggers on ``chunks`` and ``vectors`` (catalog_schema, migration 3) fill it in
the transaction of the change itself, so it cannot miss one: a chunk added,
removed or given another text, a vector stored or dropped for a chunk's text.
A row only says "look at this chunk again"; what the chunk is now (there, with
a vector of the index's model, or not) is read from the catalog, so applying
a row twice, or late, does no harm.

The log is pruned when the saved vector index no longer needs it. A reader
whose index is older than what the log still holds compares every id instead
(:meth:`app.core.store.Store.refresh`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager

import numpy as np


class ChangeLog:
    """The change log of one catalog connection.

    Args:
        db: the catalog's connection.
        transaction: opens a write transaction that does not move the
            generation (pruning the log changes no chunk).
    """

    def __init__(self, db: sqlite3.Connection, transaction: Callable[[], AbstractContextManager]) -> None:
        self._db = db
        self._transaction = transaction

    def complete_after(self) -> int | None:
        """The log holds every change committed after this generation (none before it, once pruned); None when
        there is no log (a catalog a reader opened before a newer Gemseek migrated it)."""
        row = self._db.execute("SELECT value FROM state WHERE key = 'changes_from'").fetchone()
        return int(row[0]) if row else None

    def chunks(self, after: int, upto: int) -> np.ndarray:
        """The ids of the chunks changed in generations ``after`` (excluded) to ``upto`` (included), once each.

        Reads the log's rows of those generations only (its primary key starts with the generation).
        """
        rows = self._db.execute(
            "SELECT DISTINCT chunk_id FROM chunk_changes WHERE generation > ? AND generation <= ?", (after, upto))
        return np.fromiter((r[0] for r in rows), dtype=np.int64)

    def prune(self, upto: int) -> int:
        """Forget the changes of generations up to ``upto`` (a saved index has them); return how many rows went."""
        with self._transaction():
            cur = self._db.execute("DELETE FROM chunk_changes WHERE generation <= ?", (upto,))
            self._db.execute("UPDATE state SET value = max(value, ?) WHERE key = 'changes_from'", (upto,))
        return cur.rowcount
