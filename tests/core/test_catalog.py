"""The SQLite catalog: files, chunk reuse, full-text search (CJK included), vectors, filters."""

from __future__ import annotations

import os
import sqlite3

import numpy as np
import pytest

from app.core.catalog import Catalog, Filters, NewChunk, path_key
from app.core.catalog_schema import MIGRATIONS
from app.core.errors import GemseekError
from app.core.fts_text import match_expression


def chunk(seq: int, text: str, h: str | None = None, title: str = "T") -> NewChunk:
    return NewChunk(seq, h or f"h-{text}", title, text, seq * 10, seq * 10 + len(text), None, seq + 1, 5)


@pytest.fixture
def cat(tmp_path):
    c = Catalog(tmp_path / "c.sqlite")
    yield c
    c.close()


def store(cat: Catalog, path: str, *chunks: NewChunk, mtime: int = 1, ext_hash: str = "x"):
    with cat.write():
        return cat.store_file(path_key(path), size=10, mtime_ns=mtime, content_hash=ext_hash, kind="text",
                              title=None, chunks=list(chunks))


def test_schema_is_migrated_and_in_wal_mode(tmp_path):
    Catalog(tmp_path / "c.sqlite").close()
    db = sqlite3.connect(tmp_path / "c.sqlite")
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_newer_schema_is_refused(tmp_path):
    Catalog(tmp_path / "c.sqlite").close()
    db = sqlite3.connect(tmp_path / "c.sqlite")
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.close()
    with pytest.raises(GemseekError, match="newer Gemseek"):
        Catalog(tmp_path / "c.sqlite")


def test_unchanged_chunks_keep_their_ids(cat):
    added, removed = store(cat, "/d/a.txt", chunk(0, "alpha"), chunk(1, "beta"))
    assert len(added) == 2 and removed == []
    added2, removed2 = store(cat, "/d/a.txt", chunk(0, "alpha"), chunk(1, "gamma"), mtime=2)
    assert removed2 == [added[1]]  # beta went away
    assert len(added2) == 1 and added2[0] not in added  # gamma is new; alpha kept its id
    assert sorted(cat.live_chunk_ids().tolist()) == sorted([added[0], added2[0]])


def test_generation_moves_with_every_write(cat):
    g = cat.generation()
    store(cat, "/d/a.txt", chunk(0, "alpha"))
    assert cat.generation() == g + 1


def test_the_change_log_records_each_chunk_in_the_generation_of_its_change(cat):
    g = cat.generation()
    assert cat.changes.complete_after() == 0
    a, _ = store(cat, "/d/a.txt", chunk(0, "alpha"), chunk(1, "beta"))  # g + 1
    with cat.write():  # g + 2: the vector of beta's text arrives
        cat.put_vectors({"h-beta": np.ones(4)}, "m")
    b, gone = store(cat, "/d/a.txt", chunk(0, "alpha"), chunk(1, "gamma"), mtime=2)  # g + 3
    with cat.write():  # g + 4
        cat.delete_file(path_key("/d/a.txt"))
    assert sorted(cat.changes.chunks(g, g + 1).tolist()) == sorted(a)
    assert cat.changes.chunks(g + 1, g + 2).tolist() == [a[1]]
    assert sorted(cat.changes.chunks(g + 2, g + 3).tolist()) == sorted(b + gone)
    assert sorted(cat.changes.chunks(g + 3, g + 4).tolist()) == sorted([a[0], *b])
    assert len(cat.changes.chunks(g, g + 4)) == 3  # each id once
    with cat.write(bump=False):
        pass
    assert cat.generation() == g + 4
    assert cat.changes.prune(g + 2) == 3 and cat.changes.complete_after() == g + 2
    assert cat.changes.chunks(g, g + 2).tolist() == [] and cat.generation() == g + 4


def test_failed_write_changes_nothing(cat):
    store(cat, "/d/a.txt", chunk(0, "alpha"))
    g = cat.generation()
    with pytest.raises(RuntimeError), cat.write():
        cat.delete_file(path_key("/d/a.txt"))
        raise RuntimeError("crash in the middle")
    assert cat.get_file(path_key("/d/a.txt")) is not None and cat.generation() == g


def test_delete_and_skip_drop_chunks_and_fts_rows(cat):
    store(cat, "/d/a.txt", chunk(0, "alpha words"))
    store(cat, "/d/b.txt", chunk(0, "alpha other"))
    with cat.write():
        cat.delete_file(path_key("/d/a.txt"))
        cat.record_skip(path_key("/d/b.txt"), size=1, mtime_ns=1, reason="binary file")
    assert cat.fts_search(match_expression("alpha"), 10) == []
    assert cat.skipped() == [("/d/b.txt", "binary file")]
    assert cat.stats().chunks == 0


