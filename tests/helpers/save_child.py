"""Save a changing vector index again and again (the vector crash test kills it mid-save or mid-compaction).

    python -m tests.helpers.save_child PATH

Continues from the index saved at PATH (or starts one); each round adds
vectors, removes most of the older ones (so that saves compact the graph)
and saves under the next generation, then prints ``saved GENERATION COUNT``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from app.core.vectors import VectorIndex

DIM = 64


def main(path: str) -> int:
    target = Path(path)
    index = VectorIndex.load(target, DIM, "fake") or VectorIndex(DIM, "fake", capacity=4096)
    generation = max(index.generation, 0)
    rng = np.random.default_rng(generation)
    next_id = max(index.ids(), default=0) + 1
    while True:
        n = 6000
        vecs = rng.standard_normal((n, DIM)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        index.add(np.arange(next_id, next_id + n), vecs)
        next_id += n
        live = sorted(index.ids())
        index.remove(live[: int(len(live) * 0.4)])  # a quarter removed soon: saves compact
        generation += 1
        index.save(target, generation, (1, next_id))
        print(f"saved {generation} {len(index.ids())}", flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
