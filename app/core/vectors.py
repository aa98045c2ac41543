"""The approximate nearest-neighbour index (hnswlib) over chunk vectors, in segments.

Labels are chunk ids. The index holds vectors at the configured Matryoshka
dimension; full-size vectors live in the catalog, so the saved files are a
cache (app/core/vector_files.py writes and reads them; app/core/store.py makes
them agree with the catalog).

Why segments: each hnswlib graph holds at most ``SEGMENT_SIZE`` entries, and
new vectors go into the newest one, the tail. hnswlib only marks a removed
entry; dropping them means building the graph again. Done one segment at a
time, that holds the old segment, its vectors and the new one in memory, not
the whole graph twice plus every vector (over 12 GB at a million 768-d
passages with one graph). A save writes only the segments that changed. A
search asks every segment and keeps the best: a graph this size answers as
well as one big graph (bench/search.py measures recall and time).

Threads: one index may be shared by the indexing and the search thread of a
process (app/core/vector_pool.py). Its hnswlib graphs are owned by this object
alone: every call into one is made under ``_lock``, so a search never meets a
graph half changed. Every change (add, remove, compaction, save, and a store
catching up with the catalog) is made holding ``changing``, a re-entrant lock,
so two changes never interleave; compaction and saving take ``_lock`` only for
short steps, and searches go on in between.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import hnswlib
import numpy as np

from app.core import vector_files
from app.core.embedder import truncate

log = logging.getLogger(__name__)

# Graph parameters, measured with bench/search.py: M=16 / ef_construction=200
# with ef=1024 keep recall@10 >= 0.98 at a million 256-d vectors (0.988 on the
# bench's data; ef=512 gave 0.975) for about 1 ms of graph search.
M = 16
EF_CONSTRUCTION = 200
EF_SEARCH = 1024
SEGMENT_SIZE = 131_072  # ~160 MB of graph at 256-d, ~430 MB at 768-d
_GROW = 1.5
_STEP = 1024  # entries per hnswlib call while changing: a search waits for one step at most
_COMPACT_SHARE = 0.25  # a segment is built again once this share of it is removed entries
_COMPACT_MIN = 1000  # entries a segment holds before removals make it worth building again (or a quarter of one)


def _new_graph(dim: int, capacity: int) -> hnswlib.Index:
    graph = hnswlib.Index(space="ip", dim=dim)
    graph.init_index(max_elements=max(capacity, 16), ef_construction=EF_CONSTRUCTION, M=M)
    graph.set_ef(EF_SEARCH)
    return graph


class _Segment:
    """One hnswlib graph: how many entries it holds, which are removed, and the file a save left it in."""

    def __init__(self, key: int, graph: hnswlib.Index, count: int = 0, removed: set[int] | None = None,
                 saved: vector_files.SavedGraph | None = None) -> None:
        self.key = key
        self.graph = graph
        self.count = count
        self.removed: set[int] = removed if removed is not None else set()
        self.saved = saved  # None once the graph changed since (removals are listed apart)

    @property
    def live(self) -> int:
        return self.count - len(self.removed)

    def live_labels(self) -> np.ndarray:
        labels = np.asarray(self.graph.get_ids_list(), dtype=np.int64)
        if not self.removed:
            return labels
        return labels[~np.isin(labels, np.fromiter(self.removed, dtype=np.int64, count=len(self.removed)))]


class VectorIndex:
    """hnswlib graphs of unit vectors under inner product (= cosine), searched as one index.

    Besides the entries, it keeps what a store needs to keep it in step:
    ``generation`` (the catalog's, as applied), ``lineage`` (what it was saved
    for), ``unsaved`` (entries changed since the last save or load),
    ``changed_at`` and ``saved_at`` (``time.monotonic()``).
    """

    def __init__(self, dim: int, model: str, capacity: int = 1024, *, segment_size: int = SEGMENT_SIZE) -> None:
        self.dim = dim
        self.model = model
        self.segment_size = segment_size
        self._capacity = capacity  # a new tail's first size
        self._keys = itertools.count()
        self._segments: list[_Segment] = []
        self._by_key: dict[int, _Segment] = {}
        self._tail: _Segment | None = None
        self._where = np.full(0, -1, dtype=np.int32)  # chunk id → key of the segment it is live in, or -1
        self._count = 0
        self._lock = threading.Lock()
        self.changing = threading.RLock()
        self.generation = -1
        self.lineage: tuple[int, int] = (0, 0)  # the catalog's (epoch, top chunk id) it was saved for
        self.unsaved = 0
        self.changed_at = self.saved_at = time.monotonic()

    def __len__(self) -> int:
        return self._count

    def __contains__(self, chunk_id: object) -> bool:
        return isinstance(chunk_id, (int, np.integer)) and self._key_of(int(chunk_id)) >= 0

    @property
    def segments(self) -> int:
        return len(self._segments)

    def ids(self) -> set[int]:
        return set(self.ids_array().tolist())

    def ids_array(self) -> np.ndarray:
        with self._lock:
            return np.flatnonzero(self._where >= 0).astype(np.int64)

    def _key_of(self, chunk_id: int) -> int:
        return int(self._where[chunk_id]) if 0 <= chunk_id < len(self._where) else -1

    def _place(self, ids: np.ndarray, key: int) -> None:
        top = int(ids.max()) + 1
        if top > len(self._where):
            grown = np.full(max(top, int(len(self._where) * _GROW) + 1024), -1, dtype=np.int32)
            grown[: len(self._where)] = self._where
            self._where = grown
        self._where[ids] = key

    def _touched(self, n: int) -> None:
        self.unsaved += n
        self.changed_at = time.monotonic()

    # -- changes -----------------------------------------------------------
    def add(self, ids: Iterable[int], vectors: np.ndarray) -> None:
        """Add vectors; full-size input is truncated to the index dimension.

        A vector always gets a new place in a graph. Reusing the slot of a
        removed one (hnswlib's replace_deleted) keeps that slot's old
        neighbours, so an edited passage whose meaning changed could not be
        found from its new neighbourhood; removed slots are reclaimed by
        :meth:`compact` instead. An id that is here already is moved.
        """
        ids = np.asarray(list(ids) if not isinstance(ids, np.ndarray) else ids, dtype=np.int64)
        if len(ids) == 0:
            return
        vecs = np.ascontiguousarray(truncate(vectors, self.dim), dtype=np.float32)
        with self.changing:
            self.remove([int(i) for i in ids if self._key_of(int(i)) >= 0])
            tail = self._tail
            if tail is not None and tail.removed and not tail.removed.isdisjoint(ids.tolist()):
                # A chunk id the tail holds as removed (the catalog went back in time): hnswlib would revive
                # that slot in place, so the rest goes into a new tail.
                self._tail = None
            for start in range(0, len(ids), _STEP):
                self._add_step(ids[start : start + _STEP], vecs[start : start + _STEP])
            self._touched(len(ids))

    def _add_step(self, ids: np.ndarray, vecs: np.ndarray) -> None:
        while len(ids):
            tail = self._open_tail()
            n = min(len(ids), self.segment_size - tail.count)
            with self._lock:
                need = tail.count + n
                if need > tail.graph.get_max_elements():
                    tail.graph.resize_index(min(self.segment_size, int(need * _GROW) + 16))
                tail.graph.add_items(vecs[:n], ids[:n])
                tail.count += n
                tail.saved = None
                self._place(ids[:n], tail.key)
                self._count += n
            ids, vecs = ids[n:], vecs[n:]

    def _open_tail(self) -> _Segment:
        if self._tail is None or self._tail.count >= self.segment_size:
            segment = _Segment(next(self._keys), _new_graph(self.dim, min(self._capacity, self.segment_size)))
            with self._lock:
                self._segments.append(segment)
                self._by_key[segment.key] = segment
            self._tail = segment
        return self._tail

    def remove(self, ids: Iterable[int]) -> None:
        ids = [int(i) for i in ids]
        gone = 0
        with self.changing:
            for start in range(0, len(ids), _STEP * 4):
                with self._lock:
                    step = 0
                    for i in ids[start : start + _STEP * 4]:
                        key = self._key_of(i)
                        if key < 0:
                            continue
                        segment = self._by_key[key]
                        segment.graph.mark_deleted(i)
                        segment.removed.add(i)
                        self._where[i] = -1
                        step += 1
                    self._count -= step
                gone += step
            if gone:
                self._touched(gone)

    def compact(self, *, force: bool = False) -> bool:
        """Build again each segment whose removed entries reached a quarter of it (any, with ``force``), taking
        small segments along; whether any was. Needs one segment's worth of memory more, never the whole index's."""
        with self.changing:
            groups = self._compaction_groups(force)
            for group in groups:
                self._rebuild(group)
        return bool(groups)

    def _compaction_groups(self, force: bool) -> list[list[_Segment]]:
        """The segments worth building again, each with the small ones (not the tail) that fit along with it."""
        least = min(_COMPACT_MIN, self.segment_size // 4)

        def worth(s: _Segment) -> bool:
            return bool(s.removed) and (force or (s.count >= least and len(s.removed) >= _COMPACT_SHARE * s.count))

        dirty = [s for s in self._segments if worth(s)]
        mergeable = sorted((s for s in self._segments if s is not self._tail
                            and (worth(s) or s.live <= self.segment_size // 2)), key=lambda s: s.live)
        used: set[int] = set()
        groups = []
        for segment in dirty:
            if segment.key in used:
                continue
            group, room = [segment], self.segment_size - segment.live
            used.add(segment.key)
            for other in mergeable:
                if other.key not in used and other.live <= room:
                    group.append(other)
                    used.add(other.key)
                    room -= other.live
            groups.append(group)
        return groups

    def _rebuild(self, group: list[_Segment]) -> None:
        """Replace ``group`` by one new graph of their live entries; searches use the old ones until the swap."""
        labels = [s.live_labels() for s in group]
        total = sum(len(x) for x in labels)
        fresh = _Segment(next(self._keys), _new_graph(self.dim, total), total)
        for segment, ids in zip(group, labels):
            for start in range(0, len(ids), _STEP * 8):
                part = ids[start : start + _STEP * 8]
                with self._lock:
                    vecs = np.asarray(segment.graph.get_items(part), dtype=np.float32)
                fresh.graph.add_items(vecs, part)  # nobody else sees ``fresh`` yet
        with self._lock:
            at = min(self._segments.index(s) for s in group)
            kept = [s for s in self._segments if all(s is not g for g in group)]
            if total:
                kept.insert(at, fresh)
                self._by_key[fresh.key] = fresh
                for ids in labels:
                    self._where[ids] = fresh.key
            for segment in group:
                del self._by_key[segment.key]
            self._segments = kept
            if any(self._tail is s for s in group):
                self._tail = None
        log.info("vector index compacted: %d removed entries dropped from %d segment(s)",
                 sum(len(s.removed) for s in group), len(group))

    # -- queries -----------------------------------------------------------
    def search(
        self, vector: np.ndarray, k: int, allowed: Callable[[int], bool] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(chunk ids, cosine similarities) of the ``k`` nearest live vectors, best first."""
        q = np.ascontiguousarray(truncate(vector, self.dim).reshape(1, -1), dtype=np.float32)
        labels, dists = [], []
        with self._lock:
            for segment in self._segments:
                n = min(k, segment.live)
                if n <= 0:
                    continue
                segment.graph.set_ef(max(EF_SEARCH, n))
                try:
                    found, dist = segment.graph.knn_query(q, k=n, filter=allowed)
                except RuntimeError:  # fewer than n reachable under the filter
                    found, dist = _knn_fewer(segment.graph, q, n, allowed)
                labels.append(found[0])
                dists.append(dist[0])
        if not labels:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        found, dist = np.concatenate(labels).astype(np.int64), np.concatenate(dists)
        best = np.argsort(dist, kind="stable")[:k]
        return found[best], (1.0 - dist[best]).astype(np.float32)

    # -- persistence -------------------------------------------------------
    def save(self, path: Path, generation: int, lineage: tuple[int, int] = (0, 0)) -> None:
        """Save under ``path`` (compacting first) so that a crash at any moment leaves a usable index.

        Only segments that changed since the last save are written (see app/core/vector_files.py).
        """
        with self.changing:
            self.compact()
            parts = [vector_files.Part(s.graph, s.count, s.saved) for s in self._segments]
            removed = [(n, i) for n, s in enumerate(self._segments) for i in s.removed]
            info = {"model": self.model, "generation": generation, "epoch": lineage[0], "top_id": lineage[1],
                    "count": self._count}
            files = vector_files.save(path, self.dim, parts, np.asarray(removed, dtype=np.int64), info,
                                      min_entry_bytes=4 * self.dim + 8 + 4 * (2 * M + 2))
            for segment, saved in zip(self._segments, files):
                segment.saved = saved
            self.generation = generation
            self.lineage = lineage
            self.unsaved = 0
            self.saved_at = time.monotonic()

    @staticmethod
    def saved_model(sidecar: Path) -> str | None:
        """The model a saved index was made with, from its sidecar (None when unreadable)."""
        return vector_files.saved_model(sidecar)

    @classmethod
    def load(cls, path: Path, dim: int, model: str, *, segment_size: int = SEGMENT_SIZE) -> VectorIndex | None:
        """The saved index if it is intact and made for ``dim`` and ``model``, else None."""
        try:
            loaded = vector_files.load(path, dim, model)
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
            log.info("vector index at %s is missing or damaged (%s); it will be rebuilt", path, exc)
            return None
        if loaded is None:
            return None
        self = cls(dim, model, segment_size=segment_size)
        for number, (graph, saved) in enumerate(loaded.graphs):
            graph.set_ef(EF_SEARCH)
            gone = {int(i) for i in loaded.removed[loaded.removed[:, 0] == number, 1]}
            for i in gone:
                with contextlib.suppress(RuntimeError):  # marked already when its graph was saved
                    graph.mark_deleted(i)
            segment = _Segment(next(self._keys), graph, saved.count, gone, saved)
            self._segments.append(segment)
            self._by_key[segment.key] = segment
            live = segment.live_labels()
            if len(live):
                self._place(live, segment.key)
            self._count += len(live)
        if self._segments and self._segments[-1].count < segment_size:
            self._tail = self._segments[-1]  # goes on filling the newest segment rather than start one per run
        if self._count != loaded.info["count"]:
            return None
        self.generation = int(loaded.info["generation"])
        self.lineage = (int(loaded.info.get("epoch", 0)), int(loaded.info.get("top_id", 0)))
        return self


def _knn_fewer(graph: hnswlib.Index, q: np.ndarray, k: int, allowed):
    while k > 1:
        k //= 2
        try:
            return graph.knn_query(q, k=k, filter=allowed)
        except RuntimeError:
            continue
    return np.empty((1, 0), dtype=np.uint64), np.empty((1, 0), dtype=np.float32)
