"""The catalog at scale: bytes per passage, where they go, and keyword search latency.

    python bench/catalog_size.py [--sizes 100000,1000000] [--keep DIR] [--label NAME]
    python bench/catalog_size.py --migrate DIR [--label NAME]
    python bench/catalog_size.py --compare A.sqlite B.sqlite [--rounds 5] [--label NAME]

Fills a catalog through ``Catalog.store_file`` with N passages of real text
(random 600-1,200-character stretches of the eval corpus, so every passage is
different and the vocabulary is the corpus's: several languages and code),
files of 10 passages with titles like the indexer's, and one float16 768-d
vector per passage (random: their size is what counts here). Then reports the
bytes on disk per passage, split by table with SQLite's dbstat, and the
latency of the 85 eval queries: the FTS5 query alone (``fts_search``), the
same restricted to a folder (the filtered join), and the whole keyword search
(``Searcher``, with passages, snippets and grouping), each p50/p95 over three
warm passes.

``--keep DIR`` leaves the catalogs in DIR. ``--migrate DIR`` opens catalogs
kept by an earlier run (of an older Gemseek: same data, older schema), times
the migration and the compaction that the first sync runs, and measures again.
``--compare A B`` times the searches of catalogs A and B query by query in turns (--rounds),
so that other work on the machine weighs on both alike.
Writes bench/out/catalog_size-<label>.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.corpus import chunks as corpus_chunks
from bench.corpus import eval_queries

OUT = ROOT / "bench" / "out"
MODEL = "bench-random-768"
PER_FILE = 10


def _stream() -> tuple[str, list[str]]:
    """The corpus's text as one string, and its file names (for titles)."""
    pairs = corpus_chunks()
    return "\n\n".join(text for _, text in pairs), sorted({title for title, _ in pairs})


def fill(path: Path, n: int, seed: int = 1) -> float:
    """Write ``n`` passages into a new catalog at ``path``; returns the seconds it took."""
    from app.core.catalog import Catalog

    rng = random.Random(seed)
    vec_rng = np.random.default_rng(seed)
    text, names = _stream()
    started = time.perf_counter()
    with Catalog(path) as cat:
        for start in range(0, n, 5000):
            count = min(5000, n - start)
            vecs = vec_rng.standard_normal((count, 768)).astype(np.float16)
            with cat.write():
                cat.put_vectors({f"p{start + i}": vecs[i] for i in range(count)}, MODEL)
                for f in range(0, count, PER_FILE):
                    name = f"{rng.choice(names)}-{start + f}.txt"
                    chunks = [_passage(text, rng, name, i - f, f"p{start + i}")
                              for i in range(f, min(f + PER_FILE, count))]
                    cat.store_file(f"/bench/{(start + f) // 1000}/{name}".encode(), size=1, mtime_ns=start + f,
                                   content_hash=f"c{start + f}", kind="text", title=None, chunks=chunks)
    return time.perf_counter() - started


