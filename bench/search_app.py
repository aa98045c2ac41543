"""One point of bench/search.py as the desktop app runs it: memory, edit to searchable, bytes written per edit.

    python bench/search_app.py HOME DIM [--edits 20] [--new-files 60] [--idle-s SECONDS]

Run by bench/search.py in a child process of its own (so the peak resident
memory is this scenario's only), on a home whose catalog already holds the
point's synthetic passages (their small files under HOME/files) and a saved
vector index. Like the app: an index service and a search service, each with
its own model context on one shared model, sharing one vector index through a
VectorPool, each unloading the model after --idle-s unused (the app's
MODEL_IDLE_S by default); the watcher started, then a full catch-up walk (every
file found unchanged). Steps, each measured:

1. idle: both services open and caught up, every eval query answered once
   (``rss_mb_idle_model_loaded``); then, once both have gone --idle-s unused
   and let the model go, ``rss_mb_idle``; then the search box is shown (the
   model loads again) and a query answered: ``first_query_after_idle_ms``
   (without the warm-up: ``cold_query_ms``);
2. edits: one small file at a time is overwritten with text unlike any other,
   and the clock runs from the write until a search ranks it first; the bytes
   the process wrote (``/proc/self/io`` write_bytes: SQLite, its WAL, any save
   of the index) are divided by the number of edits;
3. indexing while searching: --new-files files of a few passages are dropped
   in at once and indexed by the watcher while a search runs every 0.5 s;
4. a save of the vector index as the schedule would make it (its bytes, its
   time, and its share per edit: the schedule saves once 2 % of the index, at
   least 1,000 entries, changed);
5. compaction: 35 % of the largest segment removed (in memory only), then
   compacted.

Resident memory is sampled every 20 ms throughout; the peak is VmHWM. Prints
one JSON object.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.corpus import eval_queries
from bench.shared import open_embedder, status_mb

PHRASES = ["a purple elephant plays the violin", "quantum tomato soup recipe for astronauts",
           "the lighthouse keeper's lost umbrella", "volcano insurance claim for a bakery",
           "origami instructions for a paper dinosaur", "a submarine made of cardboard boxes",
           "the accordion tuning guide for penguins", "haunted lawnmower repair manual",
           "marathon training plan for tortoises", "jellyfish knitting pattern in blue wool"]


def _written() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("write_bytes:"):
            return int(line.split()[1])
    return 0


class Sampler(threading.Thread):
    """Resident memory every 20 ms; ``peak(since)`` is the highest seen since a mark."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[tuple[float, float]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.02):
            self.samples.append((time.monotonic(), status_mb("VmRSS")))

    def peak(self, since: float) -> float:
        return max((mb for t, mb in self.samples if t >= since), default=status_mb("VmRSS"))


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def _wait_first(search, phrase: str, target: Path, limit: float = 60.0) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        top = search.search(phrase, 1)
        if top and top[0].path == target:
            return time.perf_counter() - started
        time.sleep(0.02)
    print(f"not found first after {limit:.0f} s: {phrase}", file=sys.stderr, flush=True)
    return limit


def _wait_unloaded(embedders, limit: float) -> float:
    started = time.perf_counter()
    while any(e.loaded for e in embedders) and time.perf_counter() - started < limit:
        time.sleep(0.5)
    return time.perf_counter() - started


