"""A big real tree: first scan, rescan, the watcher's memory, the watch limit, and a new file until it is found.

    python bench/tree.py [--tree /tmp/gemseek-bench-tree] [--files 101000] [--folders 10500] [--repeat 5]

The tree (bench/tree_gen.py) is the eval corpus and /usr/share/doc copied
many times under varied names: by default 101,000 files (about 100,000 that
Gemseek looks at; the rest lie in .git, node_modules and __pycache__ folders
it skips) in 10,500 folders up to 14 deep, 1.5 GB. Made once, reused.

1. First scan: a new catalog, the indexer's plan (the walk, every file
   stat'ed, and the catalog diff; no reading, extraction or embedding).
2. The tree indexed once for keyword search (extraction and chunking through
   the real indexer, at most 4 passages per file to keep the catalog near
   300,000 passages; a fake embedder gives random vectors), kept beside the tree
   and reused. An older catalog is migrated as the app would (timed).
3. Rescan of the unchanged tree: the plan alone, and a whole sync (plan,
   forgetting, the embedding backlog check, orphan vectors, space, save).
4. The watcher alone in a child process: seconds to arm, inotify watches,
   RSS before and after.
5. The watch limit, for real: the same child in a user namespace whose
   max_inotify_watches is half the folder count (needs ``unshare -Ur``):
   how it falls back to polling, whether it gives its watches back, and
   how long until a new file is noticed by a poll.
6. A new file in the deepest folder, with the index service watching (the
   watcher and indexer of the app, fake embedder): seconds from writing it
   until keyword search finds it (the real model would add the embedding
   of one passage for vector search; keyword search is what is timed).

Prints and writes bench/out/tree.json; `uptime` is recorded at each step.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
import zlib
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np

from bench.tree_gen import make_tree
from bench.tree_watch import watch_child
from tests.helpers.fakes import FakeEmbedder

OUT = ROOT / "bench" / "out" / "tree.json"
MAX_PASSAGES = 4
DIM = 256


def _load() -> str:
    """The 1, 5 and 15-minute load averages (2 cores, shared: the figures are only as good as this)."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


class QuickEmbedder(FakeEmbedder):
    """The tests' fake embedder (its token counts, so passages are cut the same) with vectors that cost
    microseconds: a random vector seeded by the text. Nothing here measures vector search."""

    fingerprint = "bench-quick-1"

    def _vector(self, text: str) -> np.ndarray:
        return np.random.default_rng(zlib.crc32(text.encode("utf-8", "replace"))).standard_normal(768, np.float32)


def _store(home: Path):
    from app.core.paths import Paths
    from app.core.store import Store

    return Store(Paths.resolve(home), QuickEmbedder.fingerprint, DIM)


def _indexer(store):
    from app.core.indexer import Indexer, IndexOptions

    return Indexer(store, QuickEmbedder(), IndexOptions(max_passages=MAX_PASSAGES))


def _plan(store, tree: Path) -> tuple[float, int, int]:
    """Seconds of the indexer's plan of a whole sync, files to index, problems."""
    indexer = _indexer(store)
    t0 = time.perf_counter()
    plan = indexer._plan([tree], [tree], [], True)  # the scan part of sync(), without what follows it
    return time.perf_counter() - t0, len(plan.todo), len(plan.problems)


def first_scan(tree: Path, work: Path) -> dict:
    home = work / "first-scan-home"
    shutil.rmtree(home, ignore_errors=True)
    with _store(home) as store:
        seconds, todo, problems = _plan(store, tree)
    shutil.rmtree(home)
    return {"seconds": round(seconds, 1), "files_to_index": todo, "files_listed_as_unsupported": problems,
            "load": _load()}


def index_once(tree: Path, home: Path, stamp: dict) -> dict:
    """The tree's keyword index, made once and kept in ``home`` (its stamp says for which tree)."""
    mark = home / "bench-stamp.json"
    if mark.is_file() and json.loads(mark.read_text()).get("tree") == stamp:
        return json.loads(mark.read_text())["made"]
    shutil.rmtree(home, ignore_errors=True)
    t0 = time.perf_counter()
    with _store(home) as store:
        for _ in _indexer(store).sync([tree]):
            pass
        stats = store.catalog.stats()
    made = {"seconds": round(time.perf_counter() - t0), "files": stats.files, "passages": stats.chunks,
            "skipped": stats.skipped_files, "load": _load()}
    mark.write_text(json.dumps({"tree": stamp, "made": made}))
    return made


def rescan(tree: Path, home: Path) -> dict:
    from app.core.catalog import Catalog
    from app.core.store import catalog_path

    t0 = time.perf_counter()
    Catalog(catalog_path(_paths(home))).close()  # an older catalog migrates here, as in the app
    out = {"open_and_migrate_s": round(time.perf_counter() - t0, 1)}
    with _store(home) as store:
        t0 = time.perf_counter()
        for _ in _indexer(store).sync([tree]):
            pass
        out["first_sync_s"] = round(time.perf_counter() - t0, 1)  # an older catalog is compacted here
        out["plan_s"], out["plan_files_to_index"], _ = (round(v, 1) for v in _plan(store, tree))
        t0 = time.perf_counter()
        for _ in _indexer(store).sync([tree]):
            pass
        out["sync_s"] = round(time.perf_counter() - t0, 1)
        out["passages"] = store.catalog.stats().chunks
    out["catalog_bytes"] = sum(f.stat().st_size for f in catalog_path(_paths(home)).parent.glob("catalog.sqlite*"))
    out["load"] = _load()
    return out


