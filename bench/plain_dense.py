"""The plain dense pipeline Gemseek must beat: one vector per ~1,000-character window, the file name as title.

    GEMSEEK_MODELS=<models> python bench/plain_dense.py [--set dev|eval2|both] [--window 1000]

Each file's text comes from Gemseek's own extractors (so both pipelines see
the same text); it is cut into consecutive windows of about --window
characters (at a blank line or line end when one is near), each embedded with
the document prompt and the file name as title by the engine in use. A file
scores the best cosine of its windows; files are ranked by it. Scored with the
dev set's evaluate.py; writes bench/out/plain-dense-<set>.json and the run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core import settings as settings_mod
from app.core.extract import SkipFile, extract
from app.core.model_setup import load_embedder
from app.core.paths import Paths
from bench.corpus import corpus_dir
from bench.quality import KINDS, SETS, score

OUT = ROOT / "bench" / "out"


def windows(text: str, size: int) -> list[str]:
    out, start = [], 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            cut = max(text.rfind("\n\n", start + size // 2, end), text.rfind("\n", start + size // 2, end))
            end = cut if cut > start else end
        piece = text[start:end].strip()
        if piece:
            out.append(piece)
        start = end
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", choices=("dev", "eval2", "both"), default="both")
    ap.add_argument("--window", type=int, default=1000)
    args = ap.parse_args()
    paths = Paths.resolve(OUT / "plain-dense-home")
    emb = load_embedder(paths, settings_mod.Settings(dimension=768))
    for name in ("dev", "eval2") if args.set == "both" else (args.set,):
        set_dir = SETS[name]
        corpus = corpus_dir(set_dir)
        files = sorted(p for p in corpus.rglob("*") if p.is_file())
        t0 = time.perf_counter()
        owner, texts, titles = [], [], []
        for i, f in enumerate(files):
            try:
                doc = extract(f)
            except SkipFile:
                continue
            for w in windows(doc.text, args.window):
                owner.append(i)
                texts.append(w)
                titles.append(f.name)
        vecs = emb.embed_documents(texts, titles, full=True)
        embed_s = time.perf_counter() - t0
        owner_arr = np.asarray(owner)
        queries = [json.loads(x) for x in (set_dir / "queries.jsonl").read_text().splitlines() if x.strip()]
        run = OUT / f"plain-dense-run-{name}.jsonl"
        with run.open("w", encoding="utf-8") as out:
            for q in queries:
                sims = vecs @ emb.embed_query(q["query"], full=True)
                best: dict[int, float] = {}
                for i, s in zip(owner_arr.tolist(), sims.tolist()):
                    if s > best.get(i, -2.0):
                        best[i] = s
                ranked = sorted(best, key=lambda i: -best[i])[:10]
                out.write(json.dumps({"id": q["id"], "results": [files[i].relative_to(corpus).as_posix()
                                                                for i in ranked]}) + "\n")
        table = score(run, set_dir)
        print(f"== {name}: {len(texts)} windows of {len(files)} files embedded in {embed_s:.0f} s")
        print(" | ".join(f"{k} {table[k]['nDCG@10']:.3f}" for k in KINDS))
        (OUT / f"plain-dense-{name}.json").write_text(json.dumps(
            {"set": name, "window": args.window, "windows": len(texts), "results": table}, indent=2) + "\n")
    emb.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
