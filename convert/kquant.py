"""Types gguf-py cannot write itself: ask llama.cpp's own quantizer.

Two ways: a whole file through ``llama_model_quantize`` (llama.cpp's mixes,
such as Q4_K_M, made from an F32 file), or one tensor at a time through
ggml's reference row quantizer (``ggml_quantize_chunk``), which lets the
converter write K-quant tensors directly, beside tensors of other types.
"""

from __future__ import annotations

import ctypes
import itertools
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import numpy as np

from convert.errors import ConversionError


def quantize_with_llama(src: Path, dst: Path, ftype: int, threads: int) -> None:
    """Quantize the F32/F16 GGUF ``src`` into ``dst`` with llama.cpp's rules for ``ftype``."""
    import llama_cpp

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = ftype
    params.nthread = threads
    with _llama_log_errors_only(llama_cpp):
        rc = llama_cpp.llama_model_quantize(str(src).encode(), str(dst).encode(), ctypes.byref(params))
    if rc != 0:
        raise ConversionError(f"llama.cpp could not quantize {src.name} (error {rc})")


_GGML_LOG_LEVEL_ERROR = 4
_KEEP: list[object] = []  # the C callback must outlive every call into llama.cpp


@contextmanager
def _llama_log_errors_only(llama_cpp) -> Iterator[None]:
    """While quantizing, llama.cpp's log shows errors only (it prints a line per tensor); the callback that
    was set before (the app's, or none) is put back afterwards, so the caller's log routing survives."""
    if not _KEEP:
        @llama_cpp.llama_log_callback
        def _quiet(level, text, user_data):
            if level == _GGML_LOG_LEVEL_ERROR:
                sys.stderr.write(text.decode("utf-8", "replace"))

        _KEEP.append(_quiet)
    previous, data = llama_cpp.llama_log_callback(), ctypes.c_void_p()  # a null callback: llama.cpp's default
    llama_cpp.llama_log_get(ctypes.byref(previous), ctypes.byref(data))
    llama_cpp.llama_log_set(_KEEP[0], ctypes.c_void_p(0))
    try:
        yield
    finally:
        llama_cpp.llama_log_set(previous, data)


@cache
def _ggml_base() -> ctypes.CDLL:
    """ggml's base library as shipped inside llama-cpp-python (it holds the quantizers)."""
    import llama_cpp

    # where llama-cpp-python loaded its libraries from (LLAMA_CPP_LIB_PATH can move them)
    lib_dir = Path(getattr(llama_cpp.llama_cpp, "_base_path", Path(llama_cpp.__file__).resolve().parent / "lib"))
    names = {"win32": "ggml-base.dll", "darwin": "libggml-base.dylib"}
    lib = ctypes.CDLL(str(lib_dir / names.get(sys.platform, "libggml-base.so")))
    lib.ggml_quantize_chunk.restype = ctypes.c_size_t
    lib.ggml_quantize_chunk.argtypes = [
        ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64,
        ctypes.c_void_p,
    ]
    lib.ggml_row_size.restype = ctypes.c_size_t
    lib.ggml_row_size.argtypes = [ctypes.c_int, ctypes.c_int64]
    return lib


def quantize_rows(data: np.ndarray, ggml_type: int, threads: int = 2) -> np.ndarray:
    """Quantize a 2-D float32 array row by row with ggml's reference quantizer (no importance matrix).

    The rows are split between ``threads`` threads (ctypes lets go of the GIL);
    each row is quantized on its own, so the bytes do not depend on the split.
    """
    lib = _ggml_base()
    src = np.ascontiguousarray(data, dtype=np.float32)
    rows, per_row = src.shape
    row_bytes = lib.ggml_row_size(ggml_type, per_row)
    out = np.empty((rows, row_bytes), dtype=np.uint8)
    bounds = np.linspace(0, rows, max(1, threads) + 1, dtype=np.int64)

    def work(a: int, b: int) -> None:
        if b > a:
            lib.ggml_quantize_chunk(ggml_type, src.ctypes.data + a * per_row * 4, out.ctypes.data + a * row_bytes,
                                    0, b - a, per_row, None)

    workers = [threading.Thread(target=work, args=(int(a), int(b))) for a, b in itertools.pairwise(bounds)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return out
