"""The indexer on real files in temp folders, with the fake embedder and real SQLite/hnswlib."""

from __future__ import annotations

import os
import random
import shutil
import threading
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from app.core.catalog import Catalog, path_key
from app.core.extract.worker import ExtractionWorker
from app.core.indexer import Indexer, IndexOptions
from app.core.paths import Paths
from app.core.progress import Cancelled, CancelToken
from app.core.search import Searcher
from app.core.store import IndexLockedError, Store, catalog_path
from tests.helpers.fakes import FakeEmbedder

RENT = "Dear tenant, the monthly rent increases by five percent from March."
RETRY = (
    "def retry(call, attempts=3):\n    for i in range(attempts):\n"
    "        try:\n            return call()\n        except OSError:\n            pass\n"
)


class CountingWorker(ExtractionWorker):
    """The real worker, counting what it is asked to read."""

    calls: ClassVar[list[Path]] = []

    def extract(self, path, timeout=None):
        CountingWorker.calls.append(Path(path))
        return super().extract(path, timeout)


@pytest.fixture
def env(tmp_path):
    root = tmp_path / "docs"
    root.mkdir()
    (root / "letter.txt").write_text(RENT)
    (root / "code").mkdir()
    (root / "code" / "retry.py").write_text(RETRY)
    (root / "notes.md").write_text("# Garden\n\nPlant tomatoes in May.\n\n## Soil\n\nCompost helps.\n")
    paths = Paths.resolve(tmp_path / "home")
    emb = FakeEmbedder()
    CountingWorker.calls = []
    return paths, root, emb


def run(paths: Paths, root: Path, emb: FakeEmbedder, options: IndexOptions = IndexOptions(), **kw) -> Store:
    store = Store(paths, emb.fingerprint, 768)
    with Indexer(store, emb, options, extractor=CountingWorker) as ix:
        list(ix.sync([root], **kw))
    return store


def search(store: Store, emb: FakeEmbedder, query: str) -> list[str]:
    return [r.path.name for r in Searcher(store, emb).search(query, 5)]


def test_indexes_a_folder_and_finds_by_content(env):
    paths, root, emb = env
    store = run(paths, root, emb)
    stats = store.catalog.stats()
    assert stats.files == 3 and stats.skipped_files == 0
    assert search(store, emb, "rent increases percent")[0] == "letter.txt"
    assert search(store, emb, "retry call attempts")[0] == "retry.py"
    assert len(store.vectors) == stats.chunks


def test_unchanged_files_are_not_read_again(env):
    paths, root, emb = env
    run(paths, root, emb).close()
    embedded, read = len(emb.embedded), len(CountingWorker.calls)
    run(paths, root, emb).close()
    assert (len(emb.embedded), len(CountingWorker.calls)) == (embedded, read)


def test_a_rescan_reads_what_the_catalog_knows_in_one_go_not_file_by_file(env, monkeypatch):
    paths, root, emb = env
    for i in range(30):
        (root / "many" / str(i % 3)).mkdir(parents=True, exist_ok=True)
        (root / "many" / str(i % 3) / f"n{i}.txt").write_text(f"note {i}")
    run(paths, root, emb).close()
    (root / "many" / "0" / "n0.txt").unlink()
    asked: list[bytes] = []
    real = Catalog.get_file
    monkeypatch.setattr(Catalog, "get_file", lambda self, path: asked.append(path) or real(self, path))
    CountingWorker.calls = []
    store = run(paths, root, emb)
    assert asked == []  # 32 files walked: a query each was half of rescanning 100,000 unchanged files
    assert CountingWorker.calls == []  # nothing read again
    assert store.catalog.stats().files == 32  # and the deleted one is gone
    store.close()


def test_a_touched_file_is_hashed_but_not_extracted(env):
    paths, root, emb = env
    run(paths, root, emb).close()
    read = len(CountingWorker.calls)
    os.utime(root / "letter.txt", ns=(1, 1))
    run(paths, root, emb).close()
    assert len(CountingWorker.calls) == read


