"""Give the memory the process has freed back to the operating system.

glibc keeps freed heap memory for later allocations; after the model is
unloaded (or a big job ended) that can be tens of MB the process no longer
needs but still holds. ``malloc_trim(0)`` returns the free pages. Elsewhere
(macOS, Windows, musl) there is no such call and nothing is done.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys


@functools.cache
def _malloc_trim():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def give_back() -> bool:
    """Return the C heap's free pages to the system; True if the C library can (glibc)."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
