"""Search quality on ../shared/eval: index the dev corpus with the real model, score every mode and dimension.

    python bench/quality.py [--dims 768,512,256,128] [--modes hybrid,vector,keyword] [--reuse]

Runs the real command line: ``gemseek index`` on the unpacked corpus, then
``gemseek search --queries-file --json`` once per dimension and mode (the
dimension is switched in the settings, so the vector index is rebuilt from
stored vectors without re-embedding), and scores each run with the set's own
``evaluate.py``. Prints a table and writes bench/out/quality.json.

The bench home lives in bench/out/quality-home; models are shared with the
default models folder unless GEMSEEK_MODELS says otherwise. ``--reuse`` keeps an
existing index (for trying search settings quickly).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.corpus import EVAL_DIR, corpus_dir

OUT = ROOT / "bench" / "out"
HOME = OUT / "quality-home"
KINDS = ("ALL", "code", "crosslingual", "keyword", "paraphrase")


def gemseek(*args: str, env: dict, capture: bool = True) -> str:
    proc = subprocess.run([sys.executable, "-m", "app", "--home", str(HOME), *args], cwd=ROOT, env=env,
                          capture_output=capture, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"gemseek {' '.join(args)} failed:\n{proc.stderr if capture else ''}")
    return proc.stdout if capture else ""


def set_dimension(dim: int) -> None:
    settings_file = HOME / "config" / "settings.json"
    data = json.loads(settings_file.read_text())
    data["dimension"] = dim
    settings_file.write_text(json.dumps(data))


def score(run_file: Path) -> dict:
    out = subprocess.run([sys.executable, str(EVAL_DIR / "evaluate.py"), str(EVAL_DIR / "queries.jsonl"),
                          str(run_file)], capture_output=True, text=True, check=True).stdout
    table = {}
    for line in out.splitlines():
        parts = line.split()
        if parts and parts[0] in KINDS and len(parts) == 8:
            table[parts[0]] = dict(zip(("n", "recall@1", "recall@5", "recall@10", "MRR@10", "nDCG@10",
                                        "success@1"), map(float, parts[1:])))
    return table


def run_queries(mode: str, corpus: Path, env: dict) -> Path:
    queries = [json.loads(x) for x in (EVAL_DIR / "queries.jsonl").read_text().splitlines() if x.strip()]
    qfile = OUT / "quality-queries.txt"
    qfile.write_text("\n".join(q["query"] for q in queries) + "\n", encoding="utf-8")
    t0 = time.perf_counter()
    lines = gemseek("search", "--queries-file", str(qfile), "--json", "-n", "10", "--mode", mode,
                    env=env).splitlines()
    elapsed = time.perf_counter() - t0
    prefix = str(corpus) + os.sep
    run_file = OUT / f"quality-run-{mode}.jsonl"
    with run_file.open("w", encoding="utf-8") as f:
        for q, line in zip(queries, lines):
            got = json.loads(line)
            assert got["query"] == q["query"]
            paths = [r["path"][len(prefix):] if r["path"].startswith(prefix) else r["path"] for r in got["results"]]
            f.write(json.dumps({"id": q["id"], "results": paths}) + "\n")
    print(f"  {mode}: {len(queries)} queries in {elapsed:.1f} s (one process, model load included)")
    return run_file


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dims", default="768,512,256,128")
    p.add_argument("--modes", default="hybrid,vector,keyword")
    p.add_argument("--reuse", action="store_true", help="keep an existing bench index")
    args = p.parse_args()
    env = dict(os.environ)
    if "GEMSEEK_MODELS" not in env:
        from app.core.paths import Paths

        env["GEMSEEK_MODELS"] = str(Paths.resolve().models)
    corpus = corpus_dir()
    OUT.mkdir(parents=True, exist_ok=True)
    if not args.reuse and HOME.exists():
        shutil.rmtree(HOME)
    t0 = time.perf_counter()
    gemseek("index", str(corpus), env=env, capture=False)
    index_s = time.perf_counter() - t0
    status = json.loads(gemseek("status", "--json", env=env))
    print(f"indexed {status['files']} files, {status['chunks']} chunks in {index_s:.0f} s")

    results: dict[str, dict] = {}
    modes = args.modes.split(",")
    for dim in map(int, args.dims.split(",")):
        set_dimension(dim)
        for mode in modes:
            if mode == "keyword" and dim != int(args.dims.split(",")[0]):
                continue  # keyword search does not depend on the dimension
            name = "keyword" if mode == "keyword" else f"{mode} {dim}"
            results[name] = score(run_queries(mode, corpus, env))
            print(f"{name:>12}: nDCG@10 {results[name]['ALL']['nDCG@10']:.3f}")
    set_dimension(int(args.dims.split(",")[0]))

    print("\n| configuration | " + " | ".join(f"{k} (n={int(results[next(iter(results))][k]['n'])})" for k in KINDS)
          + " | recall@10 | MRR@10 |")
    print("|---" * (len(KINDS) + 3) + "|")
    for name, table in results.items():
        cells = " | ".join(f"{table[k]['nDCG@10']:.3f}" for k in KINDS)
        print(f"| {name} | {cells} | {table['ALL']['recall@10']:.3f} | {table['ALL']['MRR@10']:.3f} |")
    (OUT / "quality.json").write_text(json.dumps(
        {"files": status["files"], "chunks": status["chunks"], "index_seconds": round(index_s, 1),
         "results": results}, indent=2) + "\n")
    print(f"wrote {OUT / 'quality.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
