"""Search at scale: latency, recall of the vector index, index size, memory; and edit-to-searchable time.

    python bench/search.py [--sizes 10000,100000,1000000] [--edit-files 10000] [--skip-edit]

Scale part (synthetic chunks, real query embeddings): for each size a catalog
is filled with N chunks whose vectors are random mixtures of three real
EmbeddingGemma vectors of eval-corpus passages plus noise (so they spread like
real data rather than uniformly on the sphere), with FTS text taken from the
corpus. Then, warm: end-to-end `Searcher.search` latency (query
embedding + HNSW + FTS5 + exact re-ranking + grouping + snippets) p50/p95 over
the 85 eval queries; HNSW recall@10 against exact search at the index
dimension; bytes per chunk (vector index file, catalog); RSS of the searching
process (model, catalog, index; warm). 1,000,000 chunks run at 256-d only.

Edit part (real model, real watcher): index --edit-files small files, start
watching, then save an edit to one file and time until a search ranks the
edited passage first; repeated 5 times.

Writes bench/out/search.json.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.corpus import chunks as corpus_chunks
from bench.corpus import eval_queries

OUT = ROOT / "bench" / "out" / "search.json"


def _rss_mb() -> float:
    """The process's resident memory now (Linux), else its peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _real_vectors(embedder, n: int = 1000) -> tuple[np.ndarray, list[str]]:
    pairs = corpus_chunks(n, count_document_tokens=embedder.count_document_tokens)
    vecs = embedder.embed_documents([t for _, t in pairs], [ti for ti, _ in pairs], full=True)
    return vecs, [t for _, t in pairs]


def _synthetic(real: np.ndarray, m: int, rng: np.random.Generator) -> np.ndarray:
    """``m`` unit vectors that spread like real ones: random mixtures of three real vectors, plus noise."""
    idx = rng.integers(0, len(real), (m, 3))
    w = rng.dirichlet((1.0, 1.0, 1.0), m).astype(np.float32)
    vecs = (real[idx] * w[:, :, None]).sum(axis=1) + rng.standard_normal((m, 768)).astype(np.float32) * 0.01
    return vecs / np.linalg.norm(vecs, axis=1, keepdims=True)


def _fill(paths, model: str, n: int, centers: np.ndarray, texts: list[str], rng: np.random.Generator) -> None:
    from app.core.catalog import NewChunk
    from app.core.store import Store

    words = " ".join(texts).split()
    store = Store(paths, model, 768)
    cat = store.catalog
    per_file = 10
    batch = 5000
    for start in range(0, n, batch):
        m = min(batch, n - start)
        vecs = _synthetic(centers, m, rng)
        with cat.write():
            cat.put_vectors({f"h{start + i}": vecs[i] for i in range(m)}, model)
            for f in range(0, m, per_file):
                chunks = []
                for i in range(f, min(f + per_file, m)):
                    k = rng.integers(0, len(words) - 40)
                    text = " ".join(words[k : k + 40])
                    chunks.append(NewChunk(i - f, f"h{start + i}", "t", text, 0, len(text), None, 1, 60))
                cat.store_file(f"/synthetic/{start + f}.txt".encode(), size=1, mtime_ns=1, content_hash=str(start + f),
                               kind="text", title=None, chunks=chunks)
    store.close()


def scale_point(n: int, dim: int, embedder, centers, texts, queries) -> dict:
    from app.core.paths import Paths
    from app.core.search import Searcher
    from app.core.store import Store, catalog_path, vector_path

    rng = np.random.default_rng(n)
    with tempfile.TemporaryDirectory() as home:
        paths = Paths.resolve(home)
        t0 = time.perf_counter()
        _fill(paths, embedder.fingerprint, n, centers, texts, rng)
        fill_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        Store(paths, embedder.fingerprint, dim).close()  # builds and saves the vector index
        build_s = time.perf_counter() - t0
        store = Store(paths, embedder.fingerprint, dim, readonly=True)
        searcher = Searcher(store, embedder)
        for q in queries:  # warm up
            searcher.search(q, 10)
        lat = []
        for q in queries:
            t0 = time.perf_counter()
            searcher.search(q, 10)
            lat.append((time.perf_counter() - t0) * 1000)
        rss = _rss_mb()  # model + store + index, warm, before the recall check loads every vector
        recall = _recall(store, embedder, queries, dim)
        graph = sum(f.stat().st_size for f in vector_path(paths, dim).parent.glob(f"vectors-{dim}.hnsw.*"))
        db = sum(f.stat().st_size for f in catalog_path(paths).parent.glob("catalog.sqlite*"))
        store.close()
    return {
        "chunks": n, "dim": dim, "fill_s": round(fill_s, 1), "index_build_s": round(build_s, 1),
        "p50_ms": round(statistics.median(lat), 1), "p95_ms": round(sorted(lat)[int(len(lat) * 0.95) - 1], 1),
        "recall_at_10": round(recall, 4),
        "vector_index_bytes_per_chunk": round(graph / n), "catalog_bytes_per_chunk": round(db / n),
        "search_process_rss_mb": round(rss),
    }


