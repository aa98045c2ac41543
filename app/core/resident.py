"""Keep memory that is not needed out of the process's resident memory.

llama.cpp maps the model file and faults all of it in when it loads. The
token table is two thirds of EmbeddingGemma but only a lookup: a batch reads
a few hundred of its 262,144 rows. Telling the kernel that the mapped pages
are not needed (``madvise(MADV_DONTNEED)`` on a read-only shared file mapping)
drops them from the process; a row that is read again comes back from the
page cache. Linux only (it finds the mapping in ``/proc/self/maps``);
elsewhere, and whenever anything is unexpected, it does nothing.

:func:`drop_scratch` does the same for a stretch of the heap whose contents
no longer matter (it reads back as zeros): llama.cpp's logits buffer, which
an embedding model never writes but which llama.cpp clears, 1 MB per token.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys
from pathlib import Path

log = logging.getLogger(__name__)

_MADV_DONTNEED = 4


def _find_madvise():
    if not sys.platform.startswith("linux"):
        return None
    try:
        fn = ctypes.CDLL(None, use_errno=True).madvise
    except (OSError, AttributeError) as exc:
        log.debug("no madvise: %s", exc)
        return None
    fn.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    return fn


_MADVISE = _find_madvise()


def drop_scratch(address: int, nbytes: int) -> int:
    """Drop the whole pages inside ``[address, address + nbytes)`` from resident memory; they read back as zeros.

    Only for memory this process owns and whose contents it will not read
    again: the pages at either end that the range shares with other memory
    are kept. Returns the bytes dropped (0 where this is not possible).
    """
    if not _MADVISE or not address or nbytes <= 0:
        return 0
    lo, hi = _whole_pages(address, address + nbytes)
    if hi <= lo or not _dont_need(lo, hi):
        return 0
    return hi - lo


def _whole_pages(lo: int, hi: int) -> tuple[int, int]:
    """The page-aligned range of the whole pages inside ``[lo, hi)`` (empty when there is none)."""
    page = os.sysconf("SC_PAGE_SIZE")
    return -(-lo // page) * page, hi // page * page


def _dont_need(lo: int, hi: int) -> bool:
    """madvise(MADV_DONTNEED) on the page-aligned ``[lo, hi)``; False (logged) if the kernel refused."""
    if _MADVISE(lo, hi - lo, _MADV_DONTNEED) != 0:
        log.debug("madvise failed: %s", os.strerror(ctypes.get_errno()))
        return False
    return True


class ReleasablePages:
    """The pages of a file's byte range ``[start, end)`` as this process has them mapped."""

    def __init__(self, path: Path, start: int, end: int) -> None:
        self.ranges: list[tuple[int, int]] = []
        if not _MADVISE:
            return
        try:
            self.ranges = _mapped(os.path.realpath(path), start, end)
        except (OSError, ValueError) as exc:
            log.debug("cannot release pages of %s: %s", path, exc)
            self.ranges = []

    @property
    def nbytes(self) -> int:
        return sum(b - a for a, b in self.ranges)

    def release(self) -> None:
        """Drop the pages from resident memory (they are read again from the page cache when used)."""
        for a, b in self.ranges:
            if not _dont_need(a, b):
                self.ranges = []
                return


def _mapped(real: str, start: int, end: int) -> list[tuple[int, int]]:
    """Page-aligned address ranges, inside read-only shared mappings of ``real``, that hold ``[start, end)``."""
    out = []
    with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
        for line in maps:
            parts = line.split(maxsplit=5)
            if len(parts) < 6 or parts[5].strip() != real or parts[1] != "r--s":
                continue
            a, b = (int(x, 16) for x in parts[0].split("-"))
            offset = int(parts[2], 16)
            lo, hi = _whole_pages(max(a, a + start - offset), min(b, a + end - offset))
            if hi > lo:
                out.append((lo, hi))
    return out
