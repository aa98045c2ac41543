"""Where Gemseek loses to the plain dense pipeline, query by query, on both evaluation sets.

    python bench/losses.py [--mode hybrid|vector] [--top 8]

Reads the runs bench/quality.py and bench/plain_dense.py leave in bench/out
(run them first; nothing is embedded here), scores every query of each set
with nDCG@10 as the sets' evaluate.py does, and prints the mean per query
kind for both pipelines, how many queries each wins, and the queries Gemseek
loses most on with what each pipeline ranked first. Writes bench/out/losses.json.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.quality import OUT, SETS


def ndcg10(ranked: list[str], relevant: dict[str, int]) -> float:
    gains = sorted(relevant.values(), reverse=True)[:10]
    ideal = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gains))
    dcg = sum((2 ** relevant.get(p, 0) - 1) / math.log2(i + 2) for i, p in enumerate(ranked[:10]))
    return dcg / ideal if ideal else 0.0


def _runs(path: Path) -> dict[str, list[str]]:
    rows = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return {r["id"]: r["results"] for r in rows}


def compare(name: str, mode: str) -> dict:
    tag = "" if name == "dev" else f"-{name}"
    queries = [json.loads(x) for x in (SETS[name] / "queries.jsonl").read_text().splitlines() if x.strip()]
    ours, plain = _runs(OUT / f"quality-run{tag}-{mode}.jsonl"), _runs(OUT / f"plain-dense-run-{name}.jsonl")
    rows = []
    for q in queries:
        a, b = ndcg10(ours[q["id"]], q["relevant"]), ndcg10(plain[q["id"]], q["relevant"])
        rows.append({"id": q["id"], "kind": q["kind"], "query": q["query"], "gemseek": round(a, 3),
                     "plain": round(b, 3), "gemseek_first": ours[q["id"]][:1], "plain_first": plain[q["id"]][:1],
                     "relevant": q["relevant"]})
    kinds: dict[str, dict] = {}
    for kind in sorted({"ALL", *(r["kind"] for r in rows)}):
        some = [r for r in rows if kind in ("ALL", r["kind"])]
        kinds[kind] = {"n": len(some), "gemseek": round(sum(r["gemseek"] for r in some) / len(some), 3),
                       "plain": round(sum(r["plain"] for r in some) / len(some), 3)}
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
