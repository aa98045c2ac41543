"""Search at scale: latency, recall, index size and memory; and the app at that scale: edits, bytes, memory.

    python bench/search.py [--sizes 100000,1000000] [--dims 256,768] [--edits 20] [--new-files 60]
                           [--work DIR] [--skip-app] [--skip-gui] [--keep]
                           [--centers 1000]

Scale part (synthetic chunks, real query embeddings): for each size a catalog
is filled once with N chunks whose vectors are random mixtures of three real
EmbeddingGemma vectors of eval-corpus passages plus noise (so they spread like
real data rather than uniformly on the sphere), with FTS text taken from the
corpus. Then, for each dimension: the vector index is built and saved, and,
warm, end-to-end `Searcher.search` latency (query embedding + HNSW + FTS5 +
exact re-ranking + grouping + snippets) p50/p95 over the 85 eval queries;
HNSW recall@10 against exact search at the index dimension; bytes per chunk
(vector index files, catalog); RSS of the searching process.

App part (bench/search_app.py, in a child process, real model, real watcher,
on the same catalog and index): resident memory idle and at its peak while
indexing and searching, edit-to-searchable p50/p95, bytes written per edit,
the cost of a save and of a compaction. GUI part (bench/gui_memory.py, the real
desktop app offscreen in a child process, on the same home): its resident
memory idle with the model loaded, idle once the model is unloaded, and at its
peak. Needs a home with the model ready (GEMSEEK_HOME; its models folder is
shared with the points' homes).

Writes bench/out/search.json (one entry per point under "scale"; the app
part's figures under "app" in it, the GUI's under "gui"; ``uptime`` load
averages with each).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.corpus import chunks as corpus_chunks
from bench.corpus import eval_queries
from bench.shared import open_embedder

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
    """``n`` eval-corpus passages and their vectors (kept in bench/out per model: embedding them takes minutes)."""
    pairs = corpus_chunks(n, count_document_tokens=embedder.count_document_tokens)
    texts = [t for _, t in pairs]
    cache = OUT.parent / f"search-centers-{embedder.fingerprint[:16]}-{n}.npy"
    if cache.is_file():
        return np.load(cache), texts
    vecs = embedder.embed_documents(texts, [ti for ti, _ in pairs], full=True)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, vecs)
    return vecs, texts


def _synthetic(real: np.ndarray, m: int, rng: np.random.Generator) -> np.ndarray:
    """``m`` unit vectors that spread like real ones: random mixtures of three real vectors, plus noise."""
    idx = rng.integers(0, len(real), (m, 3))
    w = rng.dirichlet((1.0, 1.0, 1.0), m).astype(np.float32)
    vecs = (real[idx] * w[:, :, None]).sum(axis=1) + rng.standard_normal((m, 768)).astype(np.float32) * 0.01
    return vecs / np.linalg.norm(vecs, axis=1, keepdims=True)


def _fill(paths, model: str, n: int, centers: np.ndarray, texts: list[str], rng: np.random.Generator) -> None:
    """``n`` passages, ten per file; each file exists (a few bytes) under ``HOME/files/synthetic`` with the size and
    time its record has, so the app's catch-up walk finds every one unchanged and reads none."""
    from app.core.catalog import Catalog, NewChunk, path_key
    from app.core.store import catalog_path

    words = " ".join(texts).split()
    root = paths.config.parent / "files" / "synthetic"
    per_file = 10
    batch = 5000
    with Catalog(catalog_path(paths)) as cat:
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
                    number = start + f
                    file = root / f"d{number // 10_000}" / f"s{number}.txt"
                    file.parent.mkdir(parents=True, exist_ok=True)
                    file.write_text(f"s{number}")
                    st = file.stat()
                    cat.store_file(path_key(file), size=st.st_size, mtime_ns=st.st_mtime_ns,
                                   content_hash=str(number), kind="text", title=None, chunks=chunks)


def fill_point(home: Path, n: int, embedder, centers, texts) -> float:
    """A fresh home holding ``n`` synthetic passages (its settings copied from the user's); the seconds it took."""
    from app.core.paths import Paths

    shutil.rmtree(home, ignore_errors=True)
    paths = Paths.resolve(home)
    paths.settings_file.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(Paths.resolve().settings_file, paths.settings_file)
    t0 = time.perf_counter()
    _fill(paths, embedder.fingerprint, n, centers, texts, np.random.default_rng(n))
    return time.perf_counter() - t0


