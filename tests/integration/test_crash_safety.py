"""kill -9 at random moments of indexing never leaves an index that cannot be trusted."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.core.catalog import path_key
from app.core.paths import Paths
from app.core.search import Searcher
from app.core.store import Store, catalog_path
from tests.helpers.consistency import TOPICS, check_consistent, make_corpus
from tests.helpers.fakes import FakeEmbedder

ROOT = Path(__file__).resolve().parents[2]
@pytest.mark.timeout(600)
def test_kill_at_random_points_then_resume(tmp_path):
    root = tmp_path / "corpus"
    make_corpus(root, 300)
    paths = Paths.resolve(tmp_path / "home")
    rng = random.Random(12345)
    kills = progress = 0
    history = []
    for _ in range(40):
        child = subprocess.Popen(
            [sys.executable, "-m", "tests.helpers.index_child", str(paths.config.parent), str(root)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        time.sleep(rng.uniform(0.05, 1.2))
        finished = child.poll() is not None
        if not finished:
            child.send_signal(signal.SIGKILL)
            kills += 1
        child.wait()
        child.stdout.close()
        if catalog_path(paths).exists():
            progress = check_consistent(paths, complete=False)  # killed while embedding: some passages wait
            history.append(progress)
        if finished:
            break
    print("files indexed after each kill:", history)
    assert kills >= 15  # the test must really have killed the indexer mid-work, many times
    done = subprocess.run(
        [sys.executable, "-m", "tests.helpers.index_child", str(paths.config.parent), str(root)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert check_consistent(paths) == 300 >= progress


def test_a_kill_between_two_saves_loses_no_file_and_the_next_start_catches_up_from_the_catalog(tmp_path):
    root = tmp_path / "corpus"
    make_corpus(root, 60)
    paths = Paths.resolve(tmp_path / "home")
    assert _index_child(paths, root).returncode == 0  # indexed and saved at exit
    saved = {f.name: f.read_bytes() for f in (paths.data / "index").glob("vectors-256.hnsw*")}
    before = check_consistent(paths)
    make_corpus(root / "new", 30)  # changes: new files, edited ones, deleted ones
    for i in range(5):
        (root / TOPICS[i % len(TOPICS)] / f"note-{i}.md").unlink(missing_ok=True)
        (root / TOPICS[i % len(TOPICS)] / f"note-{i}.txt").unlink(missing_ok=True)
    edits = ["plumber boiler Tuesday", "violin lesson Friday", "tax refund letter", "bicycle puncture repair",
             "volcano holiday photos"]
    for i, words in zip(range(10, 15), edits):
        for f in (root / TOPICS[i % len(TOPICS)]).glob(f"note-{i}.*"):
            f.write_text(f"Edited note: {words}.")
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.helpers.index_child", str(paths.config.parent), str(root)], cwd=ROOT,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "GEMSEEK_TEST_SAVE": "app", "GEMSEEK_TEST_HOLD": "1"})
    for line in child.stdout:
        if line.strip() == "synced":
            break
    else:
        pytest.fail(f"the child ended before indexing: {child.stderr.read()}")
    assert {f.name: f.read_bytes() for f in (paths.data / "index").glob("vectors-256.hnsw*")} == saved
    child.send_signal(signal.SIGKILL)  # between two saves: the vector index on disk is the one saved before
    child.wait()
    child.stdin.close()
    child.stdout.close()
    child.stderr.close()
    with Store(paths, FakeEmbedder.fingerprint, 256, readonly=True) as store:
        assert not store.opened.full and store.opened.added > 0 and store.opened.removed > 0  # from the change log
        assert store.vectors.ids() == set(store.catalog.ids_with_vectors(store.model).tolist())
    assert check_consistent(paths) == before + 30 - 5  # no file lost; the edits searchable
    with Store(paths, FakeEmbedder.fingerprint, 256, readonly=True) as store:
        for i, words in zip(range(10, 15), edits):
            assert Searcher(store, FakeEmbedder(256)).search(words, 5)[0].path.stem == f"note-{i}"


def _index_child(paths: Paths, root: Path, fsize: int | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **({"GEMSEEK_TEST_FSIZE": str(fsize)} if fsize else {})}
    return subprocess.run([sys.executable, "-m", "tests.helpers.index_child", str(paths.config.parent), str(root)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)


@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="RLIMIT_FSIZE is POSIX")
def test_a_full_disk_stops_indexing_with_a_clear_message_and_loses_nothing(tmp_path):
    root = tmp_path / "corpus"
    make_corpus(root, 40)
    paths = Paths.resolve(tmp_path / "home")
    first = _index_child(paths, root)
    assert first.returncode == 0, first.stderr
    before = check_consistent(paths)
    for i in range(25):  # much more to index than the disk will hold
        (root / "more").mkdir(exist_ok=True)
        (root / "more" / f"big-{i}.txt").write_text(" ".join(f"word{i}x{j} about invoices" for j in range(2000)))
    biggest = max(f.stat().st_size for f in (paths.data / "index").iterdir())
    full = _index_child(paths, root, fsize=biggest + 64_000)
    assert full.returncode == 3, full.stderr
    assert "is full" in full.stderr and "Traceback" not in full.stderr and str(paths.data) in full.stderr
    assert check_consistent(paths, complete=False) >= before  # what was indexed is still there, and opens as it is
    again = _index_child(paths, root)  # space freed: the next run completes
    assert again.returncode == 0, again.stderr
    assert check_consistent(paths) == 65


def _index_files(paths: Paths) -> dict[str, bytes]:
    """Every file of the index folder but the lock, by name, with its bytes."""
    folder = paths.data / "index"
    return {f.name: f.read_bytes() for f in sorted(folder.iterdir()) if f.is_file() and f.suffix != ".lock"}


def test_a_second_writer_is_refused_before_it_touches_the_index(tmp_path):
    root = tmp_path / "corpus"
    make_corpus(root, 20)
    paths = Paths.resolve(tmp_path / "home")
    assert _index_child(paths, root).returncode == 0
    emb = FakeEmbedder(256)
    with Store(paths, emb.fingerprint, 256) as store:  # the app's indexer, between two saves
        with store.catalog.write():  # a change committed, the vector index not saved yet
            assert store.catalog.delete_file(path_key(root / "rent" / "note-0.txt"))
        before = _index_files(paths)
        for _ in range(3):  # `gemseek index` started again and again meanwhile
            second = _index_child(paths, root)
            assert second.returncode == 3, second.stderr
            assert "another Gemseek indexer is already working on" in second.stderr
            assert _index_files(paths) == before  # it saved nothing, rebuilt nothing, deleted nothing
    assert check_consistent(paths) == 19
