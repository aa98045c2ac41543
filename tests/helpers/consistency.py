"""What must hold of an index after any kill: the checks the crash tests and bench/reliability.py share."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

from app.core.catalog_schema import register_functions
from app.core.paths import Paths
from app.core.search import Searcher
from app.core.store import Store, catalog_path
from tests.helpers.fakes import FakeEmbedder

TOPICS = ["rent", "garden", "invoice", "holiday", "backup", "recipe", "meeting", "server", "poem", "tax"]


def make_corpus(root: Path, n: int = 120, markdown_only: bool = False) -> None:
    """``n`` notes of a few paragraphs in ten topic folders (a third plain text unless ``markdown_only``)."""
    rng = random.Random(7)
    for i in range(n):
        topic = TOPICS[i % len(TOPICS)]
        words = " ".join(rng.choice(TOPICS) for _ in range(40))
        body = "\n\n".join(f"Note {i} paragraph {j} about {topic}: {words}." for j in range(1 + i % 5))
        folder = root / topic
        folder.mkdir(parents=True, exist_ok=True)
        suffix = ".md" if markdown_only or i % 3 else ".txt"
        (folder / f"note-{i}{suffix}").write_text(f"# {topic.title()} {i}\n\n{body}\n" if suffix == ".md" else body)


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
    db = sqlite3.connect(catalog_path(paths), isolation_level=None)
    register_functions(db)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    chunks = db.execute("SELECT count(*) FROM chunks").fetchone()[0]
    assert db.execute("SELECT count(*) FROM chunks_fts_docsize").fetchone()[0] == chunks
    db.execute("INSERT INTO chunks_fts(chunks_fts, rank) VALUES ('integrity-check', 1)")  # its words are theirs
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
