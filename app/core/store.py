"""One data folder's index: the catalog plus the vector index at the chosen dimension.

The catalog is the truth; the vector index is a cache of it, in memory and on
disk. Opening a store makes the two agree: a missing or damaged index file is
rebuilt from the stored vectors, a stale one catches up with what changed
since it was saved. Changing the dimension therefore costs a rebuild from
stored vectors, never a re-embedding.

Catching up reads the catalog's change log (app/core/change_log.py) from the
index's generation on, so its cost follows what changed, not the index's size;
only an index older than the log (pruned after a save) compares every id.
That is also why the index is saved on a schedule (:class:`SaveSchedule`) and
not after every change: between two saves the catalog holds every vector, and
the next start catches up on the entries changed since.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from app.core.catalog import Catalog
from app.core.errors import GemseekError
from app.core.filelock import LockHeld, exclusive_lock
from app.core.paths import Paths
from app.core.vector_pool import VectorPool
from app.core.vectors import VectorIndex

log = logging.getLogger(__name__)

_CATCH_UP_BATCH = 20_000  # chunk ids whose vectors are read at once when catching up


class IndexLockedError(GemseekError):
    """Another process (or another writable store) works on the same data folder."""


def catalog_path(paths: Paths) -> Path:
    return paths.data / "index" / "catalog.sqlite"


def vector_path(paths: Paths, dim: int) -> Path:
    return paths.data / "index" / f"vectors-{dim}.hnsw"


@dataclass(frozen=True)
class SaveSchedule:
    """When a writable store writes its vector index to disk.

    A save writes the segments that changed (the newest, usually: tens to
    hundreds of MB at a million passages), so it waits until it is worth it:
    ``share`` of the index has changed (and at least ``least`` entries), the
    last save is ``every`` seconds old, and, while indexing is idle, nothing
    changed for ``quiet`` seconds (a burst of edits is saved once, after it).
    During a long pass it does not wait for quiet. At exit (close) the index
    is saved once ``least`` entries changed; fewer are quicker to catch up on
    at the next start than to write.
    """

    quiet: float = 30.0
    every: float = 300.0
    share: float = 0.02
    least: int = 1000

    def due(self, unsaved: int, size: int, since_save: float, since_change: float, *, busy: bool) -> bool:
        if unsaved <= 0 or unsaved < max(self.least, self.share * size) or since_save < self.every:
            return False
        return busy or since_change >= self.quiet


class CaughtUp(NamedTuple):
    """What one catch-up with the catalog did."""

    added: int = 0
    removed: int = 0
    looked_at: int = 0  # chunk ids read from the change log (or every id, when ``full``)
    full: bool = False  # the change log did not reach back far enough: every id was compared


class Store:
    """The catalog and vector index of ``paths``, for one model and dimension.

    Args:
        readonly: open the catalog for reading only (searching while another
            process indexes); the vector index is then reconciled in memory
            and never saved.
        pool: share the in-memory vector index with the other stores of this
            process that open the same one (the desktop app's indexing and
            search threads); without, the store loads its own.
        schedule: when a writable store saves its vector index.

    A writable store takes the data folder's index lock before it opens (or
    saves) anything and holds it until :meth:`close`: a second writer — another
    ``gemseek index`` while the app indexes — is refused with IndexLockedError
    and has touched nothing.
    """

    def __init__(self, paths: Paths, model: str, dim: int, *, readonly: bool = False,
                 pool: VectorPool | None = None, schedule: SaveSchedule = SaveSchedule()) -> None:
        self.paths = paths
        self.model = model
        self.dim = dim
        self.readonly = readonly
        self.schedule = schedule
        self._pool = pool
        self._lock = None if readonly else _take_lock(paths)
        self._vector_file = vector_path(paths, dim)
        try:
            self.catalog = Catalog(catalog_path(paths), readonly=readonly)
            if pool is None:
                self.vectors = self._load()
            else:
                self.vectors = pool.acquire((self._vector_file, model), self._load)
            self.opened = self.refresh(wait=True)  # what catching up on open did (the log, the tests)
        except BaseException:
            self._release(vectors=hasattr(self, "vectors"))
            raise

    def close(self) -> None:
        """Save the vector index if enough changed for it (see :class:`SaveSchedule`), then let go of everything."""
        try:
            if not self.readonly and self.vectors.unsaved >= self.schedule.least:
                self.save()
        finally:
            self._release(vectors=True)

    def _release(self, *, vectors: bool) -> None:
        if hasattr(self, "catalog"):
            self.catalog.close()
        if vectors and self._pool is not None:
            self._pool.release((self._vector_file, self.model))
        if self._lock is not None:
            lock, self._lock = self._lock, None
            lock.__exit__(None, None, None)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- opening -----------------------------------------------------------
    def _load(self) -> VectorIndex:
        """The saved index if it belongs to this catalog, else one built from the stored vectors."""
        index = VectorIndex.load(self._vector_file, self.dim, self.model)
        if index is not None and self._belongs(index):
            return index
        return self._rebuild()

    def _belongs(self, index: VectorIndex) -> bool:
        """Whether ``index`` was saved for this catalog as it is now, or an earlier state of it.

        A catalog put back from a copy, or one that lost its last commits in a
        power cut, is behind an index saved later: that index knows chunk ids
        the catalog will give out again, so it is rebuilt from stored vectors.
        """
        epoch, top = self.catalog.lineage()
        if index.lineage[0] == epoch and index.lineage[1] <= top and index.generation <= self.catalog.generation():
            return True
        log.warning("the vector index %s was saved for another state of the catalog (%s, now %s); rebuilding it "
                    "from the stored vectors", self._vector_file.name, index.lineage, (epoch, top))
        return False

    def _rebuild(self) -> VectorIndex:
        """Build the index from the stored vectors, a batch at a time (a writable store saves it)."""
        started = time.monotonic()
        index = VectorIndex(self.dim, self.model, capacity=max(1024, self.catalog.stats().chunks))
        index.generation = self.catalog.generation()  # what changes during the build, the catch-up applies
        for ids, vecs in self.catalog.iter_all_vectors(self.model):
            index.add(ids, vecs)
        log.info("built the %d-d vector index of %d chunks in %.1f s", self.dim, len(index),
                 time.monotonic() - started)
        if not self.readonly:
            index.save(self._vector_file, index.generation, self.catalog.lineage())
        return index

    # -- keeping up with the catalog ----------------------------------------
    def refresh(self, *, wait: bool | None = None) -> CaughtUp | None:
        """Apply to the vector index the catalog's changes it has not seen yet.

        Args:
            wait: wait for another thread that is changing the shared index
                (by default a writable store waits, a read-only one does not:
                a search goes on with the index as it is, the other thread is
                bringing it up to date). None is returned when it did not wait.
        """
        index = self.vectors
        if not index.changing.acquire(blocking=(not self.readonly) if wait is None else wait):
            return None
        try:
            now = self.catalog.generation()
            if index.generation >= now:
                return CaughtUp()
            complete_after = self.catalog.changes.complete_after()
            if complete_after is not None and index.generation >= complete_after:
                touched = self.catalog.changes.chunks(index.generation, now)
                caught = self._apply(touched)._replace(looked_at=len(touched))
            else:
                caught = self._compare_all()
            index.generation = now
            if caught.added or caught.removed:
                log.debug("vector index caught up to generation %d: %s", now, caught)
            return caught
        finally:
            index.changing.release()

    def _apply(self, touched: np.ndarray) -> CaughtUp:
        """Make the index agree with the catalog on the chunks ``touched``: there with a vector, or not."""
        index, added, removed = self.vectors, 0, 0
        for start in range(0, len(touched), _CATCH_UP_BATCH):
            part = touched[start : start + _CATCH_UP_BATCH]
            ids, vecs = self.catalog.chunk_vectors(part.tolist(), self.model)
            have = set(ids.tolist())
            gone = [int(i) for i in part if int(i) not in have and int(i) in index]
            index.remove(gone)
            new = np.fromiter((i not in index for i in ids.tolist()), dtype=bool, count=len(ids))
            index.add(ids[new], vecs[new])
            added, removed = added + int(new.sum()), removed + len(gone)
        return CaughtUp(added, removed)

    def _compare_all(self) -> CaughtUp:
        """Catch up without the change log: every chunk with a vector against every entry."""
        have = self.catalog.ids_with_vectors(self.model)
        present = self.vectors.ids_array()
        gone = np.setdiff1d(present, have, assume_unique=True)
        missing = np.setdiff1d(have, present, assume_unique=True)
        caught = self._apply(np.concatenate([gone, missing]))
        log.info("vector index caught up by comparing all %d ids: %d added, %d removed", len(have), caught.added,
                 caught.removed)
        return caught._replace(looked_at=len(have), full=True)

    @contextmanager
    def write(self) -> Iterator[None]:
        """One atomic change of the catalog (see :meth:`Catalog.write`), then the vector index follows it."""
        with self.catalog.write():
            yield
        self.refresh(wait=True)

    def pending_vectors(self) -> bool:
        """Whether some passages have no vector yet (keyword search finds them; vector search not yet)."""
        generation = self.catalog.generation()
        if getattr(self, "_pending_at", None) != generation:
            self._pending_at = generation
            self._pending = len(self.vectors) < self.catalog.chunk_count()
        return self._pending

    # -- saving ------------------------------------------------------------
    def save(self) -> None:
        """Save the vector index now, as of the catalog's generation, and prune the change log up to it."""
        if self.readonly:
            return
        index = self.vectors
        with index.changing:
            self.refresh(wait=True)
            index.save(self._vector_file, index.generation, self.catalog.lineage())
        pruned = self.catalog.changes.prune(index.generation)
        log.info("saved the %d-d vector index (%d entries, generation %d); %d change-log rows pruned", self.dim,
                 len(index), index.generation, pruned)

    def save_if_due(self, *, busy: bool) -> bool:
        """Save if the schedule says so; ``busy``: in the middle of a pass (no quiet period to wait for)."""
        if self.readonly:
            return False
        index, now = self.vectors, time.monotonic()
        if not self.schedule.due(index.unsaved, len(index), now - index.saved_at, now - index.changed_at,
                                 busy=busy):
            return False
        self.save()
        return True

    def forget_other_models(self) -> None:
        """Make vector indexes saved for other models unloadable (their stored vectors are about to be dropped;
        loaded later, such an index would list passages that have no vector of its model any more)."""
        if self.readonly:
            return
        for side in self._vector_file.parent.glob("vectors-*.hnsw.json"):
            if VectorIndex.saved_model(side) not in (self.model, None):
                log.info("the vector index %s was made with another model; removing it", side.name)
                stem = side.name.removesuffix(".json")
                side.unlink(missing_ok=True)  # first: without it the rest is never loaded
                for f in side.parent.glob(f"{stem}.*"):
                    f.unlink(missing_ok=True)


def _take_lock(paths: Paths):
    lock = exclusive_lock(paths.data / "index" / "indexer.lock")
    try:
        lock.__enter__()
    except LockHeld:
        raise IndexLockedError(
            f"another Gemseek indexer is already working on {paths.data}; "
            "wait for it to finish or stop it (only one may write the index)"
        ) from None
    return lock
