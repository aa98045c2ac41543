"""Search quality on both evaluation sets: index each corpus with the real model, score every mode and dimension.

    python bench/quality.py [--set dev|eval2|both] [--dims 768,512,256,128] [--modes hybrid,vector,keyword] [--reuse]

The sets: ``dev`` is ../shared/eval (tuned on), ``eval2`` is bench/eval2 (held
out: built from other Debian packages, never tuned on; see its README).

Runs the real command line: ``gemseek index`` on the unpacked corpus, then
``gemseek search --queries-file --json`` once per dimension and mode (the
dimension is switched in the settings, so the vector index is rebuilt from
stored vectors without re-embedding), and scores each run with the set's own
``evaluate.py``. Prints a table and writes bench/out/quality.json.

The bench homes live in bench/out/quality-home (dev) and quality-home-eval2;
models are shared with the default models folder unless GEMSEEK_MODELS says
otherwise. ``--reuse`` keeps an existing index (for trying search settings
quickly). Writes bench/out/quality.json (dev) and quality-eval2.json.
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
SETS = {"dev": EVAL_DIR, "eval2": ROOT / "bench" / "eval2"}
HOME = OUT / "quality-home"
KINDS = ("ALL", "code", "crosslingual", "keyword", "paraphrase")


def gemseek(*args: str, env: dict, capture: bool = True, home: Path = HOME) -> str:
    proc = subprocess.run([sys.executable, "-m", "app", "--home", str(home), *args], cwd=ROOT, env=env,
                          capture_output=capture, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"gemseek {' '.join(args)} failed:\n{proc.stderr if capture else ''}")
    return proc.stdout if capture else ""


def set_dimension(dim: int, home: Path = HOME) -> None:
    settings_file = home / "config" / "settings.json"
    data = json.loads(settings_file.read_text())
    data["dimension"] = dim
    settings_file.write_text(json.dumps(data))


def score(run_file: Path, set_dir: Path = EVAL_DIR, details: Path | None = None) -> dict:
    """The set's own evaluate.py on ``run_file``: metrics per query kind (and per query into ``details``, a TSV)."""
    extra = ["--details", str(details)] if details else []
    out = subprocess.run([sys.executable, str(EVAL_DIR / "evaluate.py"), str(set_dir / "queries.jsonl"),
                          str(run_file), *extra], capture_output=True, text=True, check=True).stdout
    table = {}
    for line in out.splitlines():
        parts = line.split()
        if parts and parts[0] in KINDS and len(parts) == 8:
            table[parts[0]] = dict(zip(("n", "recall@1", "recall@5", "recall@10", "MRR@10", "nDCG@10",
                                        "success@1"), map(float, parts[1:])))
    return table


def set_queries(set_dir: Path) -> list[dict]:
    """The set's queries (queries.jsonl), in file order."""
    return [json.loads(x) for x in (set_dir / "queries.jsonl").read_text().splitlines() if x.strip()]


def search_results(home: Path, queries: list[dict], corpus: Path, env: dict, *flags: str,
                   check: bool = True) -> list[list[dict]]:
    """Answer ``queries`` with ``gemseek search --queries-file --json`` (plus ``flags``) in one process: per
    query, its results, paths relative to ``corpus``. With ``check`` False a search that fails (nothing
    indexed yet) gives what it printed, perhaps no answer at all."""
    qfile = OUT / f"{home.name}-queries.txt"
    qfile.write_text("\n".join(q["query"] for q in queries) + "\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "app", "--home", str(home), "search", "--queries-file", str(qfile),
                           "--json", *flags], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise SystemExit(f"gemseek search failed:\n{proc.stderr}")
    prefix = str(corpus) + os.sep
    answers = []
    for q, line in zip(queries, proc.stdout.splitlines()):
        got = json.loads(line)
        assert got["query"] == q["query"]
        answers.append([{**r, "path": r["path"].removeprefix(prefix)} for r in got["results"]])
    return answers


