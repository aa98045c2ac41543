"""Where llama.cpp's native libraries are, and the backends (CPU kernels, GPU) this process loads from them.

Two kinds of build reach this module. ``pip install llama-cpp-python``
compiles for the CPU it runs on (``-march=native``): its CPU backend is
linked into the library. The engine inside Gemseek's installers is built
once for every x86-64 CPU (``GGML_BACKEND_DL`` with ``GGML_CPU_ALL_VARIANTS``,
installer/engine.py): each CPU backend variant (``libggml-cpu-haswell.so``,
``-skylakex``, ``-zen4``, ``-sapphirerapids`` …) is a library of its own, and
ggml loads the best one this CPU can run. ggml looks for them beside the
executable and in the current folder only, and under Python the executable
is the interpreter, so :func:`load_backends` points it at llama-cpp-python's
own library folder before anything asks llama.cpp for a backend.
"""

from __future__ import annotations

import ctypes
import sys
import threading
from functools import cache
from pathlib import Path

import llama_cpp

_GGML_DEVICE_CPU = 0  # enum ggml_backend_dev_type
_lock = threading.Lock()


def lib_dir() -> Path:
    """The folder llama-cpp-python loaded ``libllama`` from (``LLAMA_CPP_LIB_PATH`` moves it)."""
    base = getattr(llama_cpp.llama_cpp, "_base_path", None)
    return Path(base) if base else Path(llama_cpp.__file__).resolve().parent / "lib"


def cpu_variants(folder: Path | None = None) -> list[str]:
    """The CPU backend variants a run-time-dispatch build ships (``["haswell", "skylakex", …]``); [] for a native
    build, whose CPU backend is linked in."""
    folder = folder or lib_dir()
    # ggml names its loadable backends like this on every platform (ggml-backend-reg.cpp)
    prefix, suffix = ("ggml-cpu-", ".dll") if sys.platform == "win32" else ("libggml-cpu-", ".so")
    return sorted(p.name[len(prefix):-len(suffix)] for p in folder.glob(f"{prefix}*{suffix}"))


@cache
def _ggml() -> ctypes.CDLL | _Both:
    """ggml's functions as loaded for libllama (the same objects, never second copies of them).

    Opening ``libggml.so`` by path would load another copy beside the
    ``libggml.so.0`` libllama uses (the wheel ships both names as separate
    files), with a backend registry of its own. Symbols looked up through
    libllama's handle come from the libraries it actually uses (the dynamic
    loader searches its dependencies); Windows has no such search, but opens
    each DLL name once.
    """
    if sys.platform == "win32":
        lib = _Both(ctypes.CDLL(str(lib_dir() / "ggml.dll")), ctypes.CDLL(str(lib_dir() / "ggml-base.dll")))
    else:
        lib = llama_cpp.llama_cpp._lib
    lib.ggml_backend_reg_count.restype = ctypes.c_size_t
    lib.ggml_backend_load_all_from_path.argtypes = [ctypes.c_char_p]
    lib.ggml_backend_load_all_from_path.restype = None
    lib.ggml_backend_dev_by_type.argtypes = [ctypes.c_int]
    lib.ggml_backend_dev_by_type.restype = ctypes.c_void_p
    lib.ggml_backend_dev_buffer_type.argtypes = [ctypes.c_void_p]
    lib.ggml_backend_dev_buffer_type.restype = ctypes.c_void_p
    return lib


class _Both:
    """Two DLLs whose functions are looked up as if they were one (ggml and ggml-base on Windows)."""

    def __init__(self, *libs: ctypes.CDLL) -> None:
        self._libs = libs

    def __getattr__(self, name: str):
        for lib in self._libs:
            try:
                fn = getattr(lib, name)
            except AttributeError:
                continue
            setattr(self, name, fn)
            return fn
        raise AttributeError(name)


def load_backends() -> int:
    """Make llama.cpp's backends available in this process, once; returns how many are registered.

    A native build registers its CPU backend by itself. A run-time-dispatch
    build registers none until told where its libraries are: then ggml
    scores every CPU variant there against this CPU and loads the best.
    """
    with _lock:
        ggml = _ggml()
        if ggml.ggml_backend_reg_count() == 0 and cpu_variants():
            ggml.ggml_backend_load_all_from_path(str(lib_dir()).encode())
        return int(ggml.ggml_backend_reg_count())


def cpu_buffer_type() -> int:
    """ggml's plain CPU buffer type (the one without repacking or AMX), from whichever CPU backend is loaded."""
    load_backends()
    dev = _ggml().ggml_backend_dev_by_type(_GGML_DEVICE_CPU)
    if not dev:
        raise RuntimeError(f"llama.cpp has no CPU backend loaded (libraries in {lib_dir()})")
    return int(_ggml().ggml_backend_dev_buffer_type(dev))
