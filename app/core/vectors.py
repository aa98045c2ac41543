"""The approximate nearest-neighbour index (hnswlib) over chunk vectors.

Labels are chunk ids. The index holds vectors at the configured Matryoshka
dimension; full-size vectors live in the catalog, so this file is a cache:
it is saved atomically with a small sidecar (dimension, model, the catalog
generation it reflects) and made to agree with the catalog when it is opened
(missing → rebuilt, damaged → rebuilt, stale → the difference applied).
"""

from __future__ import annotations

import errno
import json
import logging
import os
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import hnswlib
import numpy as np

from app.core.embedder import truncate
from app.core.errors import NO_SPACE, DiskFullError

log = logging.getLogger(__name__)

# Graph parameters, measured with bench/search.py: M=16 / ef_construction=200
# with ef=1024 keep recall@10 >= 0.98 at a million 256-d vectors (0.988 on the
# bench's data; ef=512 gave 0.975) for about 1 ms of graph search.
M = 16
EF_CONSTRUCTION = 200
EF_SEARCH = 1024
_GROW = 1.5
_SIDECAR_VERSION = 1


@dataclass(frozen=True)
class IndexInfo:
    dim: int
    model: str
    generation: int
    count: int


class VectorIndex:
    """An hnswlib index of unit vectors under inner product (= cosine).

    Thread safety: one lock guards every call, so the indexer can add while a
    search thread queries the same object.
    """

    def __init__(self, dim: int, model: str, capacity: int = 1024, *, graph: Path | None = None) -> None:
        self.dim = dim
        self.model = model
        self._index = hnswlib.Index(space="ip", dim=dim)
        # hnswlib's replacement of deleted labels is never used (see add); with it off, a label that
        # was removed would be updated in place, which add() rules out by compacting first.
        if graph is None:
            self._index.init_index(max_elements=max(capacity, 16), ef_construction=EF_CONSTRUCTION, M=M)
        else:
            self._index.load_index(str(graph), max_elements=max(capacity, 16))
        self._index.set_ef(EF_SEARCH)
        self._live: set[int] = set()
        self._removed: set[int] = set()  # labels still in the graph, marked deleted
        self._lock = threading.Lock()
        self.generation = -1
        self.lineage: tuple[int, int] = (0, 0)  # the catalog's (epoch, top chunk id) it was saved for

    def __len__(self) -> int:
        return len(self._live)

    def __contains__(self, chunk_id: object) -> bool:
        return chunk_id in self._live

    # -- changes -----------------------------------------------------------
    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors; full-size input is truncated to the index dimension.

        New vectors always get a new place in the graph. Reusing the slot of a
        removed one (hnswlib's replace_deleted) keeps that slot's old
        neighbours, so an edited passage whose meaning changed could not be
        found from its new neighbourhood. Removed slots are reclaimed by
        :meth:`compact` instead.
        """
        if len(ids) == 0:
            return
        vecs = truncate(vectors, self.dim)
        if self._removed and not self._removed.isdisjoint(int(i) for i in ids):
            # A chunk id that was here before: the catalog went back in time (a restored copy,
            # commits lost in a power cut). Drop the removed entries first rather than revive one.
            self.compact(force=True)
        with self._lock:
            need = self._index.element_count + len(ids)
            if need > self._index.get_max_elements():
                self._index.resize_index(int(need * _GROW) + 16)
            self._index.add_items(vecs, np.asarray(ids, dtype=np.int64))
            self._live.update(int(i) for i in ids)

    def compact(self, *, force: bool = False) -> bool:
        """Rebuild the graph without removed vectors once they are a quarter of it (or now); whether it did."""
        with self._lock:
            total = self._index.element_count
            if not force and (total < 1000 or len(self._live) > 0.75 * total):
                return False
            ids = np.fromiter(self._live, dtype=np.int64, count=len(self._live))
            vecs = np.asarray(self._index.get_items(ids), dtype=np.float32) if len(ids) else None
            fresh = hnswlib.Index(space="ip", dim=self.dim)
            fresh.init_index(max_elements=max(int(len(ids) * _GROW), 16), ef_construction=EF_CONSTRUCTION, M=M)
            fresh.set_ef(EF_SEARCH)
            if vecs is not None:
                fresh.add_items(vecs, ids)
            self._index = fresh
            self._removed = set()
        log.info("vector index compacted: %d removed entries dropped", total - len(ids))
        return True

    def remove(self, ids) -> None:
        with self._lock:
            for i in ids:
                i = int(i)
                if i in self._live:
                    self._index.mark_deleted(i)
                    self._live.discard(i)
                    self._removed.add(i)

    # -- queries -----------------------------------------------------------
    def search(
        self, vector: np.ndarray, k: int, allowed: Callable[[int], bool] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(chunk ids, cosine similarities) of the ``k`` nearest live vectors."""
        with self._lock:
            n = len(self._live)
            if n == 0 or k <= 0:
                return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
            k = min(k, n)
            self._index.set_ef(max(EF_SEARCH, k))
            q = truncate(vector, self.dim).reshape(1, -1)
            try:
                labels, dist = self._index.knn_query(q, k=k, filter=allowed)
            except RuntimeError:  # fewer than k reachable under the filter
                labels, dist = self._knn_fewer(q, k, allowed)
        return labels[0].astype(np.int64), (1.0 - dist[0]).astype(np.float32)

    def _knn_fewer(self, q: np.ndarray, k: int, allowed):
        while k > 1:
            k //= 2
            try:
                return self._index.knn_query(q, k=k, filter=allowed)
            except RuntimeError:
                continue
        return np.empty((1, 0), dtype=np.uint64), np.empty((1, 0), dtype=np.float32)

    def ids(self) -> set[int]:
        with self._lock:
            return set(self._live)

    # -- persistence -------------------------------------------------------
    def save(self, path: Path, generation: int, lineage: tuple[int, int] = (0, 0)) -> None:
        """Save under ``path`` so that a crash at any moment leaves a usable index.

        The graph and the live-id list go to new files named after the
        generation; the sidecar ``path.json`` naming them is replaced last
        (atomically), and only then are older files removed.
        """
        path.parent.mkdir(parents=True, exist_ok=True)
        self.compact()
        # New names every time (the generation, and a counter when it has not moved): the files the
        # sidecar names now are never written over, so a crash in here leaves them as they were.
        self._saves = getattr(self, "_saves", 0) + 1
        stem = f"{path.name}.{generation}-{os.getpid()}-{self._saves}"
        graph = path.with_name(f"{stem}.bin")
        live_file = path.with_name(f"{stem}.live.npy")
        side = _sidecar(path)
        side_tmp = side.with_name(side.name + ".tmp")
        try:
            with self._lock:
                self._index.save_index(str(graph))
                elements = self._index.element_count
                live = np.fromiter(self._live, dtype=np.int64, count=len(self._live))
            # hnswlib writes through an unchecked stream: a full disk gives a short file, not an error.
            if graph.stat().st_size < elements * (4 * self.dim + 8 + 4 * (2 * M + 2)):
                raise OSError(errno.ENOSPC, "the vector index was cut short", str(graph))
            np.save(live_file, live)
            info = {"version": _SIDECAR_VERSION, "dim": self.dim, "model": self.model, "generation": generation,
                    "epoch": lineage[0], "top_id": lineage[1],
                    "count": len(live), "graph": graph.name, "live": live_file.name,
                    "graph_size": graph.stat().st_size, "graph_crc32": _crc32(graph)}
            side_tmp.write_text(json.dumps(info), encoding="utf-8")
            for f in (graph, live_file, side_tmp):
                _fsync(f)
            _replace(side_tmp, side)
        except OSError as exc:
            for f in (graph, live_file, side_tmp):
                f.unlink(missing_ok=True)
            if exc.errno in NO_SPACE:
                raise DiskFullError(f"the disk holding {path.parent} is full ({exc.strerror}); free some space "
                                    "and index again: the index saved before is kept") from exc
            raise
        _fsync_dir(path.parent)
        for old in path.parent.glob(f"{path.name}.*"):
            if old.name not in (graph.name, live_file.name, side.name):
                try:
                    old.unlink(missing_ok=True)
                except OSError as exc:  # Windows: a searching process is reading it; the next save retries
                    log.debug("could not remove %s yet: %s", old.name, exc)
        self.generation = generation
        self.lineage = lineage

    @staticmethod
    def saved_model(sidecar: Path) -> str | None:
        """The model a saved index was made with, from its sidecar (None when unreadable)."""
        try:
            return str(json.loads(sidecar.read_text(encoding="utf-8"))["model"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    @classmethod
    def load(cls, path: Path, dim: int, model: str) -> VectorIndex | None:
        """The saved index if it is intact and made for ``dim`` and ``model``, else None."""
        try:
            info = json.loads(_sidecar(path).read_text(encoding="utf-8"))
            if info.get("version") != _SIDECAR_VERSION or info["dim"] != dim or info["model"] != model:
                return None
            graph = path.with_name(info["graph"])
            # hnswlib trusts its input and can crash on a damaged file: check it first.
            if graph.stat().st_size != info["graph_size"] or _crc32(graph) != info["graph_crc32"]:
                log.warning("vector index file %s is damaged; it will be rebuilt", graph)
                return None
            live = np.load(path.with_name(info["live"]))
            self = cls(dim, model, capacity=int(len(live) * _GROW), graph=graph)
            if len(live) != info["count"] or self._index.element_count < len(live):
                return None
            self._live = {int(i) for i in live}
            self._removed = {int(i) for i in self._index.get_ids_list()} - self._live
            self.generation = int(info["generation"])
            self.lineage = (int(info.get("epoch", 0)), int(info.get("top_id", 0)))
            return self
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
            log.info("vector index at %s is missing or damaged (%s); it will be rebuilt", path, exc)
            return None


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def _replace(src: Path, dst: Path, tries: int = 20) -> None:
    """os.replace, waiting a little while another process has ``dst`` open (Windows refuses then)."""
    for attempt in range(tries):
        try:
            os.replace(src, dst)
            return
        except PermissionError:
            if attempt == tries - 1:
                raise
            time.sleep(0.05)


def _crc32(path: Path) -> int:
    crc = 0
    with open(path, "rb") as f:
        while block := f.read(1 << 22):
            crc = zlib.crc32(block, crc)
    return crc


def _fsync(path: Path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