def test_move_keeps_chunks(cat):
    added, _ = store(cat, "/d/a.txt", chunk(0, "alpha"))
    with cat.write():
        assert cat.move_file(path_key("/d/a.txt"), path_key("/e/b.md"), size=10, mtime_ns=5)
    assert cat.get_file(path_key("/d/a.txt")) is None
    hits = cat.chunk_hits(added)
    assert hits[added[0]].path == b"/e/b.md" and hits[added[0]].ext == "md"


def test_paths_that_are_not_utf8(cat):
    raw = b"/d/caf\xe9.txt"  # Latin-1 name
    with cat.write():
        cat.store_file(raw, size=1, mtime_ns=1, content_hash="x", kind="text", title=None, chunks=[chunk(0, "x")])
    assert cat.get_file(raw) is not None
    assert path_key(os.fsdecode(raw)) == raw


def test_fts_ranks_and_handles_cjk_and_hostile_queries(cat):
    store(cat, "/d/pg.txt", chunk(0, "create a new PostgreSQL database with createdb"))
    store(cat, "/d/zh.txt", chunk(0, "使用 createdb 命令创建一个新的数据库。"))
    store(cat, "/d/misc.txt", chunk(0, "unrelated text about gardening"))
    ids = [c for c, _ in cat.fts_search(match_expression("PostgreSQL database"), 10)]
    assert len(ids) == 1
    zh = cat.fts_search(match_expression("数据库"), 10)  # a word inside a Chinese sentence
    assert len(zh) == 1
    for hostile in ('"', "AND OR NOT", "NEAR(a b", "*", "col:thing", "a'b", "createdb)", "createdb NOT"):
        expr = match_expression(hostile)
        assert expr is None or isinstance(cat.fts_search(expr, 10), list)
    assert len(cat.fts_search(match_expression("createdb)"), 10)) == 2  # FTS5 syntax is taken as words
    assert cat.fts_search('NEAR("a" "b"', 10) == []  # an expression FTS5 cannot parse finds nothing


class _Broken:
    """A connection whose database went bad under it."""

    def __init__(self, name: str, message: str) -> None:
        self.name, self.message = name, message

    def execute(self, *_args):
        exc = sqlite3.OperationalError(self.message)
        exc.sqlite_errorname = self.name
        raise exc


@pytest.mark.parametrize(("name", "message"), [("SQLITE_BUSY", "database is locked"),
                                               ("SQLITE_IOERR_READ", "disk I/O error"),
                                               ("SQLITE_FULL", "database or disk is full")])
def test_a_failing_database_is_not_taken_for_no_matches(cat, name, message):
    real, cat._db = cat._db, _Broken(name, message)
    try:
        with pytest.raises(sqlite3.OperationalError, match=message):
            cat.fts_search(match_expression("database"), 10)
    finally:
        cat._db = real


def test_a_damaged_catalog_is_not_taken_for_no_matches(tmp_path):
    c = Catalog(tmp_path / "c.sqlite")
    for i in range(200):
        store(c, f"/d/{i}.txt", chunk(0, f"database number {i} " * 40))
    c.close()
    data = bytearray((tmp_path / "c.sqlite").read_bytes())
    page = 4096
    for start in range(2 * page, len(data), page):  # everything but the schema pages is garbage now
        data[start:start + page] = bytes([0xA5]) * page
    (tmp_path / "c.sqlite").write_bytes(bytes(data))
    damaged = Catalog(tmp_path / "c.sqlite", readonly=True)
    try:
        with pytest.raises(sqlite3.DatabaseError):
            damaged.fts_search(match_expression("database"), 10)
    finally:
        damaged.close()


def test_vectors_are_stored_once_per_text_and_model(cat):
    v = np.random.default_rng(0).standard_normal((2, 768)).astype(np.float32)
    with cat.write():
        cat.put_vectors({"h-alpha": v[0], "h-beta": v[1]}, "m1")
    assert cat.missing_vectors(["h-alpha", "h-beta", "h-gamma"], "m1") == {"h-gamma"}
    assert cat.missing_vectors(["h-alpha"], "m2") == {"h-alpha"}
    added, _ = store(cat, "/d/a.txt", chunk(0, "alpha"), chunk(1, "beta"))
    ids, mat = cat.chunk_vectors(added, "m1")
    assert sorted(ids.tolist()) == sorted(added) and mat.shape == (2, 768)
    np.testing.assert_allclose(mat[ids.tolist().index(added[0])], v[0], atol=1e-2)  # float16
    with cat.write():
        assert cat.drop_orphan_vectors("m1") == 0
        cat.delete_file(path_key("/d/a.txt"))
        assert cat.drop_orphan_vectors("m1") == 2


