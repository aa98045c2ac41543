"""kill -9 at hundreds of random moments of real work; count the stores that fail to reopen and the files lost.

    python bench/reliability.py [--index-kills 100] [--save-kills 40] [--switch-kills 40] [--install-kills 40]

Four kinds of work run in a child process that is killed (SIGKILL) after a
random delay, again and again; after every kill the files are opened as the
next start would open them and checked:

- indexing (the real indexer, extraction child and stores; a fake model) of
  300 notes: the catalog passes SQLite's integrity check, passages, full-text
  rows and vectors agree, the vector index holds exactly the catalog's
  passages, and every file indexed before a kill is still indexed after it;
- vector saves with compaction: the newest complete save loads straight from
  its files (no rebuild), never one a kill cut short;
- a model switch (index dimension 256 ↔ 128, fake model A ↔ B, so the vector
  index is rebuilt and every passage re-embedded) over the indexed notes, with
  the same checks as indexing;
- a checkpoint install (about 40 MB, copied, verified and swapped in): after
  each kill the next start finds a verified copy without any source at hand.

Writes bench/out/reliability.json. The test suite runs a smaller version of
the first two (tests/integration/test_crash_safety.py, test_vector_crash.py).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core.checkpoint import is_checkpoint_ready
from app.core.fetch import fetch_checkpoint
from app.core.paths import Paths
from app.core.store import catalog_path
from app.core.vectors import VectorIndex
from tests.helpers.consistency import check_consistent, indexed_files, make_corpus
from tests.helpers.install_child import MANIFEST, big_files
from tests.helpers.save_child import DIM
from tests.helpers.wheels import write_tree

OUT = ROOT / "bench" / "out" / "reliability.json"
def _kill_after(cmd: list[str], delay: float, env: dict | None = None) -> tuple[bool, str]:
    """Start ``cmd``, SIGKILL it after ``delay`` s; (whether it had finished by itself, its stdout)."""
    child = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    time.sleep(delay)
    finished = child.poll() is not None
    if not finished:
        child.send_signal(signal.SIGKILL)
    out, _ = child.communicate()
    return finished, out


def _check_index(paths: Paths, before: set[bytes], dim: int, model: str, complete: bool,
                 failures: list[str]) -> set[bytes]:
    if not catalog_path(paths).exists():
        return before
    try:
        check_consistent(paths, dim, model, complete=complete)
    except AssertionError as exc:
        where = traceback.extract_tb(exc.__traceback__)[-1]
        failures.append(f"inconsistent after a kill ({dim}-d, {model}): {str(exc) or where.line}")
    now = indexed_files(paths)
    if before - now:
        failures.append(f"{len(before - now)} files indexed before a kill were gone after it")
    return now | before


def index_kills(work: Path, kills: int, rng: random.Random, *, switch: bool) -> dict:
    """Kill indexing (or, with ``switch``, indexing under alternating dimensions and models) ``kills`` times."""
    root = work / "corpus"
    make_corpus(root, 300, markdown_only=True)
    paths = Paths.resolve(work / "home")
    failures: list[str] = []
    known: set[bytes] = set()
    done = finished = 0
    dim, model = 256, "fake-bow-1"
    if switch:  # start from a complete index of the first model
        subprocess.run([sys.executable, "-m", "tests.helpers.index_child", str(work / "home"), str(root)],
                       cwd=ROOT, check=True, capture_output=True)
        known = indexed_files(paths)
    while done < kills:
        if switch:
            dim, model = rng.choice([(256, "fake-bow-1"), (128, "fake-bow-1"), (256, "fake-bow-2"),
                                     (128, "fake-bow-2")])
        env = {**os.environ, "GEMSEEK_TEST_DIM": str(dim), "GEMSEEK_TEST_MODEL": model}
        ended, _ = _kill_after([sys.executable, "-m", "tests.helpers.index_child", str(work / "home"), str(root)],
                               rng.uniform(0.05, 1.5), env)
        if ended:
            finished += 1
            if not switch:  # all indexed: start over on a fresh home so the kills keep landing in work
                known = _check_index(paths, known, dim, model, True, failures)  # finished: all embedded
                _reset(work / "home")
                known = set()
                continue
        else:
            done += 1
        # Killed while embedding (keywords come first) or switching: some passages may wait for vectors.
        known = _check_index(paths, known, dim, model, ended and not switch, failures)
    return {"kills": done, "runs_that_finished": finished, "failures": failures}


def _reset(home: Path) -> None:
    import shutil

    shutil.rmtree(home, ignore_errors=True)


def save_kills(work: Path, kills: int, rng: random.Random) -> dict:
    path = work / "vectors-64.hnsw"
    failures: list[str] = []
    newest = 0
    for _ in range(kills):
        _, out = _kill_after([sys.executable, "-m", "tests.helpers.save_child", str(path)], rng.uniform(0.3, 2.5))
        done = [line.split() for line in out.splitlines() if line.startswith("saved ")]
        if done:
            newest = int(done[-1][1])
        if newest == 0:
            continue
        loaded = VectorIndex.load(path, DIM, "fake")
        if loaded is None:
            failures.append(f"no index loads after a kill (newest complete save: {newest})")
        elif loaded.generation < newest:
            failures.append(f"an older save loaded ({loaded.generation} < {newest})")
    return {"kills": kills, "newest_generation": newest, "failures": failures}


def install_kills(work: Path, kills: int, rng: random.Random) -> dict:
    source = write_tree(work / "downloaded", big_files())
    paths = Paths.resolve(work / "home")
    for _ in fetch_checkpoint(paths, str(source), manifest=MANIFEST):
        pass  # one good copy first: from then on there must always be one
    failures: list[str] = []
    installs = 0
    for _ in range(kills):
        _, out = _kill_after([sys.executable, "-m", "tests.helpers.install_child", str(work / "home"), str(source)],
                             rng.uniform(0.2, 2.0))
        installs += sum(1 for line in out.splitlines() if line.startswith("installed "))
        try:  # the next start, with no source at hand: it must find (or put back) a verified copy
            for _ in fetch_checkpoint(paths, str(work / "nowhere"), manifest=MANIFEST):
                pass
            if not is_checkpoint_ready(paths, MANIFEST):
                failures.append("no verified checkpoint after a kill")
        except Exception as exc:
            failures.append(f"no checkpoint after a kill: {exc}")
        leftovers = [p.name for p in paths.models.glob(".embeddinggemma-300m.*")]
        if leftovers:
            failures.append(f"left behind: {leftovers}")
    return {"kills": kills, "installs_completed": installs, "failures": failures}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index-kills", type=int, default=100)
    ap.add_argument("--save-kills", type=int, default=40)
    ap.add_argument("--switch-kills", type=int, default=40)
    ap.add_argument("--install-kills", type=int, default=40)
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    started = time.monotonic()
    results = {}
    with tempfile.TemporaryDirectory(prefix="gemseek-reliability-") as tmp:
        tmp = Path(tmp)
        for name, run in (("indexing", lambda w: index_kills(w, args.index_kills, rng, switch=False)),
                          ("vector saves and compaction", lambda w: save_kills(w, args.save_kills, rng)),
                          ("model switch", lambda w: index_kills(w, args.switch_kills, rng, switch=True)),
                          ("checkpoint install", lambda w: install_kills(w, args.install_kills, rng))):
            work = tmp / name.replace(" ", "-")
            work.mkdir()
            t = time.monotonic()
            results[name] = {**run(work), "seconds": round(time.monotonic() - t, 1)}
            r = results[name]
            print(f"{name:28s} {r['kills']:4d} kills  {len(r['failures'])} failures  ({r['seconds']} s)", flush=True)
            for f in r["failures"][:5]:
                print(f"    {f}")
    total = sum(r["kills"] for r in results.values())
    bad = sum(len(r["failures"]) for r in results.values())
    print(f"{'all':28s} {total:4d} kills  {bad} failures  ({time.monotonic() - started:.0f} s)")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"machine": platform.processor() or platform.machine(), "seed": args.seed,
                               "results": results, "kills": total, "failures": bad}, indent=2))
    print(f"wrote {OUT}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
