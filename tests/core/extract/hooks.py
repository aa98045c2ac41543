"""Misbehaving extractors for the worker tests; the child process imports this module.

``misbehave`` acts on the file's suffix and otherwise extracts normally, so a
single worker can meet a hang, a crash and a good file in turn.
"""

from __future__ import annotations

import os
import signal
import time

from app.core.documents import Document
from app.core.extract import extract


def misbehave(path: str, *, max_bytes: int) -> Document:
    if path.endswith(".hang"):
        time.sleep(3600)
    if path.endswith(".exit"):
        os._exit(3)
    if path.endswith(".segv"):
        os.kill(os.getpid(), signal.SIGSEGV)
    if path.endswith(".hog"):
        hog = bytearray(8 * 1024**3)  # beyond the worker's address-space limit
        return Document(title=str(len(hog)))
    if path.endswith(".grow"):
        held = b"x" * (600 * 1024**2)  # resident, not just reserved
        time.sleep(20)
        return Document(title=str(len(held)))
    if path.endswith(".pid"):
        return Document(title=str(os.getpid()))
    if path.endswith(".oops"):
        raise KeyError("a custom extractor's bug")
    return extract(path, max_bytes=max_bytes)
