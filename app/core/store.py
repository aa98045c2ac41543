"""One data folder's index: the catalog plus the vector index at the chosen dimension.

The catalog is the truth; the vector index file is a cache of it. Opening a
store makes the two agree: a missing or damaged index file is rebuilt from the
stored vectors, a stale one gets the difference applied (chunks added or
removed since it was saved). Changing the dimension therefore costs a rebuild
from stored vectors, never a re-embedding.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from app.core.catalog import Catalog
from app.core.errors import GemseekError
from app.core.filelock import LockHeld, exclusive_lock
from app.core.paths import Paths
from app.core.vectors import VectorIndex

log = logging.getLogger(__name__)


class IndexLockedError(GemseekError):
    """Another process (or another writable store) works on the same data folder."""


def catalog_path(paths: Paths) -> Path:
    return paths.data / "index" / "catalog.sqlite"


def vector_path(paths: Paths, dim: int) -> Path:
    return paths.data / "index" / f"vectors-{dim}.hnsw"


class Store:
    """The catalog and vector index of ``paths``, for one model and dimension.

    Args:
        readonly: open the catalog for reading only (searching while another
            process indexes); the vector index is then reconciled in memory
            and never saved.

    A writable store takes the data folder's index lock before it opens (or
    saves) anything and holds it until :meth:`close`: a second writer — another
    ``gemseek index`` while the app indexes — is refused with IndexLockedError
    and has touched nothing.
    """

    def __init__(self, paths: Paths, model: str, dim: int, *, readonly: bool = False) -> None:
        self.paths = paths
        self.model = model
        self.dim = dim
        self.readonly = readonly
        self._lock = None if readonly else _take_lock(paths)
        try:
            self.catalog = Catalog(catalog_path(paths), readonly=readonly)
            self._vector_file = vector_path(paths, dim)
            self.vectors = self._open_vectors()
        except BaseException:
            if hasattr(self, "catalog"):
                self.catalog.close()
            self._release()
            raise
        self._saved_at = time.monotonic()

    def close(self) -> None:
        self.catalog.close()
        self._release()

    def _release(self) -> None:
        if self._lock is not None:
            lock, self._lock = self._lock, None
            lock.__exit__(None, None, None)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _open_vectors(self) -> VectorIndex:
        index = VectorIndex.load(self._vector_file, self.dim, self.model)
        if index is not None and not self._belongs(index):
            index = None
        if index is None:
            index = self._rebuild()
        else:
            self.refresh(index)
        return index

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
        started = time.monotonic()
        count = self.catalog.stats().chunks
        index = VectorIndex(self.dim, self.model, capacity=max(1024, count))
        generation = self.catalog.generation()
        for ids, vecs in self.catalog.iter_all_vectors(self.model):
            index.add(ids, vecs)
        log.info("built the %d-d vector index of %d chunks in %.1f s", self.dim, len(index),
                 time.monotonic() - started)
        index.generation = generation
        if not self.readonly:
            index.save(self._vector_file, generation, self.catalog.lineage())
        return index

    def refresh(self, index: VectorIndex | None = None) -> None:
        """Apply catalog changes made since ``index`` was saved or last refreshed."""
        index = self.vectors if index is None else index
        generation = self.catalog.generation()
        if index.generation == generation:
            return
        live = set(self.catalog.live_chunk_ids().tolist())
        present = index.ids()
        gone = present - live
        missing = sorted(live - present)
        index.remove(gone)
        for start in range(0, len(missing), 20_000):
            ids, vecs = self.catalog.chunk_vectors(missing[start : start + 20_000], self.model)
            index.add(ids, vecs)
        if gone or missing:
            log.info("vector index caught up: %d added, %d removed", len(missing), len(gone))
        index.generation = generation
        if not self.readonly and (gone or missing):
            index.save(self._vector_file, generation, self.catalog.lineage())

    def pending_vectors(self) -> bool:
        """Whether some passages have no vector yet (keyword search finds them; vector search not yet)."""
        generation = self.catalog.generation()
        if getattr(self, "_pending_at", None) != generation:
            self._pending_at = generation
            self._pending = len(self.vectors) < self.catalog.chunk_count()
        return self._pending

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

    def add_vectors(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        self.vectors.add(ids, vectors)

    def save(self, *, every: float = 0.0) -> None:
        """Save the vector index (at most every ``every`` seconds) as of the catalog's generation."""
        if self.readonly or time.monotonic() - self._saved_at < every:
            return
        self.vectors.save(self._vector_file, self.catalog.generation(), self.catalog.lineage())
        self._saved_at = time.monotonic()


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
