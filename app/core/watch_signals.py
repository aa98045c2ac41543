"""How the watcher learns that watching itself broke, beyond ordinary file events.

The OS and watchdog report some failures quietly or not at all: a root moved
away sends no event on inotify, a full watch table on a sub-folder is swallowed,
a kernel queue overflow is only logged. Each helper here turns one of those
into something the watcher can act on; each posts plain tuples to its inbox.
"""

from __future__ import annotations

import errno
import logging
import os
import queue
import stat
from pathlib import Path
from typing import Any

from watchdog.observers.api import BaseObserver

WATCH_LIMIT_ERRNOS = frozenset({errno.ENOSPC, errno.EMFILE})


def folder_identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the folder at ``path``, or None if no folder is there.

    Compared over time, it tells a root that vanished, or was replaced by a new
    folder of the same name, from one that is still the folder being watched.
    """
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if stat.S_ISDIR(st.st_mode) else None


def report_watch_limit(observer: BaseObserver, inbox: queue.SimpleQueue[Any]) -> None:
    """Post ``("limit", path)`` whenever a folder cannot be watched for lack of watches.

    watchdog's inotify backend raises ENOSPC only while a root is being armed;
    once it watches, a new sub-folder that cannot be watched is only logged and
    that part of the tree silently gets no events, which on a big tree is how
    the limit is usually met. Wrapping its per-folder call (a private one, hence
    the care) lets the watcher hear about it. watchdog makes its inotify reader
    at the first ``schedule``, so call this after every one; it wraps once.
    Other backends have no such call and need nothing (FSEvents and Windows
    watch a whole tree through one handle).
    """
    fd = getattr(observer, "_inotify_fd", None)
    add_callback = getattr(fd, "add_callback", None)
    if add_callback is None or getattr(add_callback, "reports_watch_limit", False):
        return

    def reporting_add_callback(path: bytes, *args: Any, **kwargs: Any) -> Any:
        try:
            return add_callback(path, *args, **kwargs)
        except OSError as exc:
            if exc.errno in WATCH_LIMIT_ERRNOS:
                inbox.put(("limit", os.fsdecode(path)))
            raise

    reporting_add_callback.reports_watch_limit = True  # type: ignore[attr-defined]
    fd.add_callback = reporting_add_callback


class OverflowListener(logging.Handler):
    """Post ``("overflow",)`` when watchdog logs that the kernel dropped events.

    That log line is the only sign watchdog gives of an inotify queue overflow;
    attach this to the ``watchdog.observers`` logger while watching.
    """

    def __init__(self, inbox: queue.SimpleQueue[Any]) -> None:
        super().__init__(level=logging.WARNING)
        self._inbox = inbox

    def emit(self, record: logging.LogRecord) -> None:
        if "overflow" in str(record.msg).lower():
            self._inbox.put(("overflow",))
