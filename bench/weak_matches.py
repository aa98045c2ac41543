"""Calibrate when a result is a real match: recall kept on answerable queries, unrelated files hidden otherwise.

    GEMSEEK_MODELS=<models> python bench/weak_matches.py [--home bench/out/quality-home] [--set dev|eval2]

Runs every query of the set through the real command line (``gemseek search
--json -n 30`` on an index of the set's corpus, e.g. the one bench/quality.py
leaves in bench/out/quality-home) and keeps each result's score. Then, for
each rule "a result is weak when its score < FLOOR, or < MARGIN above the
query's background (the median score of the files ranked 11th to 30th)" —
``app.core.search.weak_bar``, the app's own function:

- answerable queries: recall@10 counting only results that are not weak;
- unanswerable queries, made by holding out each query's relevant files (they
  are dropped from its result list, as if they were not indexed; the other
  files' scores do not depend on them): how many unrelated files are still
  shown as matches, out of 10.

Prints the grid's best rules and the app's current rule
(``app.core.search.SearchOptions``), writes bench/out/weak_matches.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core.search import SearchOptions, weak_bar
from bench.corpus import EVAL_DIR, corpus_dir
from bench.quality import search_results

OUT = ROOT / "bench" / "out"


def scored_runs(home: Path, queries: list[dict], corpus: Path) -> list[list[tuple[str, float]]]:
    answers = search_results(home, queries, corpus, dict(os.environ), "-n", "30")
    return [[(r["path"], r["score"]) for r in results] for results in answers]


def shown(run: list[tuple[str, float]], floor: float, margin: float) -> list[str]:
    """The paths of ``run`` (best first, up to 30) that the rule keeps as matches, of its first 10."""
    bar = weak_bar([s for _, s in run], floor, margin)
    return [p for p, s in run[:10] if s >= bar]


def evaluate(queries: list[dict], runs: list, floor: float, margin: float) -> dict:
    recall = recall_all = unrelated = empty = 0.0
    for q, run in zip(queries, runs):
        relevant = set(q["relevant"])
        top = [p for p, _ in run[:10]]
        kept = shown(run, floor, margin)
        recall += len(relevant & set(kept)) / len(relevant)
        recall_all += len(relevant & set(top)) / len(relevant)
        held_out = [(p, s) for p, s in run if p not in relevant]
        still = shown(held_out, floor, margin)
        unrelated += len(still)
        empty += not still
    n = len(queries)
    return {"floor": floor, "margin": margin, "recall@10": round(recall / n, 4),
            "recall@10_all": round(recall_all / n, 4), "unrelated_shown_of_10": round(unrelated / n, 2),
            "no_answer_queries_with_none_shown": round(empty / n, 3)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--home", type=Path, default=OUT / "quality-home")
    ap.add_argument("--set", choices=("dev", "eval2"), default="dev")
    ap.add_argument("--corpus", type=Path, help="the unpacked corpus the home indexed (default: the set's)")
    args = ap.parse_args()
    set_dir = EVAL_DIR if args.set == "dev" else ROOT / "bench" / "eval2"
    queries = [json.loads(x) for x in (set_dir / "queries.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    corpus = args.corpus or corpus_dir(set_dir)
    runs = scored_runs(args.home, queries, corpus)
    grid = [evaluate(queries, runs, f / 100, m / 100) for f in (0, *range(20, 50, 2)) for m in range(0, 16)]
    base = evaluate(queries, runs, -1.0, -1.0)
    ok = [r for r in grid if r["recall@10"] >= base["recall@10"] - 0.01]
    ok.sort(key=lambda r: (r["unrelated_shown_of_10"], -r["recall@10"]))
    o = SearchOptions()
    current = evaluate(queries, runs, o.weak_floor, o.weak_margin)
    print(f"{args.set}: {len(queries)} queries; without a rule recall@10 {base['recall@10']:.3f}, "
          f"10 of 10 unrelated files shown when the answer is not indexed")
    print("| floor | margin | recall@10 | unrelated shown of 10 (answer held out) "
          "| no-answer queries with none shown |")
    print("|---|---|---|---|---|")
    for r in ok[:8]:
        print(f"| {r['floor']:.2f} | {r['margin']:.2f} | {r['recall@10']:.3f} | {r['unrelated_shown_of_10']:.2f} | "
              f"{r['no_answer_queries_with_none_shown']:.2f} |")
    print(f"the app's rule (floor {o.weak_floor}, margin {o.weak_margin}): recall@10 {current['recall@10']:.3f} "
          f"(−{base['recall@10'] - current['recall@10']:.3f}), unrelated shown {current['unrelated_shown_of_10']:.2f} "
          f"of 10, none shown for {current['no_answer_queries_with_none_shown']:.0%} of no-answer queries")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"weak_matches-{args.set}.json").write_text(json.dumps(
        {"set": args.set, "base": base, "current": current, "best": ok[:20], "runs": runs}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
