"""Types gguf-py cannot write itself: ask llama.cpp's own quantizer."""

from __future__ import annotations

import ctypes
import sys
from pathlib import Path

from convert.errors import ConversionError


def quantize_with_llama(src: Path, dst: Path, ftype: int, threads: int) -> None:
    """Quantize the F32/F16 GGUF ``src`` into ``dst`` with llama.cpp's rules for ``ftype``."""
    import llama_cpp

    _silence_llama_log(llama_cpp)
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = ftype
    params.nthread = threads
    rc = llama_cpp.llama_model_quantize(str(src).encode(), str(dst).encode(), ctypes.byref(params))
    if rc != 0:
        raise ConversionError(f"llama.cpp could not quantize {src.name} (error {rc})")


_GGML_LOG_LEVEL_ERROR = 4
_KEEP: list[object] = []  # the C callback must outlive every call into llama.cpp


def _silence_llama_log(llama_cpp) -> None:
    if _KEEP:
        return

    @llama_cpp.llama_log_callback
    def _quiet(level, text, user_data):
        if level == _GGML_LOG_LEVEL_ERROR:
            sys.stderr.write(text.decode("utf-8", "replace"))

    _KEEP.append(_quiet)
    llama_cpp.llama_log_set(_quiet, ctypes.c_void_p(0))