def test_a_moved_file_re_embeds_nothing(env):
    paths, root, emb = env
    run(paths, root, emb).close()
    embedded = len(emb.embedded)
    (root / "archive").mkdir()
    (root / "letter.txt").rename(root / "archive" / "rent-2024.txt")
    store = run(paths, root, emb)
    assert len(emb.embedded) == embedded
    assert search(store, emb, "rent increases percent")[0] == "rent-2024.txt"
    assert store.catalog.get_file(path_key(root / "letter.txt")) is None


def test_an_edit_re_embeds_only_the_changed_passage(env):
    paths, root, emb = env
    options = IndexOptions(chunk_tokens=32, overlap_tokens=0)
    text = "\n\n".join(f"Paragraph {i} talks about topic {i} in some detail here." for i in range(8))
    (root / "long.txt").write_text(text)
    run(paths, root, emb, options).close()
    before = len(emb.embedded)
    (root / "long.txt").write_text(text.replace("topic 5", "gardening 5"))
    run(paths, root, emb, options).close()
    new = emb.embedded[before:]
    assert len(new) == 1 and "gardening 5" in new[0]


def test_a_deleted_file_disappears_from_results(env):
    paths, root, emb = env
    run(paths, root, emb).close()
    (root / "letter.txt").unlink()
    store = run(paths, root, emb)
    assert "letter.txt" not in search(store, emb, "rent increases percent")
    assert store.catalog.stats().files == 2


def test_a_removed_folder_gives_its_space_back(tmp_path):
    root = tmp_path / "docs"
    rng = random.Random(3)
    for f in range(60):
        folder = root / ("kept" if f < 6 else "old")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"note-{f}.txt").write_text(" ".join(f"word{rng.randint(0, 99_999)}" for _ in range(6000)))
    paths = Paths.resolve(tmp_path / "home")
    emb = FakeEmbedder()
    on_disk = lambda: sum(f.stat().st_size for f in catalog_path(paths).parent.glob("catalog.sqlite*"))  # noqa: E731
    run(paths, root, emb).close()
    full = on_disk()
    shutil.rmtree(root / "old")
    store = run(paths, root, emb)
    assert store.catalog.stats().files == 6
    store.close()
    assert on_disk() < full * 0.25


def test_a_root_taken_out_of_the_settings_is_forgotten_and_the_others_kept(env, tmp_path):
    paths, root, emb = env
    other, sibling = tmp_path / "other", tmp_path / "docs-old"  # the sibling's name starts like the root's
    for folder in (other, sibling):
        folder.mkdir()
        (folder / "plan.txt").write_text(f"The plan for {folder.name}: water the tomatoes.")
    store = Store(paths, emb.fingerprint, 768)
    with Indexer(store, emb) as ix:
        list(ix.sync([root, other, sibling]))
        list(ix.sync([root, other]))
    assert sorted(Path(os.fsdecode(r.path)).relative_to(tmp_path).as_posix() for r in store.catalog.iter_files()) == [
        "docs/code/retry.py", "docs/letter.txt", "docs/notes.md", "other/plan.txt"]
    store.close()


def test_changed_paths_and_rescans_from_the_watcher(env):
    paths, root, emb = env
    run(paths, root, emb).close()
    (root / "letter.txt").write_text("The heating bill went down this winter.")
    (root / "notes.md").unlink()
    store = run(paths, root, emb, changed=[root / "letter.txt", root / "notes.md"], rescan=[])
    assert search(store, emb, "heating bill winter")[0] == "letter.txt"
    assert store.catalog.stats().files == 2


def test_bad_files_are_skipped_with_reasons(env, monkeypatch):
    paths, root, emb = env
    (root / "random.txt").write_bytes(os.urandom(4096))
    (root / "empty.txt").write_bytes(b"")
    (root / "big.txt").write_text("big " * 5000)
    (root / "broken.md").symlink_to(root / "missing.md")
    (root / "loop.md").symlink_to(root / "loop.md")
    (root / "code" / "up").symlink_to(root)  # a folder loop: not followed
    bad_name = os.fsdecode(b"caf\xe9.txt")
    (root / bad_name).write_text("A Latin-1 named note about espresso.")
    store = run(paths, root, emb, IndexOptions(max_file_bytes=10_000))
    reasons = {Path(p).name: r for p, r in store.catalog.skipped()}
    assert reasons["random.txt"] == "binary file"
    assert "empty" in reasons["empty.txt"]
    assert "larger than" in reasons["big.txt"]
    assert reasons["broken.md"] == "broken symbolic link"
    assert reasons["loop.md"] == "symbolic link loop"
    assert search(store, emb, "espresso Latin")[0] == bad_name
    assert store.catalog.stats().files == 4  # the three good files and the oddly named one


