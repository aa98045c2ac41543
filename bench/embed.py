"""Embedding benchmark: every GGUF type, and the configuration Gemseek chose here, against PyTorch, in one run.

    python bench/embed.py [--types Q8_0,MIX_BF16,...,auto] [--texts 240] [--queries 50] [--repeat N]

``auto`` first runs the engine probe afresh (as `gemseek model probe` does:
each candidate in child processes) and reports its time and choice, then
measures the chosen configuration like the fixed types, plus its fidelity
(mean/min cosine) over the 223 texts of ../shared/fixtures. The fixed types
run with llama.cpp's defaults (extra buffer types, flash attention) and
``--threads``; a type that crashes is reported as such, not measured.

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

TYPES = ("F32", "F16", "BF16", "MIX_BF16", "MIX_F16", "Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q4_0", "auto")
OUT = ROOT / "bench" / "out" / "embed.json"


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_llama(gguf: str, n_texts: int, n_queries: int, threads: int, engine: dict | None = None) -> dict:
    from app.core.embedder import LlamaEmbedder
    from app.core.engine.config import EngineConfig

    t0 = time.perf_counter()
    config = EngineConfig.from_json(engine) if engine else None
    emb = LlamaEmbedder(Path(gguf), threads=threads, engine=config)
    emb.embed_query("warm up")
    load_s = time.perf_counter() - t0
    pairs = chunks(n_texts, count_document_tokens=emb.count_document_tokens)
    tokens = sum(emb.count_document_tokens(text, title) for title, text in pairs)
    t0 = time.perf_counter()
    emb.embed_documents([t for _, t in pairs], [title for title, _ in pairs])
    doc_s = time.perf_counter() - t0
    lat = []
    for q in eval_queries()[:n_queries]:
        t0 = time.perf_counter()
        emb.embed_query(q)
        lat.append((time.perf_counter() - t0) * 1000)
    result = _result(load_s, len(pairs), tokens, doc_s, lat, Path(gguf).stat().st_size)
    if engine and engine.get("fidelity", True):
        result.update(_fidelity(emb))
    return result


def _fidelity(emb) -> dict:
    """Mean and min cosine to the original model over the reference fixture's 223 texts (768-d)."""
    import numpy as np

    from app.core.embedder import truncate
    from bench.shared import shared_dir

    fixtures = shared_dir() / "fixtures" / "embeddinggemma-reference"
    texts = json.loads((fixtures / "texts.json").read_text(encoding="utf-8"))["texts"]
    ref = np.load(fixtures / "reference-768.npy")
    cos = np.sum(truncate(emb.embed_prompts(texts), 768) * truncate(ref, 768), axis=1)
    return {"cos_mean": round(float(cos.mean()), 5), "cos_min": round(float(cos.min()), 5)}


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
    pairs = chunks(n_texts, count_document_tokens=counter.count_document_tokens)
    tokens = sum(counter.count_document_tokens(text, title) for title, text in pairs)
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
    p.add_argument("--repeat", type=int, default=1, help="rounds over all rows; each row reports its median")
    p.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args()

    if args.child:
        kind, path, *engine = args.child
        if kind == "torch":
            print(json.dumps(child_torch(path, args.texts, args.queries, args.threads)))
        else:
            print(json.dumps(child_llama(path, args.texts, args.queries, args.threads,
                                         json.loads(engine[0]) if engine else None)))
        return 0

    from app.core.paths import Paths

    common = ["--texts", str(args.texts), "--queries", str(args.queries), "--threads", str(args.threads)]
    results: dict[str, dict] = {}
    types = args.types.split(",")
    probe = _probe() if "auto" in types else None
    try:
        import sentence_transformers  # noqa: F401

        have_torch = not args.no_torch
    except ImportError:
        have_torch = False
        print("sentence-transformers not installed: no PyTorch reference (pip install -e .[reference])")
    with tempfile.TemporaryDirectory() as tmp:
        ggufs = {q: _gguf_for(q, Path(tmp)) for q in types if q != "auto"}
        rows: dict[str, list[str]] = {q: ["llama", str(g), *common] for q, g in ggufs.items()}
        if probe:
            chosen = probe["chosen"]
            gguf = Paths.resolve().gguf_file(chosen["qtype"])
            rows["auto"] = ["llama", str(gguf), json.dumps(chosen), *common]
            ggufs.setdefault(chosen["qtype"], gguf)
        envs = {}
        if have_torch:
            rows["torch fp32"] = ["torch", str(Paths.resolve().checkpoint), *common]
            envs["torch fp32"] = {**os.environ, "GEMSEEK_BENCH_TOKENIZER": str(next(iter(ggufs.values())))}
        # Rounds over every row, so that a machine whose speed drifts slows all rows alike;
        # each row reports its median round.
        runs: dict[str, list[dict]] = {name: [] for name in rows}
        for round_no in range(args.repeat):
            for name, child in rows.items():
                if name == "auto":  # its fidelity once, in the first round; later rounds only time it
                    child = [*child[:2], json.dumps({**probe["chosen"], "fidelity": round_no == 0}), *child[3:]]
                r = _measure(child, envs.get(name))
                runs[name].append(r)
                print(f"round {round_no + 1} {name}", r, flush=True)
        for name, got in runs.items():
            results[name] = _median_run(got)
        if probe:
            results["auto"].update(config=probe["chosen"], cos_mean=runs["auto"][0].get("cos_mean"),
                                   cos_min=runs["auto"][0].get("cos_min"))

    _print_table(results)
    if probe:
        print(f"\nprobe: {probe['seconds']} s (conversions included: {probe['wall_s']} s); chose "
              f"{probe['label']}: {probe['why']}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"threads": args.threads, "machine": _machine(), "probe": probe,
                               "results": results}, indent=2) + "\n")
    print(f"wrote {OUT}")
    return 0


