"""Misbehaving extractors for the worker tests; the child process imports this module.

``misbehave`` acts on the file's suffix and otherwise extracts normally, so a
single worker can meet a hang, a crash and a good file in turn. ``short_ocr``
extracts normally with an OCR that reads two pages at most and a stand-in reader.
"""

from __future__ import annotations

import os
import signal
import time

from app.core.documents import Block, Document
from app.core.extract import extract, ocr


def _pages(count: int, seconds: float, stuck: int | None = None) -> Document:
    """Pages as OCR reports them, each taking ``seconds`` (page ``stuck`` never ends)."""
    for number in range(1, count + 1):
        ocr.on_page(number)
        time.sleep(3600 if number == stuck else seconds)
    return Document(title=None, blocks=[Block(f"page {n}", page=n) for n in range(1, count + 1)], kind="scan")


def misbehave(path: str, *, max_bytes: int, use_ocr: bool = False) -> Document:
    if path.endswith(".slowpages"):
        return _pages(3, 1.5)
    if path.endswith(".stuckpage"):
        return _pages(3, 0.1, stuck=2)
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
    return extract(path, max_bytes=max_bytes, use_ocr=use_ocr)


def short_ocr(path: str, *, max_bytes: int, use_ocr: bool = False) -> Document:
    """The real extraction, with OCR reading at most 2 pages of a file and every page reading "scanned page N"
    (a stand-in for the OCR library, so nothing heavy loads)."""
    ocr.MAX_PAGES = 2
    pages = iter(range(1, ocr.MAX_PAGES + 1))
    ocr.read_image = lambda image: [f"scanned page {next(pages)} of the tenancy agreement"]
    return extract(path, max_bytes=max_bytes, use_ocr=use_ocr)