def test_filters(cat):
    store(cat, "/d/a.txt", chunk(0, "alpha one"))
    with cat.write():
        cat.store_file(path_key("/e/b.md"), size=1, mtime_ns=5_000_000_000, content_hash="y", kind="markdown",
                       title=None, chunks=[chunk(0, "alpha two", "h2")])
    q = match_expression("alpha")
    assert len(cat.fts_search(q, 10, Filters(types=frozenset({"md"})))) == 1
    assert len(cat.fts_search(q, 10, Filters(types=frozenset({"markdown"})))) == 1
    assert len(cat.fts_search(q, 10, Filters(folders=(b"/d/",)))) == 1
    assert len(cat.fts_search(q, 10, Filters(after_ns=2_000_000_000))) == 1
    assert len(cat.allowed_chunk_ids(Filters(folders=(b"/e/",)))) == 1


def test_readers_do_not_wait_for_a_writer(tmp_path):
    writer = Catalog(tmp_path / "c.sqlite")
    store(writer, "/d/a.txt", chunk(0, "alpha"))
    reader = Catalog(tmp_path / "c.sqlite", readonly=True)
    writer._db.execute("BEGIN IMMEDIATE")  # a long write in progress
    writer._db.execute("DELETE FROM chunks")
    assert reader.stats().chunks == 1  # sees the last commit, at once
    writer._db.execute("ROLLBACK")
    reader.close()
    writer.close()


def test_fts_newest_gives_the_latest_matches_unranked(cat):
    for i in range(30):
        store(cat, f"/d/{i}.txt", chunk(0, f"violin note {i} " + "violin " * (i % 5), h=f"h{i}"))
    newest = cat.fts_search(match_expression("violin"), 5, newest=True)
    ids = [cid for cid, _ in newest]
    assert ids == sorted(ids, reverse=True) and len(ids) == 5
    assert ids[0] == max(cid for cid, _ in cat.fts_search(match_expression("violin"), 100))
    assert {score for _, score in newest} == {0.0}
    only_5 = cat.fts_search(match_expression("violin"), 3, Filters(folders=(b"/d/",)), newest=True)
    assert [cid for cid, _ in only_5] == ids[:3]


def test_lookups_by_many_ids_and_hashes_span_batches(cat):
    n = 1234  # more than two batches of IN_BATCH values
    added, _ = store(cat, "/d/big.txt", *(chunk(i, f"passage {i}") for i in range(n)))
    hashes = [f"h-passage {i}" for i in range(n)]
    with cat.write():
        cat.put_vectors({h: np.ones(4) for h in hashes[::2]}, "m")
    assert sorted(cat.ids_with_vectors("m").tolist()) == sorted(added[::2])
    assert [t.text_hash for t in cat.texts_of_hashes(hashes[::-1])] == hashes[::-1]
    assert cat.missing_vectors(hashes, "m") == set(hashes[1::2])
    ids, vecs = cat.chunk_vectors(added, "m")
    assert len(ids) == n // 2 and vecs.shape == (n // 2, 4)
    assert set(cat.chunk_hits(added, Filters())) == set(added)


def test_files_under_a_folder_are_exactly_those_whose_path_starts_with_it(cat):
    inside = [b"/d/a.txt", b"/d/sub/b.txt", b"/d/\xff\xfe odd name.txt", b"/d/-/c.txt"]
    outside = [b"/d.txt", b"/d0/x.txt", b"/d2/y.txt", b"/c/d/z.txt", b"/dd/w.txt", b"/d"]
    with cat.write():
        for path in inside + outside:
            cat.record_skip(path, size=1, mtime_ns=1, reason="binary file")
    assert sorted(r.path for r in cat.iter_files(under=b"/d/")) == sorted(inside)


def _plans(cat: Catalog, call) -> list[str]:
    """The query-plan lines of every statement ``call`` makes the catalog run."""
    statements: list[str] = []
    cat._db.set_trace_callback(statements.append)
    try:
        call()
    finally:
        cat._db.set_trace_callback(None)
    return [row[3] for sql in statements if sql.lstrip().upper().startswith(("SELECT", "WITH", "DELETE"))
            for row in cat._db.execute("EXPLAIN QUERY PLAN " + sql)]


def test_the_embedding_backlog_and_orphan_vectors_are_found_without_reading_every_row(cat):
    """Both run on every full sync (the backlog on every watched change too): at 300,000 passages, reading the
    passages' rows (their text) or the vectors' rows (their bytes) took seconds where the indexes take one."""
    store(cat, "/d/a.txt", chunk(0, "alpha"), chunk(1, "beta"))
    with cat.write():
        cat.put_vectors({"h-alpha": np.ones(4)}, "m")
    assert cat.hashes_without_vectors("m") == ["h-beta"]
    backlog = _plans(cat, lambda: cat.hashes_without_vectors("m"))
    with cat.write():
        orphans = _plans(cat, lambda: cat.drop_orphan_vectors("m"))
    for line in backlog + orphans:
        assert not (line.startswith("SCAN") and "COVERING INDEX" not in line and line != "SCAN m"), line
