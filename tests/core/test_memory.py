"""Freed heap memory goes back to the system when the model goes idle."""

from __future__ import annotations

import ctypes
import sys

import pytest

from app.core import memory
from bench.shared import status_mb


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_give_back_returns_freed_heap_pages_to_the_system():
    libc = ctypes.CDLL(None)
    libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    libc.mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD: free() alone keeps what it frees (as a long-lived heap does)
    libc.mallopt(-3, 1 << 30)  # M_MMAP_THRESHOLD: these blocks come from the heap, not from mmap
    try:
        blocks = [libc.malloc(64 * 1024) for _ in range(1600)]  # 100 MB of heap
        for b in blocks:
            ctypes.memset(b, 1, 64 * 1024)
        for b in reversed(blocks[1:]):
            libc.free(b)
        held = status_mb("VmRSS")
        assert memory.give_back()
        assert held - status_mb("VmRSS") > 50  # most of the 100 MB freed is back with the system
        libc.free(blocks[0])
    finally:
        libc.mallopt(-1, 128 * 1024)
        libc.mallopt(-3, 128 * 1024)