def scale_point(home: Path, n: int, dim: int, embedder, queries) -> dict:
    from app.core.paths import Paths
    from app.core.search import Searcher
    from app.core.store import Store, catalog_path, vector_path

    paths = Paths.resolve(home)
    load = os.getloadavg()
    t0 = time.perf_counter()
    Store(paths, embedder.fingerprint, dim).close()  # builds and saves the vector index
    build_s = time.perf_counter() - t0
    store = Store(paths, embedder.fingerprint, dim, readonly=True)
    searcher = Searcher(store, embedder)
    for q in queries:  # warm up
        searcher.search(q, 10)
    lat, rest = [], []
    for q in queries:
        t0 = time.perf_counter()
        searcher.search(q, 10)
        lat.append((time.perf_counter() - t0) * 1000)
        rest.append((searcher.last_timings["total"] - searcher.last_timings["embed"]) * 1000)
    rss = _rss_mb()  # model + store + index, warm, before the recall check loads every vector
    recall = _recall(store, embedder, queries, dim)
    graph = sum(f.stat().st_size for f in vector_path(paths, dim).parent.glob(f"vectors-{dim}.hnsw.*"))
    db = sum(f.stat().st_size for f in catalog_path(paths).parent.glob("catalog.sqlite*"))
    segments = store.vectors.segments
    store.close()
    return {
        "chunks": n, "dim": dim, "index_build_s": round(build_s, 1), "segments": segments,
        "p50_ms": round(statistics.median(lat), 1), "p95_ms": round(sorted(lat)[int(len(lat) * 0.95) - 1], 1),
        # without the query's embedding (llama.cpp's share, which a loaded machine slows most)
        "p50_ms_after_embedding": round(statistics.median(rest), 1),
        "p95_ms_after_embedding": round(sorted(rest)[int(len(rest) * 0.95) - 1], 1),
        "recall_at_10": round(recall, 4),
        "vector_index_bytes_per_chunk": round(graph / n), "catalog_bytes_per_chunk": round(db / n),
        "search_process_rss_mb": round(rss), "load": [load, os.getloadavg()],
    }


def app_point(home: Path, dim: int, edits: int, new_files: int) -> dict:
    """bench/search_app.py on the point's home, in a process of its own."""
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "search_app.py"), str(home), str(dim),
                          "--edits", str(edits), "--new-files", str(new_files)], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"bench/search_app.py failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def gui_point(home: Path, dim: int) -> dict:
    """bench/gui_memory.py on the point's home: the desktop app's own memory, idle and at its peak."""
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "gui_memory.py"), str(home), str(dim)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"bench/gui_memory.py failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


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


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="10000,100000,1000000")
    p.add_argument("--dims", default="768,256")
    p.add_argument("--edits", type=int, default=20)
    p.add_argument("--new-files", type=int, default=60)
    p.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "gemseek-bench-search",
                   help="where the points' homes are made (on a disk: /proc/self/io counts no tmpfs writes)")
    p.add_argument("--skip-app", action="store_true")
    p.add_argument("--skip-gui", action="store_true",
                   help="leave out the desktop app's own memory (bench/gui_memory.py)")
    p.add_argument("--keep", action="store_true", help="keep the points' homes (to run bench/search_app.py on again)")
    p.add_argument("--centers", type=int, default=1000,
                   help="real passages whose vectors the synthetic ones mix (embedded once, then kept in bench/out)")
    args = p.parse_args()

    from app.core import settings as settings_mod
    from app.core.paths import Paths

    user = Paths.resolve()
    os.environ["GEMSEEK_MODELS"] = str(user.models)  # the points' homes (and the app child) share the model
    embedder = open_embedder(user, settings_mod.load(user.settings_file))
    queries = eval_queries()
    centers, texts = _real_vectors(embedder, args.centers)
    results: dict = {"scale": []}
    for n in map(int, args.sizes.split(",")):
        home = args.work / f"n{n}"
        fill_s = fill_point(home, n, embedder, centers, texts)
        print(f"filled {n:,} passages in {fill_s:.0f} s", flush=True)
        for dim in map(int, args.dims.split(",")):
            r = scale_point(home, n, dim, embedder, queries)
            r["fill_s"] = round(fill_s, 1)
            print(json.dumps(r), flush=True)
            if not args.skip_app:
                r["app"] = app_point(home, dim, args.edits, args.new_files)
                print(json.dumps(r["app"]), flush=True)
            if not args.skip_gui:
                r["gui"] = gui_point(home, dim)
                print(json.dumps(r["gui"]), flush=True)
            results["scale"].append(r)
            OUT.parent.mkdir(parents=True, exist_ok=True)
            OUT.write_text(json.dumps(results, indent=2) + "\n")  # after every point: a long run keeps what it has
        if not args.keep:
            shutil.rmtree(home, ignore_errors=True)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