def _median_run(runs: list[dict]) -> dict:
    """The run with the median throughput, with every round's throughput beside it."""
    good = sorted((r for r in runs if "failed" not in r), key=lambda r: r["tokens_per_s"])
    if not good:
        return runs[0]
    return {**good[(len(good) - 1) // 2], "tokens_per_s_rounds": [r["tokens_per_s"] for r in runs if "failed" not in r]}


def _measure(args: list[str], env: dict | None = None) -> dict:
    """One child's figures, or why it gave none (a type may crash on this CPU)."""
    try:
        return run_child(__file__, args, env)
    except SystemExit as exc:
        last = str(exc).strip().splitlines()[-1:] or ["failed"]
        return {"failed": last[0][:200]}


def _probe() -> dict:
    """Forget this machine's engine choice, measure again (converting candidates if needed), and summarise."""
    from app.core.engine import active, record
    from app.core.model_setup import prepare_model
    from app.core.paths import Paths
    from app.core.settings import Settings

    paths, settings = Paths.resolve(), Settings()
    record.record_path(paths.models, active.record_key(active.Machine.current(), settings)).unlink(missing_ok=True)
    t0 = time.perf_counter()
    for _ in prepare_model(paths, settings):
        pass
    rec = active.current(paths, settings)
    return {"seconds": rec.seconds, "wall_s": round(time.perf_counter() - t0, 1), "why": rec.why,
            "label": rec.chosen.config.label(), "chosen": rec.chosen.config.to_json(),
            "trials": [t.to_json() for t in rec.trials]}


def _machine() -> dict:
    from app.core.engine.machine import Machine

    return Machine.current().to_json()


def _print_table(results: dict[str, dict]) -> None:
    torch = results.get("torch fp32")
    print("\n| model | file MB | load s | tokens/s | texts/s | vs torch | query ms median | p95 | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        if "failed" in r:
            print(f"| {name} | | | failed: {r['failed']} | | | | | |")
            continue
        ratio = f"{r['tokens_per_s'] / torch['tokens_per_s']:.2f}x" if torch else "n/a"
        print(
            f"| {name} | {r['file_mb']} | {r['load_s']} | {r['tokens_per_s']:.0f} | {r['texts_per_s']} | {ratio} "
            f"| {r['query_ms_median']} | {r['query_ms_p95']} | {r['peak_rss_mb']} |"
        )


if __name__ == "__main__":
    raise SystemExit(main())
