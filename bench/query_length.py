"""Query latency against query length: where a query's time goes.

    python bench/query_length.py [--types Q8_0,BF16,...] [--reps 30]

For each GGUF type, a fresh child process embeds query-prompted texts of
fixed token counts (real words from ../shared/eval's queries) and reports the
median latency per length, a least-squares fit ``ms = fixed + per_token x
tokens``, and the token counts of the eval queries with their prompt. Prints
a table and writes bench/out/query_length.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.corpus import eval_queries
from bench.shared import run_child

LENGTHS = (10, 12, 16, 19, 21, 23, 26, 32, 48, 64)
OUT = ROOT / "bench" / "out" / "query_length.json"


def _texts_of_length(emb, words: list[str], lengths: tuple[int, ...]) -> dict[int, str]:
    """Query texts whose prompted token count is exactly each length (when words allow it)."""
    from app.core.embedder import query_prompt

    found: dict[int, str] = {}
    for start in range(len(words)):
        text = ""
        for w in words[start:]:
            n = emb.token_count(query_prompt(text))
            if n in lengths and n not in found:
                found[n] = text
            if n >= max(lengths):
                break
            text = f"{text} {w}".strip()
        if len(found) == len(lengths):
            break
    return found


def child(gguf: str, reps: int, threads: int) -> dict:
    from app.core.embedder import LlamaEmbedder, query_prompt

    emb = LlamaEmbedder(Path(gguf), threads=threads)
    queries = eval_queries()
    words = " ".join(queries).split()
    texts = _texts_of_length(emb, words, LENGTHS)
    emb.embed_query("warm up")
    rows = []
    for n in sorted(texts):
        lat = []
        for _ in range(reps):
            t0 = time.perf_counter()
            emb.embed_query(texts[n])
            lat.append((time.perf_counter() - t0) * 1000)
        rows.append({"tokens": n, "ms_median": round(statistics.median(lat), 2)})
    xs = [r["tokens"] for r in rows]
    ys = [r["ms_median"] for r in rows]
    slope, intercept = statistics.linear_regression(xs, ys)
    q_tokens = [emb.token_count(query_prompt(q)) for q in queries]
    return {
        "rows": rows,
        "fixed_ms": round(intercept, 2),
        "per_token_ms": round(slope, 3),
        "eval_query_tokens_median": statistics.median(q_tokens),
        "eval_query_tokens_range": [min(q_tokens), max(q_tokens)],
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--types", default="Q8_0,BF16,Q4_0")
    p.add_argument("--reps", type=int, default=30)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.reps, args.threads)))
        return 0

    import tempfile

    from bench.embed import _gguf_for

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for qtype in args.types.split(","):
            gguf = _gguf_for(qtype, Path(tmp))
            results[qtype] = run_child(__file__, [str(gguf), "--reps", str(args.reps), "--threads", str(args.threads)])
            print(qtype, results[qtype], flush=True)

    lengths = [r["tokens"] for r in next(iter(results.values()))["rows"]]
    print("\n| model | " + " | ".join(f"{n} tok" for n in lengths) + " | fixed ms | ms per token |")
    print("|---|" + "---|" * (len(lengths) + 2))
    for qtype, r in results.items():
        cells = " | ".join(str(x["ms_median"]) for x in r["rows"])
        print(f"| {qtype} | {cells} | {r['fixed_ms']} | {r['per_token_ms']} |")
    first = next(iter(results.values()))
    print(
        f"\neval queries with their prompt: median {first['eval_query_tokens_median']} tokens "
        f"(range {first['eval_query_tokens_range'][0]}-{first['eval_query_tokens_range'][1]})"
    )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"threads": args.threads, "results": results}, indent=2) + "\n")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
