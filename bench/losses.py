"""Where Gemseek loses to the plain dense pipeline, query by query, on both evaluation sets.

    python bench/losses.py [--mode hybrid|vector] [--top 8]

Reads the runs bench/quality.py and bench/plain_dense.py leave in bench/out
(run them first; nothing is embedded here), scores them with the set's own
evaluate.py (nDCG@10 per query kind and per query), and prints the kinds for
both pipelines, how many queries each wins, and the queries Gemseek
loses most on with what each pipeline ranked first. Writes bench/out/losses.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.quality import KINDS, OUT, SETS, score, set_queries


def _scored(run_file: Path, set_dir: Path, details: Path) -> tuple[dict, dict[str, float]]:
    """evaluate.py's nDCG@10 per query kind, and per query id."""
    table = score(run_file, set_dir, details)
    with details.open(encoding="utf-8") as f:
        per_query = {row["id"]: float(row["nDCG@10"]) for row in csv.DictReader(f, delimiter="\t")}
    return table, per_query


def _runs(path: Path) -> dict[str, list[str]]:
    rows = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return {r["id"]: r["results"] for r in rows}


def compare(name: str, mode: str) -> dict:
    tag = "" if name == "dev" else f"-{name}"
    set_dir = SETS[name]
    ours_file, plain_file = OUT / f"quality-run{tag}-{mode}.jsonl", OUT / f"plain-dense-run-{name}.jsonl"
    ours_table, ours_score = _scored(ours_file, set_dir, OUT / f"losses-{name}-gemseek.tsv")
    plain_table, plain_score = _scored(plain_file, set_dir, OUT / f"losses-{name}-plain.tsv")
    ours, plain = _runs(ours_file), _runs(plain_file)
    rows = []
    for q in set_queries(set_dir):
        rows.append({"id": q["id"], "kind": q["kind"], "query": q["query"], "gemseek": ours_score[q["id"]],
                     "plain": plain_score[q["id"]], "gemseek_first": ours[q["id"]][:1],
                     "plain_first": plain[q["id"]][:1], "relevant": q["relevant"]})
    kinds = {kind: {"n": int(ours_table[kind]["n"]), "gemseek": ours_table[kind]["nDCG@10"],
                    "plain": plain_table[kind]["nDCG@10"]} for kind in KINDS if kind in ours_table}
    rows.sort(key=lambda r: r["gemseek"] - r["plain"])
    return {"kinds": kinds, "wins": sum(r["gemseek"] > r["plain"] + 1e-9 for r in rows),
            "losses": sum(r["gemseek"] < r["plain"] - 1e-9 for r in rows), "queries": rows}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mode", choices=("hybrid", "vector"), default="hybrid")
    p.add_argument("--top", type=int, default=8, help="how many of the worst queries to list per set")
    args = p.parse_args()
    report = {name: compare(name, args.mode) for name in SETS}
    for name, r in report.items():
        print(f"== {name} ({args.mode}): Gemseek wins {r['wins']} queries, loses {r['losses']}")
        for kind, k in r["kinds"].items():
            print(f"  {kind:<13} n={k['n']:<4} Gemseek {k['gemseek']:.3f}  plain {k['plain']:.3f}  "
                  f"{k['gemseek'] - k['plain']:+.3f}")
        for q in [q for q in r["queries"] if q["gemseek"] < q["plain"]][: args.top]:
            print(f"  {q['id']} {q['kind']:<12} {q['gemseek']:.3f} < {q['plain']:.3f}  {q['query'][:60]}")
            print(f"      Gemseek first: {q['gemseek_first']}  plain first: {q['plain_first']}  "
                  f"relevant: {list(q['relevant'])}")
    (OUT / "losses.json").write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