def _paths(home: Path):
    from app.core.paths import Paths

    return Paths.resolve(home)


def watch_limit(tree: Path, folders: int) -> dict:
    """The watcher child in a user namespace allowed half the watches the tree needs."""
    if shutil.which("unshare") is None:
        return {"skipped": "no unshare"}
    limit = folders // 2
    script = (f"echo {limit} > /proc/sys/user/max_inotify_watches && "
              f"exec {sys.executable} {__file__} --child {tree} --poll 5 --touch")
    out = subprocess.run(["unshare", "-Ur", "sh", "-c", script], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        return {"skipped": f"user namespace refused: {out.stderr.strip()[-300:]}"}
    return {"max_user_watches": limit, **json.loads(out.stdout.strip().splitlines()[-1]), "load": _load()}


def watcher_alone(tree: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", str(tree), "--poll", "60"], capture_output=True,
                         text=True, check=True)
    return {**json.loads(out.stdout.strip().splitlines()[-1]), "load": _load()}


def new_file_found(tree: Path, home: Path, deepest: Path, repeat: int) -> dict:
    """Seconds from writing a file in the deepest folder until keyword search finds it, the service watching."""
    from app.core.progress import Cancelled, CancelToken
    from app.core.search import Searcher
    from app.core.services import IndexService
    from app.core.settings import Settings
    from app.core.store import Store

    settings = Settings(roots=(str(tree),), dimension=DIM)
    service = IndexService(_paths(home), settings, embedder=QuickEmbedder())
    cancel = CancelToken()

    def watch() -> None:
        try:
            for _ in service.watch(cancel, poll=0.05, catch_up=False):
                pass
        except Cancelled:
            pass  # the end of the step

    worker = threading.Thread(target=watch, daemon=True)
    worker.start()
    time.sleep(5)  # arming 10,500 folders
    reader = Store(_paths(home), QuickEmbedder.fingerprint, DIM, readonly=True)
    searcher = Searcher(reader, None)
    def found(word: str, target: Path) -> bool:
        return target in [r.path for r in searcher.search(word, 5, mode="keyword")]

    waits, in_catalog, targets = [], [], []
    try:
        run = "".join(chr(97 + int(d)) for d in str(time.time_ns() // 1000)[-8:])  # new words every run
        for k in range(repeat):
            word = f"zebraquokka{run}{chr(97 + k)}"  # in no file (nor in a note an earlier run left in the catalog)
            target = deepest / f"new note {run} {k}.txt"
            targets.append(target)
            t0 = time.perf_counter()
            target.write_text(f"A new note about the {word} migration, written while Gemseek watches.\n")
            in_catalog.append(_until(partial(reader.catalog.fts_search, f'"{word}"', 5), t0))  # FTS5 has it
            waits.append(_until(partial(found, word, target), t0))  # the app's search finds it
            time.sleep(3)  # let the sync that stored it end (save, backlog) before the next
    finally:
        cancel.cancel()
        worker.join(60)
        reader.close()
        service.close()
        for target in targets:
            target.unlink(missing_ok=True)
    return {"seconds": [round(w, 2) for w in waits], "median_s": round(statistics.median(waits), 2),
            "max_s": round(max(waits), 2), "in_catalog_median_s": round(statistics.median(in_catalog), 2),
            "depth": len(deepest.parts), "load": _load()}


def _until(found, t0: float) -> float:
    """Seconds since ``t0`` when ``found()`` first holds (polled every 20 ms; at most a minute)."""
    while not found():
        if time.perf_counter() - t0 > 60:
            raise SystemExit("not found after 60 s")
        time.sleep(0.02)
    return time.perf_counter() - t0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tree", type=Path, default=Path("/tmp/gemseek-bench-tree"))
    p.add_argument("--files", type=int, default=101_000)
    p.add_argument("--folders", type=int, default=10_500)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--steps", help="comma-separated steps to run (default: all); the tree and index are reused")
    p.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--poll", type=float, default=60.0, help=argparse.SUPPRESS)
    p.add_argument("--touch", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(watch_child(args.child, args.poll, args.touch)))
        return 0
    tree = args.tree / "tree"
    info = make_tree(tree, args.files, args.folders)
    results = {"tree": info, "cpu": _cpu(), "load_at_start": _load()}
    steps = [
        ("first_scan", lambda: first_scan(tree, args.tree)),
        ("keyword_index", lambda: index_once(tree, args.tree / "home", info)),
        ("rescan_unchanged", lambda: rescan(tree, args.tree / "home")),
        ("watcher", lambda: watcher_alone(tree)),
        ("watch_limit", lambda: watch_limit(tree, info["folders_made"])),
        ("new_file_keyword_searchable", lambda: new_file_found(tree, args.tree / "home", Path(info["deepest"]),
                                                               args.repeat)),
    ]
    wanted = args.steps.split(",") if args.steps else [name for name, _ in steps]
    if args.steps and OUT.is_file():  # keep the other steps' figures from the last run
        results = {**json.loads(OUT.read_text()), **results}
    for name, step in steps:
        if name not in wanted:
            continue
        results[name] = step()
        print(name, json.dumps(results[name]), flush=True)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {OUT}")
    return 0


def _cpu() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    except OSError:
        return os.uname().machine
    return next((line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name")), "")


if __name__ == "__main__":
    raise SystemExit(main())
