"""The hnswlib index: search, removal, growth, crash-safe saving, and agreement with the catalog."""

from __future__ import annotations

import json

import numpy as np
import pytest

from app.core.catalog import NewChunk, path_key
from app.core.paths import Paths
from app.core.store import Store, vector_path
from app.core.vectors import VectorIndex


def unit(n: int, dim: int = 768, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_search_finds_the_nearest_and_respects_removal_and_filters():
    idx = VectorIndex(256, "m", capacity=10)
    vecs = unit(500)
    idx.add(np.arange(1, 501), vecs)  # grows past its first capacity
    ids, sims = idx.search(vecs[41], 5)
    assert ids[0] == 42 and sims[0] == pytest.approx(1.0, abs=1e-4)
    idx.remove([42])
    assert 42 not in idx.search(vecs[41], 5)[0]
    ids, _ = idx.search(vecs[41], 5, allowed=lambda i: i % 2 == 0)
    assert len(ids) == 5 and all(i % 2 == 0 for i in ids)
    assert len(idx) == 499


def test_search_on_an_empty_or_tiny_index():
    idx = VectorIndex(128, "m")
    assert len(idx.search(unit(1)[0], 10)[0]) == 0
    idx.add(np.array([7]), unit(1))
    assert idx.search(unit(1)[0], 10)[0].tolist() == [7]
    assert idx.search(unit(1)[0], 10, allowed=lambda i: False)[0].tolist() == []


def test_save_and_load_round_trip_and_replace_old_files(tmp_path):
    path = tmp_path / "v.hnsw"
    idx = VectorIndex(256, "m")
    idx.add(np.arange(10), unit(10))
    idx.save(path, generation=3)
    graph = next(tmp_path.glob("v.hnsw.3-*.0.bin"))
    idx.remove([0])
    idx.save(path, generation=4)
    back = VectorIndex.load(path, 256, "m")
    assert back is not None and back.generation == 4 and back.ids() == set(range(1, 10))
    assert 0 not in back.search(unit(10)[0], 3)[0]
    names = sorted(p.name for p in tmp_path.iterdir())  # the graph, the removed list of the newest save, the sidecar
    assert names == sorted([graph.name, next(tmp_path.glob("v.hnsw.4-*.removed.npy")).name, "v.hnsw.json"])
    idx.add(np.array([10]), unit(1, seed=5))
    idx.save(path, generation=4)  # the graph changed: a new file, the one the sidecar named never overwritten
    assert not graph.exists() and len(list(tmp_path.glob("v.hnsw.4-*.0.bin"))) == 1
    assert VectorIndex.load(path, 128, "m") is None  # other dimension
    assert VectorIndex.load(path, 256, "other") is None  # other model


def test_segments_search_as_one_and_a_save_writes_only_those_that_changed(tmp_path):
    path = tmp_path / "v.hnsw"
    vecs = unit(700, dim=64, seed=4)
    idx = VectorIndex(64, "m", segment_size=200)
    idx.add(np.arange(1, 701), vecs)
    assert idx.segments == 4 and len(idx) == 700
    for q in (0, 150, 450, 699):  # exact nearest neighbours, whichever segment holds them
        exact = np.argsort(-(vecs @ vecs[q]))[:10] + 1
        assert idx.search(vecs[q], 10)[0].tolist() == exact.tolist()
    idx.save(path, generation=1)
    before = {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*.bin")}
    assert len(before) == 4
    idx.add(np.array([701]), unit(1, dim=64, seed=8))  # goes into the last segment, which had room
    idx.remove([5, 205])  # removals are listed apart: their graphs stay as saved
    idx.save(path, generation=2)
    after = {p.name for p in tmp_path.glob("*.bin")}
    assert len(after & set(before)) == 3 and len(after - set(before)) == 1
    back = VectorIndex.load(path, 64, "m", segment_size=200)
    assert back.ids() == set(range(1, 702)) - {5, 205} and back.segments == 4
    back.add(np.array([702]), unit(1, dim=64, seed=9))  # a restart goes on filling the newest segment
    assert back.segments == 4


def test_a_filtered_search_finds_the_few_allowed_entries_in_every_segment():
    vecs = unit(900, dim=32, seed=12)
    idx = VectorIndex(32, "m", segment_size=300)
    idx.add(np.arange(900), vecs)
    allowed = {5, 320, 321, 899}  # in all three segments, far fewer than asked for
    ids, sims = idx.search(vecs[320], 10, allowed=allowed.__contains__)
    assert set(ids.tolist()) == allowed and ids[0] == 320 and list(sims) == sorted(sims, reverse=True)


def test_compaction_rebuilds_one_segment_at_a_time_and_merges_small_ones():
    vecs = unit(1000, dim=32, seed=6)
    idx = VectorIndex(32, "m", segment_size=250)
    idx.add(np.arange(1000), vecs)
    _, _, third, tail = idx._segments
    idx.remove(range(200))  # 80 % of the first segment
    idx.remove(range(250, 400))  # 60 % of the second
    idx.remove(range(500, 510))  # 4 % of the third: not worth building again
    assert idx.compact()
    fresh = idx._segments[0]
    assert idx._segments[1:] == [third, tail] and third.count == 250  # untouched
    assert fresh.count == 150 and not fresh.removed  # the first two, merged without their removed entries
    assert len(idx) == 640 and idx.ids() == set(range(200, 250)) | set(range(400, 500)) | set(range(510, 1000))
    for q in (220, 450, 600, 999):
        assert idx.search(vecs[q], 1)[0].tolist() == [q]
    assert not idx.compact()


def test_damaged_files_are_not_loaded(tmp_path):
    path = tmp_path / "v.hnsw"
    idx = VectorIndex(256, "m")
    idx.add(np.arange(10), unit(10))
    idx.save(path, generation=1)
    next(tmp_path.glob("v.hnsw.1-*.bin")).write_bytes(b"garbage")
    assert VectorIndex.load(path, 256, "m") is None
    (tmp_path / "v.hnsw.json").write_text("{not json")
    assert VectorIndex.load(path, 256, "m") is None


def _add_file(store: Store, name: str, n: int, seed: int) -> list[int]:
    vecs = unit(n, seed=seed)
    chunks = [NewChunk(i, f"{name}-{i}", "t", f"text {i}", 0, 1, None, None, 3) for i in range(n)]
    cat = store.catalog
    with store.write():
        cat.put_vectors({c.text_hash: v for c, v in zip(chunks, vecs)}, store.model)
        added, _ = cat.store_file(path_key(f"/d/{name}"), size=1, mtime_ns=1, content_hash=name, kind="text",
                                  title=None, chunks=chunks)
    return added


def test_store_rebuilds_a_missing_index_and_catches_up_a_stale_one(tmp_path):
    paths = Paths.resolve(tmp_path)
    with Store(paths, "m", 256) as s:
        a = _add_file(s, "a", 20, 1)
        s.save()
        b = _add_file(s, "b", 5, 2)  # not saved (too few changes): the file on disk is stale now
        with s.write():
            s.catalog.delete_file(path_key("/d/a"))
    with Store(paths, "m", 256) as s:
        assert s.vectors.ids() == set(b)  # a's chunks removed, b's added from stored vectors
    for f in tmp_path.rglob("vectors-256.hnsw*"):
        f.unlink()
    with Store(paths, "m", 256) as s:
        assert s.vectors.ids() == set(b)  # rebuilt from the catalog
    with Store(paths, "m", 128) as s:  # another dimension: built from stored vectors, no model needed
        assert s.vectors.ids() == set(b) and s.vectors.dim == 128
    assert not set(a) & set(b)


def test_a_reader_sees_new_chunks_without_saving(tmp_path):
    paths = Paths.resolve(tmp_path)
    with Store(paths, "m", 256) as writer:
        writer.save()
        reader = Store(paths, "m", 256, readonly=True)
        new = _add_file(writer, "c", 3, 3)
        reader.refresh()
        assert reader.vectors.ids() == set(new)
        reader.close()
    side = json.loads((vector_path(paths, 256).with_name("vectors-256.hnsw.json")).read_text())
    assert side["count"] == 0  # the reader never wrote the file, and the writer had too few changes to


def test_an_edited_vector_is_found_from_its_new_neighbourhood():
    # Two far-apart clusters; a point moves from one to the other (an edit that changes meaning).
    rng = np.random.default_rng(5)
    a, b = unit(2, seed=9)
    cloud_a = a + rng.standard_normal((3000, 768)).astype(np.float32) * 0.03
    cloud_b = b + rng.standard_normal((3000, 768)).astype(np.float32) * 0.03
    idx = VectorIndex(256, "m")
    idx.add(np.arange(3000), cloud_a)
    idx.add(np.arange(3000, 6000), cloud_b)
    for step in range(20):  # many edits in a row, like a user saving a file again and again
        idx.remove([step])
        moved = b + rng.standard_normal(768).astype(np.float32) * 0.001
        idx.add(np.array([10_000 + step]), moved[None, :])
        assert idx.search(moved, 10)[0][0] == 10_000 + step


def test_compaction_drops_removed_entries_and_keeps_the_rest(tmp_path):
    idx = VectorIndex(128, "m")
    vecs = unit(2000, seed=3)
    idx.add(np.arange(2000), vecs)
    idx.remove(range(1000))
    assert idx.compact() and [s.count for s in idx._segments] == [1000]
    assert idx.search(vecs[1500], 1)[0].tolist() == [1500]
    assert not idx.compact()  # nothing left to drop
    idx.save(tmp_path / "v.hnsw", generation=1)
    assert VectorIndex.load(tmp_path / "v.hnsw", 128, "m").ids() == set(range(1000, 2000))
