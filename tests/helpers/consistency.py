"""What must hold of an index after any kill: the checks the crash tests and bench/reliability.py share."""

from __future__ import annotations

import sqlite3

from app.core.paths import Paths
from app.core.search import Searcher
from app.core.store import Store, catalog_path
from tests.helpers.fakes import FakeEmbedder


def indexed_files(paths: Paths) -> set[bytes]:
    db = sqlite3.connect(catalog_path(paths))
    try:
        return {r[0] for r in db.execute("SELECT path FROM files WHERE status = 'indexed'")}
    finally:
        db.close()


def check_consistent(paths: Paths, dim: int = 256, model: str = FakeEmbedder.fingerprint,
                     complete: bool = True) -> int:
    """Open the store as the next run would and check every invariant; return how many files are indexed.

    With ``complete``, every passage must have a vector of ``model``; without,
    (a model switch under way) the vector index must hold exactly those that do.
    """
    db = sqlite3.connect(catalog_path(paths))
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    chunks = db.execute("SELECT count(*) FROM chunks").fetchone()[0]
    assert db.execute("SELECT count(*) FROM chunks_fts").fetchone()[0] == chunks
    assert db.execute(
        "SELECT count(*) FROM chunks c LEFT JOIN files f ON f.id = c.file_id WHERE f.status IS NOT 'indexed'"
    ).fetchone()[0] == 0, "a chunk belongs to no indexed file"
    assert db.execute(
        "SELECT count(*) FROM files f WHERE status = 'indexed' AND NOT EXISTS"
        " (SELECT 1 FROM chunks c WHERE c.file_id = f.id)"
    ).fetchone()[0] == 0, "an indexed file has no chunks"
    with_vector = {r[0] for r in db.execute(
        "SELECT c.id FROM chunks c JOIN vectors v ON v.text_hash = c.text_hash AND v.model = ?", (model,))}
    if complete:
        assert len(with_vector) == chunks, "a chunk has no vector"
    files = db.execute("SELECT count(*) FROM files WHERE status = 'indexed'").fetchone()[0]
    db.close()
    emb = FakeEmbedder(dim)
    emb.fingerprint = model
    with Store(paths, model, dim, readonly=True) as store:
        assert store.vectors.ids() == with_vector
        for r in Searcher(store, emb).search("rent garden invoice", 20):
            assert r.path.exists()
    return files
