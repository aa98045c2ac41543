"""A pipe swapped in for a planned file, or a read that hangs, never stops indexing, Pause or Quit."""

from __future__ import annotations

import os
import threading
import time

import pytest

from app.core import reading
from app.core.catalog import path_key
from app.core.indexer import Indexer, IndexOptions
from app.core.paths import Paths
from app.core.progress import Cancelled, CancelToken
from app.core.store import Store
from tests.helpers.fakes import FakeEmbedder

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")


def corpus(tmp_path, n=6):
    root = tmp_path / "docs"
    root.mkdir()
    for i in range(n):
        (root / f"note-{i}.txt").write_text(f"note {i} about the garden and the rent, number {i}")
    return root


def in_thread(fn):
    """Run ``fn`` in a thread; return (thread, outcome dict)."""
    outcome: dict = {}

    def run():
        try:
            outcome["value"] = fn()
        except BaseException as exc:
            outcome["error"] = exc

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, outcome


def test_a_pipe_swapped_in_after_the_scan_is_skipped_within_seconds(tmp_path):
    root = corpus(tmp_path)
    emb = FakeEmbedder(256)
    store = Store(Paths.resolve(tmp_path / "home"), emb.fingerprint, 256)
    victim = root / "note-3.txt"

    def index():
        with Indexer(store, emb) as ix:
            for p in ix.sync([root]):
                if p.stage == "index" and p.done == 0:  # planned: now the file becomes a pipe
                    victim.unlink()
                    os.mkfifo(victim)

    t, outcome = in_thread(index)
    t.join(10)
    assert not t.is_alive(), "indexing blocked on a named pipe"
    assert "error" not in outcome, outcome.get("error")
    record = store.catalog.get_file(path_key(victim))
    assert record.status == "skipped" and "not a regular file" in record.reason
    assert store.catalog.stats().files == 5
    store.close()


def test_a_hung_read_is_skipped_and_quit_still_works(tmp_path, monkeypatch):
    root = corpus(tmp_path)
    emb = FakeEmbedder(256)
    paths = Paths.resolve(tmp_path / "home")
    hung = threading.Event()
    real = reading.sha256_of

    def hanging(path):
        if path.name == "note-2.txt":  # a network drive that stopped answering
            hung.wait(30)
        return real(path)

    monkeypatch.setattr(reading, "sha256_of", hanging)
    store = Store(paths, emb.fingerprint, 256)
    with Indexer(store, emb, IndexOptions(read_timeout=1.0)) as ix:
        started = time.monotonic()
        list(ix.sync([root]))
    assert time.monotonic() - started < 8
    record = store.catalog.get_file(path_key(root / "note-2.txt"))
    assert record.status == "skipped" and "took over 1 s" in record.reason
    assert store.catalog.stats().files == 5

    (root / "note-2.txt").touch()  # changed again; this time Quit comes while it hangs
    (root / "new.txt").write_text("a new note")
    cancel = CancelToken()
    with Indexer(store, emb, IndexOptions(read_timeout=3600)) as ix:
        t, outcome = in_thread(lambda: list(ix.sync([root], cancel=cancel)))
        time.sleep(0.5)
        cancel.cancel()
        t.join(5)
        assert not t.is_alive(), "Quit did not stop an indexer waiting on a hung read"
    assert isinstance(outcome.get("error"), Cancelled)
    hung.set()
    store.close()
