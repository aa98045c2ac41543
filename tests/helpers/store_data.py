"""Catalog contents made quickly for store tests: files of passages with random vectors, and edits of them."""

from __future__ import annotations

import numpy as np

from app.core.catalog import NewChunk, path_key
from app.core.store import SaveSchedule, Store

DIM = 16
RARELY = SaveSchedule(quiet=30, every=300, share=0.02, least=1000)


def unit(n: int, seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, 768)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def add_files(store: Store, first: int, files: int, per_file: int = 10) -> None:
    """``files`` files of ``per_file`` passages each, with their vectors, in one transaction."""
    vecs = unit(files * per_file, seed=first)
    cat = store.catalog
    with store.write():
        for f in range(files):
            chunks = [NewChunk(i, f"h{first + f}-{i}", "t", f"text {first + f} {i}", 0, 1, None, None, 3)
                      for i in range(per_file)]
            cat.put_vectors({c.text_hash: vecs[f * per_file + i] for i, c in enumerate(chunks)}, store.model)
            cat.store_file(path_key(f"/d/{first + f}.txt"), size=1, mtime_ns=1, content_hash=str(first + f),
                           kind="text", title=None, chunks=chunks)


def edit_one(store: Store, number: int) -> None:
    """One file gets new text: its passages are removed and new ones added."""
    vecs = unit(3, seed=10_000 + number)
    chunks = [NewChunk(i, f"edit{number}-{i}", "t", f"edited {i}", 0, 1, None, None, 3) for i in range(3)]
    with store.write():
        store.catalog.put_vectors({c.text_hash: v for c, v in zip(chunks, vecs)}, store.model)
        store.catalog.store_file(path_key(f"/d/{number}.txt"), size=2, mtime_ns=2, content_hash=f"e{number}",
                                 kind="text", title=None, chunks=chunks)


def expected_ids(store: Store) -> set[int]:
    return set(store.catalog.ids_with_vectors(store.model).tolist())
