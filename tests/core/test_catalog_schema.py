"""The catalog over time: an older catalog migrates with every passage still found and every vector kept, the
full-text index follows every change to the passages, and removed passages give their space back to the disk."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from app.core import catalog_schema
from app.core.catalog import Catalog, NewChunk, path_key
from app.core.catalog_schema import MIGRATIONS, register_functions
from app.core.catalog_space import INCREMENTAL
from app.core.fts_text import match_expression
from app.core.paths import Paths
from app.core.search import Searcher
from app.core.store import Store, catalog_path
from tests.helpers.fakes import FakeEmbedder
from tests.helpers.old_catalog import OLD_SCHEMA, make_old_catalog

CJK = "东京的天气很好，我们去公园散步"


def _word(n: int) -> str:
    """A made-up word no other passage has: 'qz' and letters (FTS stems it the same on both sides)."""
    letters = ""
    while True:
        n, r = divmod(n, 26)
        letters += chr(97 + r)
        if n == 0:
            return f"qz{letters}"


def _filler(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(["rent", "garden", "invoice", "tenant", "soil", "meeting", "tax", "poem"]) + str(
        rng.randint(0, 999)) for _ in range(words))


def _files(count: int, per_file: int, words: int = 30, seed: int = 1) -> dict[str, list[tuple[str, str]]]:
    """Passages each holding a word of their own (and the first one Chinese, the second a title of its own)."""
    rng = random.Random(seed)
    files: dict[str, list[tuple[str, str]]] = {}
    for f in range(count):
        passages = []
        for s in range(per_file):
            title = f"file-{f}.txt — Überblick {_word(100_000 + f)}" if s == 1 else f"file-{f}.txt"
            text = f"{_filler(rng, words)} {_word(f * per_file + s)} {_filler(rng, words)}"
            passages.append((title, CJK + text if (f, s) == (0, 0) else text))
        files[f"/docs/file-{f}.txt"] = passages
    return files


def _raw(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    register_functions(db)
    return db


def _fts_consistent(db: sqlite3.Connection) -> None:
    """FTS5's own check that its index holds exactly the words of its content (the passages)."""
    db.execute("INSERT INTO chunks_fts(chunks_fts, rank) VALUES ('integrity-check', 1)")


def _found(cat: Catalog, word: str) -> list[str]:
    ids = [cid for cid, _ in cat.fts_search(match_expression(word), 10)]
    return [hit.text for hit in cat.chunk_hits(ids).values()]


def test_an_older_catalog_migrates_with_every_passage_still_found(tmp_path: Path) -> None:
    paths = Paths.resolve(tmp_path / "home")
    catalog_path(paths).parent.mkdir(parents=True)
    files = _files(40, 4)
    make_old_catalog(catalog_path(paths), files)
    vectors = _vectors(catalog_path(paths))
    with Store(paths, FakeEmbedder.fingerprint, 768) as store:
        cat = store.catalog
        assert len(store.vectors) == 160  # rebuilt from the stored vectors, every passage has its own
        for f, passages in enumerate(files.values()):
            for s, (_title, text) in enumerate(passages):
                assert _found(cat, _word(f * 4 + s)) == [text]
        assert len(_found(cat, "天气")) == 1  # Chinese, one character per token
        assert len(_found(cat, _word(100_007))) == 1  # a word only in a passage's title
        result = Searcher(store, FakeEmbedder()).search(_word(9), 5, mode="keyword")[0]
        assert result.path == Path("/docs/file-2.txt")
        start, end = result.highlights[0]
        assert result.snippet[start:end] == _word(9)
    db = _raw(catalog_path(paths))
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
    assert "chunks_fts_content" not in tables  # the second copy of every text is gone
    assert "WITHOUT ROWID" not in db.execute("SELECT sql FROM sqlite_master WHERE name = 'vectors'").fetchone()[0]
    assert _vectors(catalog_path(paths)) == vectors
    _fts_consistent(db)


def _vectors(path: Path) -> set[tuple[str, str, bytes]]:
    db = sqlite3.connect(path)
    try:
        return set(db.execute("SELECT text_hash, model, vec FROM vectors"))
    finally:
        db.close()


