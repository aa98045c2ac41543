"""Reading a file's bytes in the indexer's own process without ever blocking it for good.

A path planned as a regular file can be a named pipe by the time it is read
(open would wait for a writer forever), and a file on a network drive that
went away can block a read in the kernel. Files are opened without blocking
and must be regular files; the hash is read in a thread of its own, waited
for with a time limit and a stop request, so Pause and Quit keep working and
a hung file is skipped with its reason (its thread is left to the OS).
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
import time
from pathlib import Path

from app.core.budget import Stopped

_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


class NotRegularFile(OSError):
    """The path is a pipe, socket or device now."""


class ReadTooSlow(Exception):
    """Reading did not finish within its time limit."""


def open_regular(path: Path):
    """Open ``path`` for reading without waiting on a pipe; refuse anything but a regular file."""
    fd = os.open(path, _FLAGS)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegularFile(0, "not a regular file (a pipe, socket or device)", str(path))
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open_regular(path) as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def hash_within(path: Path, seconds: float, stop: threading.Event | None = None) -> str:
    """The sha256 of ``path``, read in a thread of its own.

    Raises:
        OSError: the file cannot be read (NotRegularFile: it is not a regular file).
        ReadTooSlow: reading took over ``seconds``.
        Stopped: ``stop`` was set while it read.
    """
    done = threading.Event()
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["hash"] = sha256_of(path)
        except BaseException as exc:  # handed to the waiting thread
            outcome["error"] = exc
        finally:
            done.set()

    threading.Thread(target=run, name="gemseek-read", daemon=True).start()
    deadline = time.monotonic() + seconds
    while not done.wait(0.05):
        if stop is not None and stop.is_set():
            raise Stopped()
        if time.monotonic() > deadline:
            raise ReadTooSlow(seconds)
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["hash"]  # type: ignore[return-value]