def run(home: Path, dim: int, edits: int, new_files: int, idle_s: float) -> dict:
    from app.core import settings as settings_mod
    from app.core.llama_backend import loaded_models
    from app.core.paths import Paths
    from app.core.progress import CancelToken
    from app.core.services import QUERY_BATCH_TOKENS, IndexService, SearchService
    from app.core.vector_pool import VectorPool

    sampler = Sampler()
    sampler.start()
    paths = Paths.resolve(home)
    root = home / "files"
    settings = settings_mod.load(paths.settings_file).replace(roots=(str(root),), dimension=dim)
    files = []
    for i in range(edits):
        f = root / f"d{i % 10}" / f"note-{i}.txt"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(f"Note {i} about the weekly meeting and the garden.")
        files.append(f)
    pool = VectorPool()
    opened = time.perf_counter()
    steps: list[float] = []  # when indexing reported progress: where an index thread could answer a search
    rss = {"start": status_mb("VmRSS")}
    service = IndexService(paths, settings, on_progress=lambda p: steps.append(time.monotonic()),
                           embedder=open_embedder(paths, settings), pool=pool)
    rss["index_service"] = status_mb("VmRSS")
    second = open_embedder(paths, settings, QUERY_BATCH_TOKENS)  # as SearchService opens its own
    rss["second_model"] = status_mb("VmRSS")
    models = loaded_models()
    for e in (service.embedder, second):
        e.unload_when_idle(idle_s)
    search = SearchService(paths, settings, second, pool=pool)
    rss["search_service"] = status_mb("VmRSS")
    open_s = time.perf_counter() - opened
    cancel = CancelToken()
    caught_up = threading.Event()
    t = time.perf_counter()

    def watch() -> None:
        for batch, _ in service.watch(cancel, poll=0.1):
            if batch is None:
                caught_up.set()

    watching = threading.Thread(target=watch, daemon=True)
    watching.start()
    caught_up.wait()
    catch_up_s = time.perf_counter() - t
    for q in eval_queries():
        search.search(q, 10)
    gc.collect()
    time.sleep(2)
    idle_loaded = status_mb("VmRSS")
    unloading_s = _wait_unloaded([service.embedder, second], idle_s + 60)
    time.sleep(1)
    idle = status_mb("VmRSS")
    t = time.perf_counter()
    search.warm()  # the search box is shown
    warm_s = time.perf_counter() - t
    time.sleep(0.5)  # the user types
    t = time.perf_counter()
    search.search("weekly meeting garden report", 10)
    first_query_ms = (time.perf_counter() - t) * 1000
    for e in (second, service.embedder):
        e.unload()  # as after the idle time again, without waiting for it
    t = time.perf_counter()
    search.search("weekly meeting garden report", 10)
    cold_query_ms = (time.perf_counter() - t) * 1000

    before = _written()
    waits = []
    for k, f in enumerate(files):
        phrase = f"{PHRASES[k % len(PHRASES)]} number {k}"
        f.write_text(f"Edited note: {phrase}.")
        waits.append(_wait_first(search, phrase, f))
    edit_bytes = (_written() - before) / max(len(files), 1)

    mark = time.monotonic()
    steps.clear()
    latencies, after_embedding = [], []
    words = " ".join(PHRASES).split()
    for i in range(new_files):
        body = "\n\n".join(f"Section {j} of report {i}: " + " ".join(words[(i + j + n) % len(words)]
                                                                       for n in range(60)) for j in range(3))
        (root / "new" / f"report-{i}.txt").parent.mkdir(exist_ok=True)
        (root / "new" / f"report-{i}.txt").write_text(body)
    target = root / "new" / f"report-{new_files - 1}.txt"
    deadline = time.monotonic() + 1800
    while time.monotonic() < deadline:
        t = time.perf_counter()
        search.search("weekly meeting garden report", 10)
        latencies.append((time.perf_counter() - t) * 1000)
        timings = search.searcher.last_timings
        after_embedding.append((timings["total"] - timings["embed"]) * 1000)
        if not search.store.pending_vectors() and target.name in {r.path.name for r in search.search(
                f"Section 2 of report {new_files - 1}", 30)}:
            break
        time.sleep(0.5)  # someone typing a query now and then, not a search loop starving the indexer
    indexing_s = time.monotonic() - mark
    indexing_peak = sampler.peak(mark)
    gaps = [b - a for a, b in itertools.pairwise(steps)]

    before, t = _written(), time.perf_counter()
    index = service.store.vectors
    entries = len(index)
    service.store.save()
    save = {"bytes": _written() - before, "s": round(time.perf_counter() - t, 1), "segments": index.segments}

    mark, t = time.monotonic(), time.perf_counter()
    biggest = max(index._segments, key=lambda s: s.live)
    gone = biggest.live_labels()[: int(biggest.live * 0.35)]
    index.remove(gone)
    index.compact()
    compact = {"removed": len(gone), "s": round(time.perf_counter() - t, 1), "rss_mb_peak": round(sampler.peak(mark))}
    index.unsaved = 0  # those removals were in memory only: closing must not save them

    cancel.cancel()
    watching.join(30)
    search.close()
    service.close()
    sampler.stop.set()
    threshold = max(1000, 0.02 * entries)
    return {
        "dim": dim, "entries": entries, "open_s": round(open_s, 1), "catch_up_s": round(catch_up_s, 1),
        "rss_mb_opening": {k: round(v) for k, v in rss.items()},
        "native_models_loaded": models,
        "rss_mb_idle_model_loaded": round(idle_loaded), "rss_mb_idle": round(idle),
        "idle_s": idle_s, "unloaded_after_s": round(unloading_s, 1), "warm_s": round(warm_s, 2),
        "first_query_after_idle_ms": round(first_query_ms, 1), "cold_query_ms": round(cold_query_ms, 1),
        "rss_mb_peak": round(status_mb("VmHWM")),
        "edit_to_searchable_s": [round(w, 2) for w in waits],
        "edit_to_searchable_p50_s": round(statistics.median(waits), 2),
        "edit_to_searchable_p95_s": round(_p95(waits), 2),
        "bytes_written_per_edit": round(edit_bytes),
        # A save comes once `threshold` entries changed; an edit of one small file changes about 2 (1 out, 1 in).
        "bytes_written_per_edit_with_saves": round(edit_bytes + save["bytes"] * 2 / threshold),
        "save": save,
        "indexing": {"files": new_files, "s": round(indexing_s, 1), "rss_mb_peak": round(indexing_peak),
                     "search_ms_p50": round(statistics.median(latencies), 1),
                     "search_ms_p95": round(_p95(latencies), 1),
                     "search_ms_after_embedding_p50": round(statistics.median(after_embedding), 1),
                     "search_ms_after_embedding_p95": round(_p95(after_embedding), 1),
                     "searches": len(latencies),
                     # If the index thread answered searches itself, a query would wait for the step under way.
                     "index_step_s_p50": round(statistics.median(gaps), 2) if gaps else None,
                     "index_step_s_p95": round(_p95(gaps), 2) if gaps else None,
                     "index_step_s_max": round(max(gaps), 2) if gaps else None},
        "compaction": compact,
        "load": os.getloadavg(),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("home", type=Path)
    p.add_argument("dim", type=int)
    p.add_argument("--edits", type=int, default=20)
    p.add_argument("--new-files", type=int, default=60)
    p.add_argument("--idle-s", type=float, default=None, help="unload the model after this long unused "
                   "(default: the app's MODEL_IDLE_S)")
    args = p.parse_args()
    from app.core.services import MODEL_IDLE_S

    idle_s = MODEL_IDLE_S if args.idle_s is None else args.idle_s
    print(json.dumps(run(args.home, args.dim, args.edits, args.new_files, idle_s)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
