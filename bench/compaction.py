"""Compaction's memory: one graph rebuilt whole (the design before segments) against one segment at a time.

    python bench/compaction.py [--n 1000000] [--dim 256] [--removed 0.3]

Each design runs in a child process of its own: it builds an index of N
random unit vectors, removes a share of them (from one segment for the
segmented index: what makes a segment worth compacting; spread over the whole
graph for the single one, which compacts once a quarter is removed), then
compacts. Reported per design: resident memory before compacting, its peak
while compacting (sampled every 10 ms: VmHWM would also hold the build's),
and the time.

Writes bench/out/compaction.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out" / "compaction.json"


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _vectors(n: int, dim: int, seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _peak_while(work) -> tuple[float, float]:
    """(peak resident MB sampled every 10 ms while ``work()`` runs, its seconds)."""
    peak, done = [_rss_mb()], threading.Event()

    def sample() -> None:
        while not done.wait(0.01):
            peak[0] = max(peak[0], _rss_mb())

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    started = time.perf_counter()
    work()
    seconds = time.perf_counter() - started
    done.set()
    t.join()
    return max(peak[0], _rss_mb()), seconds


def child(design: str, n: int, dim: int, removed: float) -> dict:
    import hnswlib

    from app.core import vectors
    from app.core.vectors import VectorIndex

    ids = np.arange(1, n + 1)
    if design == "segments":
        index = VectorIndex(dim, "m")
        for start in range(0, n, 50_000):
            index.add(ids[start : start + 50_000], _vectors(min(50_000, n - start), dim, start))
        segment = index._segments[0]
        gone = segment.live_labels()[: int(segment.count * removed)]
        index.remove(gone)
        before = _rss_mb()
        peak, seconds = _peak_while(index.compact)
        return {"design": design, "segments": index.segments, "removed": len(gone), "rss_mb_before": round(before),
                "rss_mb_peak": round(peak), "extra_mb": round(peak - before), "s": round(seconds, 1)}
    # The design before: one graph; compaction read every live vector as float32, then built a new graph.
    graph = hnswlib.Index(space="ip", dim=dim)
    graph.init_index(max_elements=n, ef_construction=vectors.EF_CONSTRUCTION, M=vectors.M)
    for start in range(0, n, 50_000):
        graph.add_items(_vectors(min(50_000, n - start), dim, start), ids[start : start + 50_000])
    gone = ids[: int(n * removed)]
    for i in gone:
        graph.mark_deleted(int(i))
    live = ids[len(gone):]
    before = _rss_mb()

    def compact() -> None:
        vecs = np.asarray(graph.get_items(live), dtype=np.float32)
        fresh = hnswlib.Index(space="ip", dim=dim)
        fresh.init_index(max_elements=int(len(live) * 1.5), ef_construction=vectors.EF_CONSTRUCTION, M=vectors.M)
        fresh.add_items(vecs, live)

    peak, seconds = _peak_while(compact)
    return {"design": design, "segments": 1, "removed": len(gone), "rss_mb_before": round(before),
            "rss_mb_peak": round(peak), "extra_mb": round(peak - before), "s": round(seconds, 1)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=1_000_000)
    p.add_argument("--dim", type=int, default=256)
    p.add_argument("--removed", type=float, default=0.3)
    p.add_argument("--child", nargs=1, metavar="DESIGN", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], args.n, args.dim, args.removed)), flush=True)
        return 0
    results = {"n": args.n, "dim": args.dim, "load": os.getloadavg(), "designs": []}
    for design in ("single", "segments"):
        out = subprocess.run([sys.executable, __file__, "--child", design, "--n", str(args.n), "--dim",
                              str(args.dim), "--removed", str(args.removed)], capture_output=True, text=True)
        if out.returncode != 0:
            raise SystemExit(out.stderr[-2000:])
        results["designs"].append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(results["designs"][-1], flush=True)
    results["load_after"] = os.getloadavg()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
