"""The token table's mapped pages leave resident memory, and a tensor's bytes are found from the header."""

from __future__ import annotations

import mmap
import sys
from pathlib import Path

import numpy as np
import pytest
from gguf import GGUFReader

from app.core.embedder import LlamaEmbedder
from app.core.gguf_layout import tensor_span
from app.core.resident import ReleasablePages, drop_scratch
from bench.shared import status_mb


def test_tensor_spans_match_gguf_py(tiny_gguf):
    path = tiny_gguf("MIX_BF16")
    reader = GGUFReader(path)
    starts = sorted(int(t.data_offset) for t in reader.tensors)
    for t in reader.tensors:
        start, end = tensor_span(path, t.name)
        assert start == t.data_offset and end - start >= t.n_bytes
        assert end == next((s for s in starts if s > start), path.stat().st_size)
    assert tensor_span(path, "no.such.tensor") is None


def _resident_kb(path) -> int:
    """Rss of this process's mapping of ``path``, from /proc/self/smaps."""
    lines = Path("/proc/self/smaps").read_text().splitlines()
    for i, line in enumerate(lines):
        if line.endswith(str(path)):
            return next(int(x.split()[1]) for x in lines[i + 1:] if x.startswith("Rss:"))
    raise AssertionError("mapping not found")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pages are released on Linux only")
def test_released_pages_leave_resident_memory_and_read_back_the_same(tmp_path):
    path = tmp_path / "table.bin"
    data = bytes(range(256)) * (16 << 10)  # 4 MiB
    path.write_bytes(data)
    with open(path, "rb") as f:
        m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
    try:
        assert sum(m[i] for i in range(0, len(data), 4096)) >= 0  # touch every page
        assert _resident_kb(path) >= 4000
        pages = ReleasablePages(path, 1 << 20, 3 << 20)  # the middle 2 MiB
        assert pages.nbytes == 2 << 20
        pages.release()
        # At least the middle is gone (the kernel may drop a whole huge page around it: it reads back too).
        assert _resident_kb(path) <= 2100
        assert m[(1 << 20) + 12345] == data[(1 << 20) + 12345]  # and the bytes read back from the file
    finally:
        m.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pages are released on Linux only")
def test_the_embedder_keeps_the_token_table_out_and_still_embeds_right(tiny_gguf):
    e = LlamaEmbedder(tiny_gguf("F32"), threads=1)
    try:
        assert e._encoder._lookup.nbytes > 0  # the token table of the loaded file was found in memory
        first = e.embed_documents(["a text about cats", "another about dogs"])
        again = e.embed_documents(["a text about cats", "another about dogs"])  # its rows read back
        np.testing.assert_array_equal(first, again)
    finally:
        e.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pages are released on Linux only")
def test_dropped_scratch_memory_leaves_resident_memory_and_reads_back_as_zeros():
    buf = np.ones(64 << 17)  # 64 MiB, every page touched
    before = status_mb("VmRSS")
    dropped = drop_scratch(buf.ctypes.data + 100, buf.nbytes - 200)
    assert dropped >= buf.nbytes - 3 * 4096 and dropped % 4096 == 0
    assert status_mb("VmRSS") < before - 60_000 / 1024
    assert buf[0] == 1.0 and buf[-1] == 1.0  # the pages shared with memory outside the range are kept
    assert not buf[1024:-1024].any()  # the rest reads back as zeros
    assert drop_scratch(0, 1 << 20) == 0 and drop_scratch(buf.ctypes.data, 100) == 0  # nothing, or no whole page