def test_a_second_indexer_on_the_same_folder_is_refused(env):
    paths, _, emb = env
    store = Store(paths, emb.fingerprint, 768)
    with Indexer(store, emb), pytest.raises(IndexLockedError, match="another Gemseek indexer"):
        Indexer(Store(paths, emb.fingerprint, 768), emb)
    Store(paths, emb.fingerprint, 256, readonly=True).close()  # readers are never refused
    store.close()
    Store(paths, emb.fingerprint, 768).close()  # free again once the first one closed


def test_cancel_stops_and_the_next_run_resumes(env):
    paths, root, emb = env
    for i in range(20):
        (root / f"n{i}.txt").write_text(f"note number {i} about subject {i}")
    cancel = CancelToken()
    store = Store(paths, emb.fingerprint, 768)
    with Indexer(store, emb, IndexOptions(group_tokens=30)) as ix, pytest.raises(Cancelled):
        for p in ix.sync([root], cancel=cancel):
            if p.stage == "index" and p.done >= 5:
                cancel.cancel()
    partial = store.catalog.stats().files
    store.close()
    assert 5 <= partial < 23
    store = run(paths, root, emb)
    assert store.catalog.stats().files == 23


def test_a_new_model_re_embeds_and_a_new_dimension_does_not(env):
    paths, root, emb = env
    run(paths, root, emb).close()
    embedded = len(emb.embedded)
    with Store(paths, emb.fingerprint, 256) as small:  # another dimension: built from stored vectors
        assert len(small.vectors) == small.catalog.stats().chunks
    assert len(emb.embedded) == embedded
    other = FakeEmbedder()
    other.fingerprint = "fake-bow-2"
    store = run(paths, root, other)
    assert len(other.embedded) == store.catalog.stats().chunks
    assert store.catalog.stats().vectors == store.catalog.stats().chunks  # old model's vectors dropped


def test_searching_while_indexing(env):
    paths, root, emb = env
    run(paths, root, emb).close()
    for i in range(30):
        (root / f"m{i}.md").write_text(f"# Memo {i}\n\nBudget planning for quarter {i}.")
    reader = Store(paths, emb.fingerprint, 768, readonly=True)
    found: list[int] = []
    store = Store(paths, emb.fingerprint, 768)

    def index() -> None:
        with Indexer(store, emb) as ix:
            for _ in ix.sync([root]):
                found.append(len(Searcher(reader, emb).search("rent increases percent", 3)))

    t = threading.Thread(target=index)
    t.start()
    t.join(60)
    assert not t.is_alive() and found and all(n >= 1 for n in found)
    reader.refresh()
    assert len(Searcher(reader, emb).search("budget planning quarter", 40)) >= 30


def test_a_missing_root_keeps_its_files(env):
    paths, root, emb = env
    run(paths, root, emb).close()
    moved = root.with_name("unplugged")
    root.rename(moved)  # like a drive that is not mounted right now
    store = run(paths, root, emb)
    assert store.catalog.stats().files == 3
    store.close()
    moved.rename(root)
    read = len(CountingWorker.calls)
    run(paths, root, emb).close()
    assert len(CountingWorker.calls) == read  # back again: nothing to re-read


class MolassesEmbedder(FakeEmbedder):
    """Counting tokens of text that mentions molasses takes 5 ms a call: a chunker stuck on one file."""

    def token_count(self, text: str) -> int:
        if "molasses" in text:
            threading.Event().wait(0.005)
        return super().token_count(text)


