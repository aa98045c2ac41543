"""Write resources/engine-probe.json: the texts the engine probe embeds, with the original model's vectors.

    python bench/probe_set.py

The probe (app/core/engine) checks every configuration it tries against the
original sentence-transformers model, so a kernel that runs but computes
wrong numbers is caught. It takes a few passages and queries of
../shared/fixtures/embeddinggemma-reference (prompts included, as the
fixture stores them) with their reference vectors: long and short, English,
German, French, Chinese and code, and queries in English, German and Japanese,
about 600 tokens in all: a pass takes under a second on a fast 2-core machine, a few on a slow one.
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.shared import shared_dir

PASSAGES = (35, 178, 168, 164, 166)  # licence (209 tokens), zh (99), fr (91), code (85), de (61)
QUERIES = (191, 199, 219, 220)  # en, en, de, ja
OUT = ROOT / "resources" / "engine-probe.json"


def main() -> int:
    fixtures = shared_dir() / "fixtures" / "embeddinggemma-reference"
    data = json.loads((fixtures / "texts.json").read_text(encoding="utf-8"))
    ref = np.load(fixtures / "reference-768.npy").astype(np.float32)
    picked = [*PASSAGES, *QUERIES]
    record = {
        "about": "Texts (prompts included) and the original model's 768-d vectors, from "
                 "shared/fixtures/embeddinggemma-reference; written by bench/probe_set.py.",
        "passages": [data["texts"][i] for i in PASSAGES],
        "queries": [data["texts"][i] for i in QUERIES],
        "tokens": [len(data["ref_token_ids"][i]) for i in picked],
        "reference_f32_b64": base64.b64encode(ref[picked].tobytes()).decode(),
    }
    OUT.write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({len(picked)} texts, {sum(record['tokens'])} tokens)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