def _passage(text: str, rng: random.Random, name: str, seq: int, key: str):
    from app.core.catalog import NewChunk

    start = rng.randrange(0, len(text) - 1500)
    start = text.find(" ", start) + 1
    end = text.rfind(" ", start, start + rng.randint(600, 1200))
    body = text[start:end]
    title = f"{name} — {text[start:start + 40].split(chr(10))[0]}"
    return NewChunk(seq, key, title, body, start, end, None, seq + 1, len(body) // 4)


def measure(path: Path) -> dict:
    """Bytes per passage (total and by table) and keyword search latency of the catalog at ``path``."""
    import sqlite3

    from app.core.catalog import Filters

    db = sqlite3.connect(path)
    try:  # schema 3 on: what its full-text view calls (the bench also runs on older Gemseeks)
        from app.core.catalog_schema import register_functions
    except ImportError:
        pass
    else:
        register_functions(db)
    passages = db.execute("SELECT count(*) FROM chunks").fetchone()[0]
    text_chars = db.execute("SELECT avg(length(text)), avg(length(title)) FROM chunks").fetchone()
    tables = dict(db.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall())
    schema = db.execute("PRAGMA user_version").fetchone()[0]
    db.close()
    on_disk = sum(f.stat().st_size for f in path.parent.glob(path.name + "*"))
    groups = {"chunks (text, titles)": ["chunks"], "fts content (a copy of the text)": ["chunks_fts_content"],
              "fts index": ["chunks_fts_data", "chunks_fts_idx", "chunks_fts_docsize", "chunks_fts_config"],
              "vectors": ["vectors", "sqlite_autoindex_vectors_1"], "indexes on chunks": ["chunks_file", "chunks_hash"]}
    by_table = {g: round(sum(tables.get(t, 0) for t in names) / passages) for g, names in groups.items()}
    by_table["everything else"] = round((sum(tables.values()) - sum(by_table.values()) * passages) / passages)
    queries = eval_queries()
    return {
        "schema": schema, "passages": passages, "bytes_on_disk": on_disk,
        "bytes_per_passage": round(on_disk / passages), "bytes_per_passage_by_table": by_table,
        "avg_text_chars": round(text_chars[0]), "avg_title_chars": round(text_chars[1]),
        "fts_ms": _latency(path, queries, Filters()),
        "fts_in_folder_ms": _latency(path, queries, Filters(folders=(b"/bench/1/",))),
        "keyword_search_ms": _search_latency(path, queries),
        **_vector_reads(path, passages),
    }


def _vector_reads(path: Path, passages: int) -> dict:
    """How fast vectors come back: 200 passages' (what a search re-ranks exactly), and all of them (a rebuild)."""
    from app.core.catalog import Catalog

    rng = random.Random(2)
    with Catalog(path, readonly=True) as cat:
        top = int(cat.live_chunk_ids().max())
        draws = [rng.sample(range(1, top + 1), 200) for _ in range(50)]
        some = _timed(lambda ids: cat.chunk_vectors(ids, MODEL), draws)
        t0 = time.perf_counter()
        got = sum(len(ids) for ids, _ in cat.iter_all_vectors(MODEL))
        every = time.perf_counter() - t0
    assert got == passages
    return {"vectors_of_200_ms": some, "read_all_vectors_s": round(every, 1)}


def _latency(path: Path, queries: list[str], filters) -> dict:
    from app.core.catalog import Catalog
    from app.core.fts_text import match_expression

    with Catalog(path, readonly=True) as cat:
        expressions = [e for e in map(match_expression, queries) if e]
        return _timed(lambda e: cat.fts_search(e, 200, filters), expressions)


def _search_latency(path: Path, queries: list[str]) -> dict:
    from app.core.paths import Paths
    from app.core.search import Searcher
    from app.core.store import Store, catalog_path

    with tempfile.TemporaryDirectory(dir=path.parent) as home:
        paths = Paths.resolve(home)
        catalog_path(paths).parent.mkdir(parents=True)
        catalog_path(paths).symlink_to(path)  # the vector index of a model with no vectors: empty, built at once
        with Store(paths, "no-vectors", 256, readonly=True) as store:
            searcher = Searcher(store, None)
            return _timed(lambda q: searcher.search(q, 10, mode="keyword"), queries)


def _timed(run, items: list) -> dict:
    for item in items:  # warm
        run(item)
    times = []
    for _ in range(3):
        for item in items:
            t0 = time.perf_counter()
            run(item)
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return {"p50": round(statistics.median(times), 2), "p95": round(times[int(len(times) * 0.95) - 1], 2)}


def compare(paths: list[Path], rounds: int) -> dict:
    """Each catalog's FTS and keyword-search latency, taken query by query in turns (A, B, A, B, ...), so that
    other work on the machine weighs on every catalog alike; per catalog, p50, p95 and the total over all rounds."""
    from app.core.catalog import Catalog, Filters
    from app.core.fts_text import match_expression
    from app.core.paths import Paths
    from app.core.search import Searcher
    from app.core.store import Store, catalog_path

    queries = eval_queries()
    with contextlib.ExitStack() as stack:
        runs = {}
        for path in paths:
            cat = stack.enter_context(Catalog(path, readonly=True))
            home = stack.enter_context(tempfile.TemporaryDirectory(dir=path.parent))
            store_paths = Paths.resolve(home)
            catalog_path(store_paths).parent.mkdir(parents=True)
            catalog_path(store_paths).symlink_to(path)
            searcher = Searcher(stack.enter_context(Store(store_paths, "no-vectors", 256, readonly=True)), None)
            runs[path.name] = {
                "fts_ms": lambda q, cat=cat: cat.fts_search(match_expression(q) or '""', 200, Filters()),
                "keyword_search_ms": lambda q, s=searcher: s.search(q, 10, mode="keyword"),
            }
        times: dict[str, dict[str, list[float]]] = {n: {k: [] for k in r} for n, r in runs.items()}
        for round_ in range(rounds + 1):  # the first round warms the caches and is not counted
            for q in queries:
                for name, ops in runs.items():
                    for key, run in ops.items():
                        t0 = time.perf_counter()
                        run(q)
                        if round_:
                            times[name][key].append((time.perf_counter() - t0) * 1000)
    return {name: {key: {"p50": round(statistics.median(v), 2), "p95": round(sorted(v)[int(len(v) * 0.95) - 1], 2),
                         "total_s": round(sum(v) / 1000, 1)} for key, v in got.items()}
            for name, got in times.items()}


def migrate(path: Path) -> dict:
    """Open a catalog kept by an older Gemseek (its schema migrates), then give back what the migration freed."""
    from app.core.catalog import Catalog

    t0 = time.perf_counter()
    cat = Catalog(path)
    migrate_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    given = cat.reclaim_space()
    cat.close()
    return {"migrate_s": round(migrate_s, 1), "compact_s": round(time.perf_counter() - t0, 1),
            "compact_gave_back_bytes": given}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="100000,1000000")
    p.add_argument("--keep", type=Path, help="leave the catalogs in this folder")
    p.add_argument("--migrate", type=Path, help="migrate and measure the catalogs an earlier run kept here")
    p.add_argument("--label", default="current")
    p.add_argument("--compare", type=Path, nargs="+", help="time these catalogs' searches in turns")
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args()
    results: list | dict = []
    if args.compare:
        results = compare(args.compare, args.rounds)
        print(json.dumps(results), flush=True)
    elif args.migrate:
        for path in sorted(args.migrate.glob("catalog-*.sqlite")):
            r = {"catalog": path.name, **migrate(path), **measure(path)}
            print(json.dumps(r), flush=True)
            results.append(r)
    else:
        work = args.keep or Path(tempfile.mkdtemp(prefix="gemseek-catalog-bench-"))
        work.mkdir(parents=True, exist_ok=True)
        for n in map(int, args.sizes.split(",")):
            path = work / f"catalog-{n}.sqlite"
            r = {"catalog": path.name, "fill_s": round(fill(path, n), 1), **measure(path)}
            print(json.dumps(r), flush=True)
            results.append(r)
        if not args.keep:
            shutil.rmtree(work)
    OUT.mkdir(parents=True, exist_ok=True)
    out = OUT / f"catalog_size-{args.label}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
