"""Fidelity table: cosine to the original model over the 223 reference texts, per type, at every Matryoshka size.

    python bench/fidelity.py [--types MIX_BF16,MIX_F16,Q8_0]

The parity test (tests/integration/test_model_parity.py) holds each type to
its bounds; this prints the numbers. GGUF files come from the models folder,
or are converted into a temporary folder. Each file is opened only the way an
engine probe child ran it correctly on this machine (a quick probe first).
Writes bench/out/fidelity.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.embed import _gguf_for
from bench.shared import shared_dir

OUT = ROOT / "bench" / "out" / "fidelity.json"
DIMS = (768, 512, 256, 128)


def measure(path: Path, qtype: str) -> dict:
    import numpy as np

    from app.core.embedder import LlamaEmbedder, truncate
    from app.core.engine.machine import Machine
    from app.core.engine.probe import Candidate, Prober
    from app.core.model import gguf_info

    fixtures = shared_dir() / "fixtures" / "embeddinggemma-reference"
    texts = json.loads((fixtures / "texts.json").read_text(encoding="utf-8"))["texts"]
    ref = np.load(fixtures / "reference-768.npy")
    info = gguf_info(path, qtype)
    rec = Prober(Machine.current(), allowed=(qtype,)).run([Candidate(qtype, path, info.fingerprint, info.size)],
                                                         "bench", quick=True)
    if rec.chosen is None:
        return {"failed": "; ".join(t.reason for t in rec.trials)}
    emb = LlamaEmbedder(path, engine=rec.chosen.config)
    got = emb.embed_prompts(texts)
    emb.close()
    out = {"file_mb": round(path.stat().st_size / 1e6, 1)}
    for d in DIMS:
        cos = np.sum(truncate(got, d) * truncate(ref, d), axis=1)
        out[str(d)] = [round(float(cos.mean()), 5), round(float(cos.min()), 5)]
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--types", default="MIX_BF16,MIX_F16,Q8_0")
    args = p.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for qtype in args.types.split(","):
            results[qtype] = measure(_gguf_for(qtype, Path(tmp)), qtype)
    print("| type | file MB | " + " | ".join(f"{d}-d" for d in DIMS) + " |")
    print("|---|---|" + "---|" * len(DIMS))
    for qtype, r in results.items():
        if "failed" in r:
            print(f"| {qtype} | failed: {r['failed']} |")
            continue
        print(f"| {qtype} | {r['file_mb']} | " + " | ".join(f"{r[str(d)][0]:.5f} / {r[str(d)][1]:.5f}"
                                                        for d in DIMS) + " |")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
