"""The watcher alone on a big tree, as bench/tree.py's child process: time to arm, watches, memory, polling.

Run in a process of its own so that its RSS is the watcher's (and the
interpreter's), and, for the watch-limit step, inside a user namespace whose
inotify limit was lowered.
"""

from __future__ import annotations

import os
import time
from pathlib import Path


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def inotify_watches() -> int:
    """Watches this process holds, from its inotify descriptors' fdinfo."""
    count = 0
    for fd in os.listdir("/proc/self/fdinfo"):
        try:
            count += Path(f"/proc/self/fdinfo/{fd}").read_text().count("inotify wd:")
        except OSError:
            continue
    return count


def watch_child(tree: Path, poll: float, touch: bool) -> dict:
    """Start a Watcher on ``tree``; with ``touch``, also time how long until a new deep file is handed out."""
    from app.core.watcher import Watcher

    before = rss_mb()
    watcher = Watcher([tree], poll_interval=poll)
    t0 = time.perf_counter()
    watcher.start()
    out = {"arm_s": round(time.perf_counter() - t0, 2), "rss_mb_before": before}
    time.sleep(2 * min(poll, 2.0) + 0.5)  # the watcher thread handles what arming reported
    out.update(rss_mb=rss_mb(), watches=inotify_watches(), mode=next(iter(watcher.status()["roots"].values())))
    if touch:
        out["new_file_noticed_s"] = _noticed(watcher, tree)
    watcher.stop()
    out["watches_after_stop"] = inotify_watches()
    return out


def _noticed(watcher, tree: Path) -> float | None:
    """Seconds until a batch names a new file in the deepest folder, or a rescan covering it."""
    deepest = max((Path(d) for d, _, _ in os.walk(tree)), key=lambda d: len(d.parts))
    target = deepest / "noticed.txt"
    while watcher.get(timeout=0.2) is not None:
        pass  # what arming announced (a falling-back root is rescanned at once) is not this file
    t0 = time.perf_counter()
    target.write_text("new")
    try:
        while time.perf_counter() - t0 < 120:
            batch = watcher.get(timeout=1)
            if batch and (target in batch.paths or any(target.is_relative_to(f) for f in batch.rescan)):
                return round(time.perf_counter() - t0, 2)
        return None
    finally:
        target.unlink()
