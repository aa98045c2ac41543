"""What Gemseek writes is for its user only, and its log holds no search text and no llama.cpp chatter."""

from __future__ import annotations

import logging
import os
import stat

import pytest

from app.cli import main
from app.core.paths import Paths
from tests.helpers.fakes import FakeEmbedder

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_index_of_a_private_file_is_private_too(tmp_path):
    from app.core.indexer import Indexer
    from app.core.store import Store, catalog_path

    docs = tmp_path / "docs"
    docs.mkdir()
    secret = docs / "diary.txt"
    secret.write_text("Dear diary, the rent goes up in March.")
    secret.chmod(0o600)
    old = os.umask(0o022)  # the usual umask: new files readable by everyone
    try:
        home = tmp_path / "home"
        assert main(["--home", str(home), "status"]) == 0  # any command makes the folders private
        paths = Paths.resolve(home)
        assert os.umask(0o022) == 0o022  # and gives the umask back when it returns
        for folder in (paths.config, paths.data, paths.cache, paths.logs):
            assert _mode(folder) == 0o700, folder
        os.umask(0o077)  # as inside Gemseek
        emb = FakeEmbedder()
        with Store(paths, emb.fingerprint, 768) as store, Indexer(store, emb) as ix:
            list(ix.sync([docs]))
        written = [p for p in paths.data.rglob("*") if p.is_file()]
        assert catalog_path(paths) in written
        assert all(_mode(p) & 0o077 == 0 for p in written), [(p.name, oct(_mode(p))) for p in written]
    finally:
        os.umask(old)


def test_an_older_install_is_tightened_on_start(tmp_path):
    paths = Paths.resolve(tmp_path / "home")
    (paths.data / "index").mkdir(parents=True, mode=0o755)
    leaked = paths.data / "index" / "left-by-an-older-version.json"
    leaked.write_text("text of private files")
    leaked.chmod(0o644)
    (paths.data / "index").chmod(0o755)
    assert main(["--home", str(tmp_path / "home"), "status"]) == 0
    assert _mode(paths.data / "index") == 0o700 and _mode(leaked) == 0o600


def test_the_log_keeps_no_query_text_and_no_llama_cpp_chatter(tmp_path, tiny_gguf):
    from app.core.catalog import Catalog
    from app.core.embedder import LlamaEmbedder
    from app.core.logs import setup_logging

    paths = Paths.resolve(tmp_path / "home")
    setup_logging(paths)  # as every command does: the file gets our DEBUG records
    e = LlamaEmbedder(tiny_gguf("F32"), threads=1)  # llama.cpp logs hundreds of lines at load
    e.embed_query("my secret query about the landlord")
    e.close()
    with Catalog(paths.data / "catalog.sqlite") as cat:
        assert cat.fts_search('"unbalanced secret landlord', 5) == []  # FTS5 cannot parse it: logged
    logging.getLogger("app.test").debug("done")
    for h in logging.getLogger("app").handlers:
        h.flush()
    text = (paths.logs / "gemseek.log").read_text()
    assert "done" in text and "an FTS query failed" in text
    assert "landlord" not in text and "secret" not in text
    assert "llama_context" not in text and "load_tensors" not in text


def test_removed_text_does_not_linger_in_the_catalog_file(tmp_path, monkeypatch):
    import sqlite3

    from app.core import catalog as catalog_mod
    from app.core.catalog import Catalog, NewChunk, path_key

    real_connect = sqlite3.connect

    def connect(*args, **kwargs):  # as on a platform whose SQLite does not overwrite deleted content by default
        db = real_connect(*args, **kwargs)
        db.execute("PRAGMA secure_delete = 0")
        return db

    monkeypatch.setattr(catalog_mod.sqlite3, "connect", connect)

    secret = "my-bank-pin-is-48213-and-the-vault-code-is-hunter2"
    db = tmp_path / "catalog.sqlite"
    cat = Catalog(db)
    with cat.write():
        for i in range(40):
            text = (f"{secret} {i} " * 30) if i % 2 else f"ordinary note {i} " * 30
            cat.store_file(path_key(f"/home/me/f{i}.txt"), size=1, mtime_ns=1, content_hash=str(i), kind="text",
                           title=None, chunks=[NewChunk(0, f"h{i}", "note", text, 0, len(text), None, 1, 40)])
    cat._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert secret.encode() in db.read_bytes()
    with cat.write():
        for i in range(1, 40, 2):
            cat.delete_file(path_key(f"/home/me/f{i}.txt"))
    cat._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    cat.close()
    leftovers = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert secret.encode() not in leftovers


def test_status_says_where_the_index_is_so_it_can_be_deleted(tmp_path, capsys):
    import json

    paths = Paths.resolve(tmp_path / "home")
    assert main(["--home", str(tmp_path / "home"), "status"]) == 0
    assert f"in {paths.data}" in capsys.readouterr().out
    assert main(["--home", str(tmp_path / "home"), "status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["index_folder"] == str(paths.data)
