"""Watch roots under a real inotify limit and report what the watcher did, as JSON (run in a user namespace).

    python -m tests.helpers.watch_limit_child SMALL BIG

The parent lowers ``/proc/sys/user/max_inotify_watches`` in a fresh user
namespace so that SMALL fits and SMALL plus BIG does not. Reports each
root's mode and the watches held after arming; how a new file in each root
is handed out (as the file itself: an event, or as a rescan of its root: a
poll); then, after folders are added to SMALL past the limit, SMALL's mode.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from app.core.watcher import Watcher


def _watches() -> int:
    return sum(Path(f"/proc/self/fdinfo/{fd}").read_text().count("inotify wd:")
               for fd in os.listdir("/proc/self/fdinfo") if os.path.exists(f"/proc/self/fdinfo/{fd}"))


def _handed_out(watcher: Watcher, path: Path, timeout: float = 20.0) -> str:
    """'event' if a batch names ``path``, 'poll' if a batch rescans a folder holding it, else 'nothing'."""
    path.write_text("new")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        batch = watcher.get(timeout=0.5)
        if batch is None:
            continue
        if path in batch.paths:
            return "event"
        if any(path.is_relative_to(f) for f in batch.rescan):
            return "poll"
    return "nothing"


def _mode(watcher: Watcher, root: Path) -> str:
    return watcher.status()["roots"][str(root)]


def main() -> int:
    small, big = Path(sys.argv[1]), Path(sys.argv[2])
    report: dict = {}
    with Watcher([small, big], debounce=0.1, max_delay=0.5, poll_interval=1.0) as watcher:
        time.sleep(1.5)  # the watcher thread handles what arming reported
        report["armed"] = {"small": _mode(watcher, small), "big": _mode(watcher, big), "watches": _watches()}
        report["new_file"] = {"small": _handed_out(watcher, small / "a.txt"),
                              "big": _handed_out(watcher, big / "b.txt")}
        for i in range(30):  # past the limit after arming: watchdog gives up on these folders quietly
            (small / f"added-{i}").mkdir()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _mode(watcher, small) == "events":
            time.sleep(0.1)
        report["after_adding_folders"] = {"small": _mode(watcher, small), "watches": _watches()}
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