def test_a_migration_that_fails_leaves_the_older_catalog_as_it_was(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "c.sqlite"
    make_old_catalog(path, _files(10, 3))

    def breaks_on_one(text: str) -> str:
        if _word(17) in text:
            raise RuntimeError("killed half way")
        return text

    monkeypatch.setattr(catalog_schema, "fts_body", breaks_on_one)
    with pytest.raises(sqlite3.OperationalError):
        Catalog(path)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == OLD_SCHEMA
    assert db.execute("SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?", (_word(17),)).fetchone()[0] == 1
    db.close()
    monkeypatch.undo()
    with Catalog(path) as cat:
        assert len(_found(cat, _word(17))) == 1


def test_the_full_text_index_follows_every_change_to_the_passages(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    with Catalog(path) as cat:
        def put(name: str, *texts: str) -> None:
            chunks = [NewChunk(i, f"h-{t}", "T", t, 0, len(t), None, 1, 3) for i, t in enumerate(texts)]
            with cat.write():
                cat.store_file(path_key(name), size=1, mtime_ns=1, content_hash=name + "".join(texts), kind="text",
                               title=None, chunks=chunks)

        put("/a.txt", "alpha qzone", "beta qztwo " + CJK)
        put("/b.txt", "gamma qzthree")
        put("/a.txt", "alpha qzone", "delta qzfour")  # one passage kept, one replaced
        with cat.write():
            cat.record_skip(path_key("/b.txt"), size=1, mtime_ns=2, reason="binary file")
        assert [len(_found(cat, w)) for w in ("qzone", "qztwo", "qzthree", "qzfour", "天气")] == [1, 0, 0, 1, 0]
        db = _raw(path)
        _fts_consistent(db)
        db.execute("UPDATE chunks SET text = 'epsilon qzfive' WHERE text LIKE 'delta%'")
        assert [len(_found(cat, w)) for w in ("qzfour", "qzfive")] == [0, 1]
        _fts_consistent(db)
        with cat.write():
            cat.delete_file(path_key("/a.txt"))
        assert _found(cat, "qzone") == [] and _found(cat, "qzfive") == []
        _fts_consistent(db)
        db.close()


def _on_disk(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def _fill(cat: Catalog, count: int) -> None:
    for name, passages in _files(count, 4, words=150).items():
        chunks = [NewChunk(i, f"{name}-{i}", t, x, 0, len(x), None, 1, 100) for i, (t, x) in enumerate(passages)]
        with cat.write():
            cat.store_file(path_key(name), size=1, mtime_ns=1, content_hash=name, kind="text", title=None,
                           chunks=chunks)


def _remove_all_but(cat: Catalog, keep: int) -> None:
    """Remove files as a full sync does: their passages, then the vectors no passage uses."""
    with cat.write():
        for record in list(cat.iter_files())[keep:]:
            cat.delete_file(record.path)
        cat.drop_orphan_vectors(FakeEmbedder.fingerprint)


def test_removed_passages_give_their_space_back(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    with Catalog(path) as cat:
        _fill(cat, 300)
    full = _on_disk(path)
    with Catalog(path) as cat:
        assert cat._db.execute("PRAGMA auto_vacuum").fetchone()[0] == INCREMENTAL
        _remove_all_but(cat, 30)
        assert cat.reclaim_space(min_free=0) > full // 2
        assert len(_found(cat, _word(3))) == 1  # what is left is still found
    assert _on_disk(path) < full * 0.3


def test_an_older_catalog_switches_to_giving_space_back_at_its_first_big_removal(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    make_old_catalog(path, _files(300, 4, words=150))
    full = _on_disk(path)
    with Catalog(path) as cat:
        assert cat._db.execute("PRAGMA auto_vacuum").fetchone()[0] == 0  # a file's mode only changes by VACUUM
        _remove_all_but(cat, 100)
        assert cat.reclaim_space(min_free=0) > full // 2  # rewritten whole: what the FTS copy took goes too
        assert cat._db.execute("PRAGMA auto_vacuum").fetchone()[0] == INCREMENTAL
        shrunk = _on_disk(path)
        _remove_all_but(cat, 10)
        assert cat.reclaim_space(min_free=0) > 0  # from now on without rewriting the file
        assert len(_found(cat, _word(3))) == 1
        _fts_consistent(_raw(path))
    assert _on_disk(path) < shrunk * 0.5  # whole pages only: the FTS deletion markers wait for a compaction
