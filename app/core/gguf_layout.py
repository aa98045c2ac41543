"""Where a tensor's bytes lie in a GGUF file, read from the header alone (fast, no memory map).

gguf-py's reader parses every metadata value into objects, which takes
seconds for EmbeddingGemma's 262,144-token vocabulary; skipping the values
takes a tenth of that.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

_SCALAR_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_STRING, _ARRAY, _UINT32 = 8, 9, 4


def tensor_span(path: Path, name: str) -> tuple[int, int] | None:
    """(start, end) byte offsets of tensor ``name``'s data in the file, or None if it is not there.

    The end is where the next tensor's data begins (or the end of the file),
    so the span includes the alignment padding after it.
    """
    with open(path, "rb") as f:
        if f.read(4) != b"GGUF":
            return None
        _u32(f)  # version
        n_tensors, n_kv = _u64(f), _u64(f)
        alignment = 32
        for _ in range(n_kv):
            key = f.read(_u64(f))
            kind = _u32(f)
            if key == b"general.alignment" and kind == _UINT32:
                alignment = _u32(f)
            else:
                _skip(f, kind)
        offsets: dict[bytes, int] = {}
        for _ in range(n_tensors):
            tname = f.read(_u64(f))
            f.seek(8 * _u32(f) + 4, 1)  # the dimensions and the type
            offsets[tname] = _u64(f)
        data = -(-f.tell() // alignment) * alignment
        size = f.seek(0, 2)
    start = offsets.get(name.encode())
    if start is None:
        return None
    later = [o for o in offsets.values() if o > start]
    return data + start, (data + min(later)) if later else size


def _u32(f: BinaryIO) -> int:
    return struct.unpack("<I", f.read(4))[0]


def _u64(f: BinaryIO) -> int:
    return struct.unpack("<Q", f.read(8))[0]


def _skip(f: BinaryIO, kind: int) -> None:
    if kind == _STRING:
        f.seek(_u64(f), 1)
    elif kind == _ARRAY:
        item, count = _u32(f), _u64(f)
        if item in _SCALAR_SIZES:
            f.seek(_SCALAR_SIZES[item] * count, 1)
        else:
            for _ in range(count):
                _skip(f, item)
    elif kind in _SCALAR_SIZES:
        f.seek(_SCALAR_SIZES[kind], 1)
    else:
        raise ValueError(f"unknown GGUF value type {kind}")