def test_a_file_that_takes_too_long_to_cut_is_skipped_and_indexing_goes_on(env):
    paths, root, _ = env
    emb = MolassesEmbedder()
    (root / "slow.txt").write_text("\n\n".join(f"Paragraph {i} about molasses and syrup." for i in range(400)))
    store = run(paths, root, emb, IndexOptions(chunk_timeout=0.3))
    reasons = {Path(p).name: r for p, r in store.catalog.skipped()}
    assert reasons == {"slow.txt": "took too long to cut into passages (over 0.3 s)"}
    assert store.catalog.stats().files == 3  # the others are indexed
    assert search(store, emb, "monthly rent increases")[0] == "letter.txt"


def test_text_files_of_any_extension_are_indexed_and_unsupported_ones_are_listed(env):
    paths, root, emb = env
    (root / "pi.b").write_text("/* The bc program that computes pi to many digits */\nscale = 1000\n4 * a(1)\n")
    (root / "startup.tcsh").write_text("#!/bin/tcsh\n# set the editor for tcsh logins\nsetenv EDITOR vi\n")
    (root / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(200))
    (root / "table.dat").write_bytes(os.urandom(2000))  # unknown extension, binary inside
    store = run(paths, root, emb)
    assert search(store, emb, "bc program computes pi digits")[0] == "pi.b"
    assert search(store, emb, "editor tcsh logins")[0] == "startup.tcsh"
    reasons = {Path(p).name: r for p, r in store.catalog.skipped()}
    assert reasons == {
        "photo.png": "unsupported type: .png images are read only with OCR on (Settings, or gemseek index --ocr)",
        "table.dat": "binary file",
    }
    store.close()
    read = len(CountingWorker.calls)
    run(paths, root, emb).close()  # nothing changed: nothing is read or recorded again
    assert len(CountingWorker.calls) == read


def test_a_catalog_put_back_from_a_copy_is_not_confused_by_a_newer_vector_index(env):
    import shutil

    from app.core.store import catalog_path

    paths, root, emb = env
    run(paths, root, emb).close()  # A: the three files of env
    backup = paths.data / "catalog-backup.sqlite"
    shutil.copy(catalog_path(paths), backup)
    (root / "b.txt").write_text("Bicycle repair: true the wheel and adjust the brakes.")
    run(paths, root, emb).close()  # B: the vector index now knows chunk ids the copy never gave out
    shutil.copy(backup, catalog_path(paths))  # the user puts the old catalog back
    (root / "b.txt").unlink()
    (root / "c.txt").write_text("Cheese soufflé: fold the egg whites in gently.")
    store = run(paths, root, emb)  # C: gets the ids B had; must not fail
    assert search(store, emb, "monthly rent increases")[0] == "letter.txt"
    assert search(store, emb, "egg whites souffle")[0] == "c.txt"
    assert store.vectors.ids() == set(store.catalog.live_chunk_ids().tolist())
    store.close()
    again = run(paths, root, emb)  # and the next start trusts what was saved
    assert again.vectors.ids() == set(again.catalog.live_chunk_ids().tolist())
    assert search(again, emb, "egg whites souffle")[0] == "c.txt"


def test_a_chunk_id_seen_before_never_revives_a_removed_entry():
    from app.core.vectors import VectorIndex

    index = VectorIndex(8, "m")
    rng = np.random.default_rng(0)
    index.add(np.array([1, 2, 3]), rng.standard_normal((3, 8)).astype(np.float32))
    index.remove([3])
    fresh = rng.standard_normal((1, 8)).astype(np.float32)
    index.add(np.array([3]), fresh)  # hnswlib would refuse it (or update the old slot in place)
    ids, sims = index.search(fresh[0], 1)
    assert ids.tolist() == [3] and sims[0] > 0.999 and index.ids() == {1, 2, 3}


