"""Time to useful: how good search is while the first indexing pass is still running.

    GEMSEEK_MODELS=<models> python bench/coverage.py [--set dev|eval2] [--points 0.1,0.25,0.5]

First indexes the set's corpus once with ``gemseek index`` to learn the full
time T. Then indexes it again from nothing and, at each fraction of T, answers
every query of the set through the real command line (``gemseek search
--queries-file``, a separate read-only process, as the desktop app's search
thread is) and scores nDCG@10; once indexing ends, scores again. Also reports
the time until the first file is searchable and until keyword search covers
every file (the indexer moves from reading to embedding). The searches share
the 2 cores with the indexer, as they do in the app. Writes
bench/out/coverage-<set>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.corpus import corpus_dir
from bench.quality import SETS, score, search_results, set_queries, write_run

OUT = ROOT / "bench" / "out"


def _search(home: Path, set_dir: Path, corpus: Path, tag: str) -> dict:
    queries = set_queries(set_dir)
    answers = search_results(home, queries, corpus, dict(os.environ), "-n", "10", check=False)
    return score(write_run(OUT / f"coverage-run-{tag}.jsonl", queries, answers), set_dir)["ALL"]


def _index(home: Path, corpus: Path, events: dict) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "app", "--home", str(home), "index", str(corpus)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=os.environ)
    started = time.monotonic()

    def follow() -> None:
        for raw in proc.stdout:
            for line in raw.split("\r"):
                if "Embedding" in line and "keywords_done" not in events:
                    events["keywords_done"] = time.monotonic() - started
                done = re.search(r"(\d+)/\d+ files", line)
                if done and int(done.group(1)) >= 1 and "first_file" not in events:
                    events["first_file"] = time.monotonic() - started

    threading.Thread(target=follow, daemon=True).start()
    return proc


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", choices=("dev", "eval2"), default="dev")
    ap.add_argument("--points", default="0.1,0.25,0.5")
    args = ap.parse_args()
    set_dir = SETS[args.set]
    corpus = corpus_dir(set_dir)
    home = OUT / f"coverage-home-{args.set}"
    OUT.mkdir(parents=True, exist_ok=True)

    shutil.rmtree(home, ignore_errors=True)
    t0 = time.monotonic()
    first: dict = {}
    proc = _index(home, corpus, first)
    proc.wait()
    total = time.monotonic() - t0
    final = _search(home, set_dir, corpus, f"{args.set}-final")
    print(f"{args.set}: full indexing {total:.0f} s (keywords for every file after {first.get('keywords_done', 0):.0f}"
          f" s); final nDCG@10 {final['nDCG@10']:.3f}")

    shutil.rmtree(home, ignore_errors=True)
    events: dict = {}
    t0 = time.monotonic()
    proc = _index(home, corpus, events)
    rows = []
    for frac in map(float, args.points.split(",")):
        while time.monotonic() - t0 < frac * total and proc.poll() is None:
            time.sleep(0.2)
        at = time.monotonic() - t0
        got = _search(home, set_dir, corpus, f"{args.set}-{frac}")
        rows.append({"fraction": frac, "at_s": round(at, 1), "nDCG@10": got["nDCG@10"],
                     "of_final": round(got["nDCG@10"] / final["nDCG@10"], 3), "recall@10": got["recall@10"]})
        print(f"  at {frac:.0%} of the time ({at:.0f} s): nDCG@10 {got['nDCG@10']:.3f} = "
              f"{got['nDCG@10'] / final['nDCG@10']:.2f} of final")
    proc.wait()
    second_total = time.monotonic() - t0
    (OUT / f"coverage-{args.set}.json").write_text(json.dumps({
        "set": args.set, "full_index_s": round(total, 1), "second_run_s": round(second_total, 1),
        "first_file_searchable_s": events.get("first_file"), "keywords_cover_every_file_s": events.get("keywords_done"),
        "final_nDCG@10": final["nDCG@10"], "points": rows}, indent=2))
    print(f"  first file searchable after {events.get('first_file', float('nan')):.1f} s; keyword search covered "
          f"every file after {events.get('keywords_done', float('nan')):.1f} s; second run {second_total:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
