"""Indexing speed: the whole pipeline against the bare embedder on the same chunks, in one run.

    python bench/index.py [--threads N]

1. Index ../shared/eval's corpus into a fresh home with the real model
   (extraction in its child process, chunking, embedding, SQLite, hnswlib).
2. Embed exactly the chunks that run produced with the same embedder, and
   nothing else (the bare embedder).
3. Report files/s and tokens/s for both, and their ratio (target >= 0.9).

Writes bench/out/index.json.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.corpus import corpus_dir

OUT = ROOT / "bench" / "out" / "index.json"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=0,
                   help="CPU threads (default 0: the engine configuration chosen on this machine)")
    args = p.parse_args()

    from app.core import settings as settings_mod
    from app.core.indexer import Indexer
    from app.core.model_setup import load_embedder
    from app.core.paths import Paths
    from app.core.services import index_options
    from app.core.store import Store, catalog_path

    user = Paths.resolve()
    settings = settings_mod.load(user.settings_file)
    if args.threads:
        settings = settings.replace(threads=args.threads)
    corpus = corpus_dir()
    files = sum(1 for f in corpus.rglob("*") if f.is_file())
    embedder = load_embedder(user, settings)  # as the app does: the probe's choice (measured now if need be)
    print(f"engine: {embedder.engine.label()}", flush=True)
    embedder.embed_query("warm up")
    with tempfile.TemporaryDirectory() as home:
        paths = Paths.resolve(home)
        store = Store(paths, embedder.fingerprint, settings.dimension)
        t0 = time.perf_counter()
        with Indexer(store, embedder, index_options(settings, paths)) as ix:
            list(ix.sync([corpus]))
        index_s = time.perf_counter() - t0
        stats = store.catalog.stats()
        store.close()
        db = sqlite3.connect(catalog_path(paths))
        chunks = db.execute("SELECT min(title), min(text), max(tokens) FROM chunks GROUP BY text_hash").fetchall()
        db.close()
    tokens = sum(c[2] for c in chunks)
    t0 = time.perf_counter()
    embedder.embed_documents([c[1] for c in chunks], [c[0] for c in chunks], full=True)
    bare_s = time.perf_counter() - t0
    embedder.close()
    result = {
        "files": files,
        "indexed_files": stats.files,
        "skipped_files": stats.skipped_files,
        "chunks": len(chunks),
        "tokens": tokens,
        "engine": embedder.engine.to_json(),
        "pipeline": {"seconds": round(index_s, 1), "files_per_s": round(files / index_s, 2),
                     "tokens_per_s": round(tokens / index_s, 1)},
        "bare_embedder": {"seconds": round(bare_s, 1), "tokens_per_s": round(tokens / bare_s, 1)},
        "ratio": round(bare_s / index_s, 3),
    }
    print(json.dumps(result, indent=2))
    print(f"\npipeline {result['pipeline']['tokens_per_s']:.0f} tokens/s vs bare embedder "
          f"{result['bare_embedder']['tokens_per_s']:.0f} tokens/s: {result['ratio']:.2f}x (target >= 0.9)")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
