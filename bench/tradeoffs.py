"""Write resources/tradeoffs.json, the measurements the Settings dialog shows, from the bench outputs.

    python bench/tradeoffs.py

Reads bench/out/embed.json (bench/embed.py), quality.json (bench/quality.py),
search.json (bench/search.py, run with --dims 768,512,256,128), ocr.json
(bench/ocr.py) and ocr_languages.json (bench/ocr_languages.py); a section
whose input is missing keeps what resources/tradeoffs.json already says. The
fidelity column is the model-parity test's mean cosine at 768-d (see the
table in bench/RESULTS.md; the test asserts it, it does not write JSON).
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
TARGET = ROOT / "resources" / "tradeoffs.json"

# tests/integration/test_model_parity.py, mean cosine to the PyTorch reference at 768-d (bench/RESULTS.md).
COSINE_MEAN = {"F32": 1.0, "F16": 1.0, "BF16": 0.99999, "MIX_BF16": 0.99979, "MIX_F16": 0.99979,
               "Q8_0": 0.99964, "Q6_K": 0.99764, "Q5_K_M": 0.99458, "Q4_K_M": 0.98544, "Q4_0": 0.96414}


def main() -> int:
    # A section whose bench output is not here keeps what the file says (benches run on different days).
    data = json.loads(TARGET.read_text()) if TARGET.is_file() else {"dimension": {}, "quantization": {}}
    if (OUT / "quality.json").is_file() and (OUT / "search.json").is_file():
        data["dimension"] = _dimensions()
    if (OUT / "embed.json").is_file():
        embed = json.loads((OUT / "embed.json").read_text())["results"]
        data["quantization"].update({
            q: {"file_mb": round(e["file_mb"]), "tokens_per_s": round(e["tokens_per_s"]),
                "query_ms": e["query_ms_median"], "peak_rss_mb": e["peak_rss_mb"], "cosine_mean": COSINE_MEAN[q]}
            for q, e in embed.items() if q in COSINE_MEAN and "failed" not in e
        })
        data["quantization_measured_on"] = _machine_line(json.loads((OUT / "embed.json").read_text()))
    if (OUT / "ocr.json").is_file():
        data["ocr"] = _ocr(json.loads((OUT / "ocr.json").read_text()))
    if "ocr" in data and (OUT / "ocr_languages.json").is_file():
        languages = json.loads((OUT / "ocr_languages.json").read_text())["languages"]
        data["ocr"]["languages"] = {code: r["accuracy"] for code, r in languages.items()}
    data = {"source": "bench/RESULTS.md (bench/tradeoffs.py)", "dimension": data["dimension"],
            "quantization": data["quantization"],
            "quantization_measured_on": data.get("quantization_measured_on", "one test machine"),
            **({"ocr": data["ocr"]} if "ocr" in data else {})}
    TARGET.write_text(json.dumps(data, indent=2) + "\n")
    print(f"wrote {TARGET}")
    return 0


def _machine_line(embed: dict) -> str:
    """"AMD EPYC, 2 threads": the CPU the speed columns were measured on, for the dialog to say."""
    cpu = embed.get("machine", {}).get("cpu") or "one test machine"
    return f"{cpu}, {embed.get('threads', '?')} threads"


def _ocr(report: dict) -> dict:
    """Seconds per page over every set's pages; nDCG@10 of scanned PDFs and of their text layer, weighted
    by each set's number of queries (none from a ``--cost-only`` run: an older run's figures belong to the
    models it ran, so they go)."""
    sets = report["sets"].values()
    pages = sum(r["ocr_cost"]["pages"] for r in sets)
    seconds = sum(r["ocr_cost"]["seconds"] for r in sets)
    cpu = report.get("machine", {}).get("cpu") or "one test machine"
    cost = {"s_per_page": round(seconds / pages, 2), "measured_on": cpu}
    if all(r["ocr_cost"].get("cpu_s_per_page") for r in sets):  # the child's CPU time: robust to a busy machine
        cost["cpu_s_per_page"] = round(sum(r["ocr_cost"]["cpu_s_per_page"] * r["ocr_cost"]["pages"]
                                           for r in sets) / pages, 2)
    if not all("results" in r for r in sets):
        return cost
    queries = sum(r["queries"] for r in sets)

    def ndcg(label: str) -> float:
        return round(sum(r["results"][label]["ALL"]["nDCG@10"] * r["queries"] for r in sets) / queries, 3)

    return {**cost, "ndcg10_ocr": ndcg("scan"), "ndcg10_text": ndcg("text"), "queries": queries}


def _dimensions() -> dict:
    quality = json.loads((OUT / "quality.json").read_text())["results"]
    search = json.loads((OUT / "search.json").read_text())["scale"]
    at_100k = {r["dim"]: r for r in search if r["chunks"] == 100_000}
    dimension = {}
    for dim in (768, 512, 256, 128):
        r = at_100k[dim]
        dimension[str(dim)] = {
            "index_mb_per_10k_chunks": round(r["vector_index_bytes_per_chunk"] * 10_000 / 1e6, 1),
            "search_p95_ms_100k": r["p95_ms"],
            "recall_at_10_100k": r["recall_at_10"],
            "ndcg10": quality[f"hybrid {dim}"]["ALL"]["nDCG@10"],
        }
    return dimension


if __name__ == "__main__":
    raise SystemExit(main())