def test_a_huge_file_gets_its_start_indexed_and_says_so(env):
    paths, root, emb = env
    lines = [f"2026-01-{1 + i % 28:02d} server event {i}: request took {i % 97} ms" for i in range(20_000)]
    lines[3] = "the first lines mention a kernel panic on boot"
    lines[-3] = "the very end mentions a rare unicorn outage"
    (root / "server.log").write_text("\n".join(lines))
    store = run(paths, root, emb, IndexOptions(max_passages=5, chunk_tokens=64, overlap_tokens=8))
    record = store.catalog.get_file(path_key(root / "server.log"))
    assert record.status == "indexed"
    n = store.catalog._db.execute("SELECT count(*) FROM chunks WHERE file_id = ?", (record.id,)).fetchone()[0]
    assert n == 5
    reasons = dict(store.catalog.skipped())
    note = reasons[str(root / "server.log")]
    assert note.startswith("only its start is indexed: the first 5 passages, 0% of its text") and "at most 5" in note
    assert [r.path.name for r in Searcher(store, emb).search("kernel panic on boot", 3, mode="keyword")] == \
        ["server.log"]
    assert Searcher(store, emb).search("unicorn outage", 3, mode="keyword") == []  # the tail was not kept
    assert store.catalog.stats().files == 4 and store.catalog.stats().skipped_files == 0
    store.close()


def test_switching_back_to_a_model_never_trusts_its_old_vector_index(env):
    """A full sync with model B drops model A's vectors; A's index saved earlier must not come back listing them."""
    paths, root, emb = env
    run(paths, root, emb).close()  # model A ("fake-bow-1") at 768-d: vectors-768 made for A
    other = FakeEmbedder()
    other.fingerprint = "fake-bow-2"
    store = Store(paths, other.fingerprint, 256)
    with Indexer(store, other) as ix:
        list(ix.sync([root]))  # re-embeds everything with B, then drops A's vectors
    store.close()
    assert not (paths.data / "index" / "vectors-768.hnsw.json").exists()
    back = Store(paths, emb.fingerprint, 768, readonly=True)
    try:
        assert back.vectors.ids() == set()  # none of A's vectors are left, so its index holds nothing
    finally:
        back.close()


def test_the_newest_files_are_indexed_first(env):
    paths, root, emb = env
    for i in range(6):
        f = root / f"note-{i}.txt"
        f.write_text(f"note {i} about something")
        os.utime(f, (1_600_000_000 + i * 1000, 1_600_000_000 + i * 1000))
    os.utime(root / "letter.txt", (1_900_000_000, 1_900_000_000))  # edited most recently
    run(paths, root, emb).close()
    order = [t for t in emb.embedded if "note" in t and "about something" in t]
    firsts = [next(i for i, t in enumerate(emb.embedded) if f"note {n} about" in t) for n in range(6)]
    assert firsts == sorted(firsts, reverse=True) and order  # note-5 (newest) before note-0
    assert next(i for i, t in enumerate(emb.embedded) if "monthly rent" in t) < min(firsts)


def test_keywords_cover_every_file_before_anything_is_embedded(env):
    """Reading and cutting is fast, embedding slow: every file is keyword-searchable first, then embedded
    newest file first, each file's first passages before anyone's later ones."""
    paths, root, emb = env
    for i in range(4):
        f = root / f"long-{i}.md"
        f.write_text("\n\n".join(f"## Part {j}\n\n" + f"file {i} part {j} words marker{i}x{j} " * 30
                                 for j in range(4)))
        os.utime(f, (1_700_000_000 + i, 1_700_000_000 + i))
    store = Store(paths, emb.fingerprint, 768)
    stages = []
    with Indexer(store, emb, IndexOptions(chunk_tokens=64, overlap_tokens=8)) as ix:
        for p in ix.sync([root]):
            stages.append(p.stage)
            if p.stage == "embed" and p.done == 0:  # everything read, nothing embedded yet
                assert emb.embedded == []
                assert store.catalog.stats().files == 7
                hits = Searcher(store, emb).search("marker2x3", 3)
                assert hits and hits[0].path.name == "long-2.md"  # found by its words alone
    assert stages.index("embed") > stages.index("index")
    firsts = [emb.embedded.index(next(t for t in emb.embedded if f"file {i} part 0" in t)) for i in range(4)]
    laters = [emb.embedded.index(next(t for t in emb.embedded if f"file {i} part 3" in t)) for i in range(4)]
    assert firsts == sorted(firsts, reverse=True)  # newest file's start first
    assert max(firsts) < min(laters)  # every file's start before any file's end
    assert store.vectors.ids() == set(store.catalog.live_chunk_ids().tolist())
    store.close()