def _recall(store, embedder, queries, dim: int) -> float:
    from app.core.embedder import truncate

    ids_all, mats = [], []
    for ids, vecs in store.catalog.iter_all_vectors(store.model):
        ids_all.append(ids)
        mats.append(truncate(vecs, dim))
    ids_all, mat = np.concatenate(ids_all), np.concatenate(mats)
    hits = 0
    for q in queries:
        qv = embedder.embed_query(q, full=True)
        exact = set(ids_all[np.argsort(-(mat @ truncate(qv, dim)))[:10]].tolist())
        got, _ = store.vectors.search(qv, 10)
        hits += len(exact & set(got.tolist()))
    return hits / (10 * len(queries))


def edit_latency(embedder, n_files: int) -> dict:
    from app.core.paths import Paths
    from app.core.search import Searcher
    from app.core.services import IndexService
    from app.core.settings import Settings
    from app.core.store import Store

    rng = random.Random(1)
    topics = ["invoice", "garden", "holiday", "meeting", "recipe", "server", "backup", "tax", "poem", "rent"]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "files"
        for i in range(n_files):
            folder = root / f"d{i // 500}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"note-{i}.txt").write_text(f"Note {i} about {rng.choice(topics)} and {rng.choice(topics)}.")
        paths = Paths.resolve(Path(tmp) / "home")
        settings = Settings(roots=(str(root),))
        service = IndexService(paths, settings, embedder=embedder)
        t0 = time.perf_counter()
        service.sync()
        index_s = time.perf_counter() - t0
        stop = threading.Event()
        from app.core.progress import CancelToken

        cancel = CancelToken()

        def watch() -> None:
            for _ in service.watch(cancel, poll=0.1):
                if stop.is_set():
                    break

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        time.sleep(3)  # let the watcher arm its watches
        reader = Store(paths, embedder.fingerprint, settings.dimension, readonly=True)
        searcher = Searcher(reader, embedder)
        waits = []
        phrases = ["a purple elephant plays the violin", "quantum tomato soup recipe for astronauts",
                   "the lighthouse keeper's lost umbrella", "volcano insurance claim for a bakery",
                   "origami instructions for a paper dinosaur"]
        for k, phrase in enumerate(phrases):
            target = root / f"d{k}" / f"note-{k * 500 + 7}.txt"
            t0 = time.perf_counter()
            target.write_text(f"Edited note: {phrase}.")
            while True:
                top = searcher.search(phrase, 1)
                if top and top[0].path == target:
                    break
                if time.perf_counter() - t0 > 30:
                    print(f"edit {k}: not found first after 30 s; top: {top[0].path if top else None}", flush=True)
                    break
                time.sleep(0.02)
            waits.append(time.perf_counter() - t0)
        stop.set()
        cancel.cancel()
        watcher.join(10)
        reader.close()
        service.store.close()
        service.indexer.close()
    return {"files": n_files, "initial_index_s": round(index_s, 1),
            "edit_to_searchable_s": [round(w, 2) for w in waits], "median_s": round(statistics.median(waits), 2),
            "max_s": round(max(waits), 2)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="10000,100000,1000000")
    p.add_argument("--dims", default="768,256")
    p.add_argument("--edit-files", type=int, default=10000)
    p.add_argument("--skip-edit", action="store_true")
    args = p.parse_args()

    from app.core import settings as settings_mod
    from app.core.model_setup import load_embedder
    from app.core.paths import Paths

    user = Paths.resolve()
    embedder = load_embedder(user, settings_mod.load(user.settings_file))
    queries = eval_queries()
    centers, texts = _real_vectors(embedder)
    results: dict = {"scale": [], "edit": None}
    for n in map(int, args.sizes.split(",")):
        for dim in map(int, args.dims.split(",")):
            if n >= 1_000_000 and dim != 256:
                continue  # a million chunks at 256-d is the point that matters
            r = scale_point(n, dim, embedder, centers, texts, queries)
            print(json.dumps(r), flush=True)
            results["scale"].append(r)
    if not args.skip_edit:
        results["edit"] = edit_latency(embedder, args.edit_files)
        print(json.dumps(results["edit"]), flush=True)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
