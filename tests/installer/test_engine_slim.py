"""The bundle's llama.cpp libraries made smaller after the build: copies linked, symbol tables stripped."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "installer"))
import engine  # noqa: E402

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ELF libraries and symlinks")


@linux_only
def test_copies_of_one_library_become_links_to_its_longest_name(tmp_path):
    for name in ("libllama.so", "libllama.so.0", "libllama.so.0.5.0"):
        (tmp_path / name).write_bytes(b"the same library")
    (tmp_path / "libggml-cpu-zen4.so").write_bytes(b"a variant")
    (tmp_path / "libggml.so").write_bytes(b"one build")
    (tmp_path / "libggml.so.0").write_bytes(b"another build")  # not the same bytes: both stay files
    saved = engine.slim(tmp_path, log=lambda _: None)
    assert saved == 2 * len(b"the same library")
    assert not (tmp_path / "libllama.so.0.5.0").is_symlink()
    for name in ("libllama.so", "libllama.so.0"):
        assert (tmp_path / name).is_symlink() and (tmp_path / name).readlink() == Path("libllama.so.0.5.0")
        assert (tmp_path / name).read_bytes() == b"the same library"
    assert not any((tmp_path / n).is_symlink() for n in ("libggml.so", "libggml.so.0", "libggml-cpu-zen4.so"))
    assert engine.slim(tmp_path, log=lambda _: None) == 0  # a second run finds nothing left to do


@linux_only
@pytest.mark.skipif(not shutil.which("strip") or not shutil.which("nm"), reason="binutils not installed")
def test_a_stripped_library_still_loads_and_exports_its_functions(tmp_path):
    import _ctypes  # a shared library of this Python with symbols to lose

    original = Path(_ctypes.__file__)
    if original.suffix != ".so":
        pytest.skip("this Python's _ctypes is built in")
    lib = tmp_path / "libsample.so"
    shutil.copy(original, lib)
    symbols = subprocess.run(["nm", str(lib)], capture_output=True, text=True).stdout
    engine.slim(tmp_path, log=lambda _: None)
    assert lib.stat().st_size <= original.stat().st_size
    assert "no symbols" in subprocess.run(["nm", str(lib)], capture_output=True, text=True).stderr or not symbols
    assert hasattr(ctypes.CDLL(str(lib)), "PyInit__ctypes")  # the dynamic symbols are kept
