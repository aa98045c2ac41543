"""Embedding benchmark: every GGUF type against the original PyTorch model, in one run.

    python bench/embed.py [--types Q8_0,F16,...] [--texts 240] [--queries 50]

For each type, a fresh child process loads the model and reports load time,
document throughput on real chunks of ../shared/eval's corpus (≤ 256 tokens
with the prompt, as the indexer cuts them), single-query latency (median and
p95 over the eval queries), peak RSS and file size. When the ``reference``
extra is installed, sentence-transformers on torch (fp32, batch 8) embeds the
same texts in the same run. Prints a table and writes bench/out/embed.json.

GGUF files come from the models folder (`gemseek convert`), or are converted
into a temporary folder from the checkpoint when missing.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.corpus import chunks, eval_queries
from bench.shared import run_child

TYPES = ("F32", "F16", "BF16", "Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q4_0")
OUT = ROOT / "bench" / "out" / "embed.json"


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_llama(gguf: str, n_texts: int, n_queries: int, threads: int) -> dict:
    from app.core.embedder import LlamaEmbedder

    t0 = time.perf_counter()
    emb = LlamaEmbedder(Path(gguf), threads=threads)
    emb.embed_query("warm up")
    load_s = time.perf_counter() - t0
    pairs = chunks(n_texts, count_tokens=emb.count_tokens)
    tokens = sum(emb.count_tokens(text, title) for title, text in pairs)
    t0 = time.perf_counter()
    emb.embed_documents([t for _, t in pairs], [title for title, _ in pairs])
    doc_s = time.perf_counter() - t0
    lat = []
    for q in eval_queries()[:n_queries]:
        t0 = time.perf_counter()
        emb.embed_query(q)
        lat.append((time.perf_counter() - t0) * 1000)
    return _result(load_s, len(pairs), tokens, doc_s, lat, Path(gguf).stat().st_size)


def child_torch(checkpoint: str, n_texts: int, n_queries: int, threads: int) -> dict:
    import torch
    from sentence_transformers import SentenceTransformer

    from app.core.embedder import LlamaEmbedder, document_prompt, query_prompt

    torch.set_num_threads(threads)
    t0 = time.perf_counter()
    model = SentenceTransformer(checkpoint, device="cpu")
    model.encode(["warm up"])
    load_s = time.perf_counter() - t0
    # The same texts as the llama.cpp runs: cut with the GGUF tokenizer (identical ids).
    counter = LlamaEmbedder(Path(os.environ["GEMSEEK_BENCH_TOKENIZER"]), threads=1)
    pairs = chunks(n_texts, count_tokens=counter.count_tokens)
    tokens = sum(counter.count_tokens(text, title) for title, text in pairs)
    counter.close()
    prompts = [document_prompt(text, title) for title, text in pairs]
    t0 = time.perf_counter()
    model.encode(prompts, batch_size=8)
    doc_s = time.perf_counter() - t0
    lat = []
    for q in eval_queries()[:n_queries]:
        t0 = time.perf_counter()
        model.encode([query_prompt(q)])
        lat.append((time.perf_counter() - t0) * 1000)
    size = sum(f.stat().st_size for f in Path(checkpoint).rglob("*.safetensors"))
    return _result(load_s, len(pairs), tokens, doc_s, lat, size)


def _result(load_s: float, texts: int, tokens: int, doc_s: float, lat: list[float], size: int) -> dict:
    return {
        "load_s": round(load_s, 2),
        "texts": texts,
        "tokens": tokens,
        "tokens_per_s": round(tokens / doc_s, 1),
        "texts_per_s": round(texts / doc_s, 2),
        "query_ms_median": round(statistics.median(lat), 1),
        "query_ms_p95": round(sorted(lat)[max(0, int(len(lat) * 0.95) - 1)], 1),
        "peak_rss_mb": round(_peak_rss_mb()),
        "file_mb": round(size / 1e6, 1),
    }


def _gguf_for(qtype: str, tmp: Path) -> Path:
    from app.core.model import convert_model
    from app.core.paths import Paths

    paths = Paths.resolve()
    existing = paths.gguf_file(qtype)
    if existing.is_file():
        return existing
    out = tmp / existing.name
    for _ in convert_model(paths.checkpoint, qtype, out):
        pass
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--types", default=",".join(TYPES))
    p.add_argument("--texts", type=int, default=240)
    p.add_argument("--queries", type=int, default=50)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    p.add_argument("--no-torch", action="store_true", help="skip the PyTorch reference")
    p.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args()

    if args.child:
        kind, path = args.child
        fn = child_torch if kind == "torch" else child_llama
        print(json.dumps(fn(path, args.texts, args.queries, args.threads)))
        return 0

    from app.core.paths import Paths

    common = ["--texts", str(args.texts), "--queries", str(args.queries), "--threads", str(args.threads)]
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        ggufs = {q: _gguf_for(q, Path(tmp)) for q in args.types.split(",")}
        for qtype, gguf in ggufs.items():
            results[qtype] = run_child(__file__, ["llama", str(gguf), *common])
            print(qtype, results[qtype], flush=True)
        try:
            import sentence_transformers  # noqa: F401

            have_torch = not args.no_torch
        except ImportError:
            have_torch = False
            print("sentence-transformers not installed: no PyTorch reference (pip install -e .[reference])")
        if have_torch:
            env = {**os.environ, "GEMSEEK_BENCH_TOKENIZER": str(next(iter(ggufs.values())))}
            results["torch fp32"] = run_child(__file__, ["torch", str(Paths.resolve().checkpoint), *common], env)
            print("torch", results["torch fp32"], flush=True)

    _print_table(results)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"threads": args.threads, "results": results}, indent=2) + "\n")
    print(f"wrote {OUT}")
    return 0


def _print_table(results: dict[str, dict]) -> None:
    torch = results.get("torch fp32")
    print("\n| model | file MB | load s | tokens/s | texts/s | vs torch | query ms median | p95 | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        ratio = f"{r['tokens_per_s'] / torch['tokens_per_s']:.2f}x" if torch else "n/a"
        print(
            f"| {name} | {r['file_mb']} | {r['load_s']} | {r['tokens_per_s']:.0f} | {r['texts_per_s']} | {ratio} "
            f"| {r['query_ms_median']} | {r['query_ms_p95']} | {r['peak_rss_mb']} |"
        )


if __name__ == "__main__":
    raise SystemExit(main())
