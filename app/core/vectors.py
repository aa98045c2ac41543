"""The approximate nearest-neighbour index (hnswlib) over chunk vectors.

Labels are chunk ids. The index holds vectors at the configured Matryoshka
dimension; full-size vectors live in the catalog, so this file is a cache:
it is saved atomically with a small sidecar (dimension, model, the catalog
generation it reflects) and made to agree with the catalog when it is opened
(missing → rebuilt, damaged → rebuilt, stale → the difference applied).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import hnswlib
import numpy as np

from app.core.embedder import truncate

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
        if graph is None:
            self._index.init_index(max_elements=max(capacity, 16), ef_construction=EF_CONSTRUCTION, M=M,
                                   allow_replace_deleted=True)
        else:
            self._index.load_index(str(graph), max_elements=max(capacity, 16), allow_replace_deleted=True)
        self._index.set_ef(EF_SEARCH)
        self._live: set[int] = set()
        self._lock = threading.Lock()
        self.generation = -1

    def __len__(self) -> int:
        return len(self._live)

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
        with self._lock:
            need = self._index.element_count + len(ids)
            if need > self._index.get_max_elements():
                self._index.resize_index(int(need * _GROW) + 16)
            self._index.add_items(vecs, np.asarray(ids, dtype=np.int64))
            self._live.update(int(i) for i in ids)

    def compact(self) -> bool:
        """Rebuild the graph without removed vectors once they are a quarter of it; whether it did."""
        with self._lock:
            total = self._index.element_count
            if total < 1000 or len(self._live) > 0.75 * total:
                return False
            ids = np.fromiter(self._live, dtype=np.int64, count=len(self._live))
            vecs = np.asarray(self._index.get_items(ids), dtype=np.float32) if len(ids) else None
            fresh = hnswlib.Index(space="ip", dim=self.dim)
            fresh.init_index(max_elements=max(int(len(ids) * _GROW), 16), ef_construction=EF_CONSTRUCTION, M=M,
                             allow_replace_deleted=True)
            fresh.set_ef(EF_SEARCH)
            if vecs is not None:
                fresh.add_items(vecs, ids)
            self._index = fresh
        log.info("vector index compacted: %d removed entries dropped", total - len(ids))
        return True

    def remove(self, ids) -> None:
        with self._lock:
            for i in ids:
                i = int(i)
                if i in self._live:
                    self._index.mark_deleted(i)
                    self._live.discard(i)

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
    def save(self, path: Path, generation: int) -> None:
        """Save under ``path`` so that a crash at any moment leaves a usable index.

        The graph and the live-id list go to new files named after the
        generation; the sidecar ``path.json`` naming them is replaced last
        (atomically), and only then are older files removed.
        """
        path.parent.mkdir(parents=True, exist_ok=True)
        self.compact()
        graph = path.with_name(f"{path.name}.{generation}.bin")
        live_file = path.with_name(f"{path.name}.{generation}.live.npy")
        with self._lock:
            self._index.save_index(str(graph))
            live = np.fromiter(self._live, dtype=np.int64, count=len(self._live))
        np.save(live_file, live)
        info = {"version": _SIDECAR_VERSION, "dim": self.dim, "model": self.model, "generation": generation,
                "count": len(live), "graph": graph.name, "live": live_file.name,
                "graph_size": graph.stat().st_size, "graph_crc32": _crc32(graph)}
        side = _sidecar(path)
        side_tmp = side.with_name(side.name + ".tmp")
        side_tmp.write_text(json.dumps(info), encoding="utf-8")
        for f in (graph, live_file, side_tmp):
            _fsync(f)
        os.replace(side_tmp, side)
        _fsync_dir(path.parent)
        for old in path.parent.glob(f"{path.name}.*"):
            if old.name not in (graph.name, live_file.name, side.name):
                old.unlink(missing_ok=True)
        self.generation = generation

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
            self.generation = int(info["generation"])
            return self
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
            log.info("vector index at %s is missing or damaged (%s); it will be rebuilt", path, exc)
            return None


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".json")


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