def write_run(run_file: Path, queries: list[dict], answers: list[list[dict]],
              rename: dict[str, str] | None = None) -> Path:
    """An evaluate.py run file: each query's result paths (``rename``d), none for a query without an answer."""
    rename = rename or {}
    with run_file.open("w", encoding="utf-8") as f:
        for i, q in enumerate(queries):
            paths = [rename.get(r["path"], r["path"]) for r in answers[i]] if i < len(answers) else []
            f.write(json.dumps({"id": q["id"], "results": paths}) + "\n")
    return run_file


def run_queries(mode: str, corpus: Path, env: dict, set_dir: Path = EVAL_DIR, tag: str = "") -> Path:
    queries = set_queries(set_dir)
    t0 = time.perf_counter()
    answers = search_results(OUT / f"quality-home{tag}", queries, corpus, env, "-n", "10", "--mode", mode)
    elapsed = time.perf_counter() - t0
    print(f"  {mode}: {len(queries)} queries in {elapsed:.1f} s (one process, model load included)")
    return write_run(OUT / f"quality-run{tag}-{mode}.jsonl", queries, answers)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--set", choices=("dev", "eval2", "both"), default="both")
    p.add_argument("--dims", default="768,512,256,128")
    p.add_argument("--modes", default="hybrid,vector,keyword")
    p.add_argument("--reuse", action="store_true", help="keep an existing bench index")
    args = p.parse_args()
    env = dict(os.environ)
    if "GEMSEEK_MODELS" not in env:
        from app.core.paths import Paths

        env["GEMSEEK_MODELS"] = str(Paths.resolve().models)
    OUT.mkdir(parents=True, exist_ok=True)
    for name in ("dev", "eval2") if args.set == "both" else (args.set,):
        run_set(name, args, env)
    return 0


def run_set(name: str, args: argparse.Namespace, env: dict) -> None:
    set_dir = SETS[name]
    tag = "" if name == "dev" else f"-{name}"
    home = OUT / f"quality-home{tag}"
    corpus = corpus_dir(set_dir)
    print(f"== {name} ({set_dir})")
    if not args.reuse and home.exists():
        shutil.rmtree(home)
    t0 = time.perf_counter()
    gemseek("index", str(corpus), env=env, capture=False, home=home)
    index_s = time.perf_counter() - t0
    status = json.loads(gemseek("status", "--json", env=env, home=home))
    print(f"indexed {status['files']} files, {status['chunks']} chunks in {index_s:.0f} s")

    results: dict[str, dict] = {}
    modes = args.modes.split(",")
    for dim in map(int, args.dims.split(",")):
        set_dimension(dim, home)
        for mode in modes:
            if mode == "keyword" and dim != int(args.dims.split(",")[0]):
                continue  # keyword search does not depend on the dimension
            label = "keyword" if mode == "keyword" else f"{mode} {dim}"
            results[label] = score(run_queries(mode, corpus, env, set_dir, tag), set_dir)
            print(f"{label:>12}: nDCG@10 {results[label]['ALL']['nDCG@10']:.3f}")
    set_dimension(int(args.dims.split(",")[0]), home)

    print("\n| configuration | " + " | ".join(f"{k} (n={int(results[next(iter(results))][k]['n'])})" for k in KINDS)
          + " | recall@10 | MRR@10 |")
    print("|---" * (len(KINDS) + 3) + "|")
    for label, table in results.items():
        cells = " | ".join(f"{table[k]['nDCG@10']:.3f}" for k in KINDS)
        print(f"| {label} | {cells} | {table['ALL']['recall@10']:.3f} | {table['ALL']['MRR@10']:.3f} |")
    out = OUT / f"quality{tag}.json"
    out.write_text(json.dumps(
        {"set": name, "files": status["files"], "chunks": status["chunks"], "index_seconds": round(index_s, 1),
         "results": results}, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    raise SystemExit(main())
