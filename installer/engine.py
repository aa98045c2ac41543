"""Build llama.cpp for the installers: one set of libraries that runs on every x86-64 CPU.

    python installer/engine.py [--jobs N]      prints the folder holding the libraries

``pip install llama-cpp-python`` compiles llama.cpp with ``-march=native``:
fast here, but a bundle built that way dies with an illegal instruction on
an older CPU. This builds the same llama.cpp (the sources of the
llama-cpp-python release installed in this environment, so the Python
bindings and the libraries always match) with run-time CPU dispatch:
``GGML_NATIVE=OFF``, ``GGML_BACKEND_DL=ON``, ``GGML_CPU_ALL_VARIANTS=ON``.
Each CPU backend variant (x64, sse42, sandybridge, haswell, skylakex, icelake,
cooperlake, zen4, alderlake, sapphirerapids …) becomes a library of its own,
and ggml loads the best one for the CPU it finds itself on
(:mod:`app.core.llama_libs` tells it where they are).

The result is cached under ``build/engine/<version>/lib`` with a stamp of the
options; a second run with the same version and options builds nothing.
Needs CMake and a C/C++ compiler (as ``pip install`` does); compiling every
variant takes about 20 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import filecmp
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# x86-64 (Linux, Windows): every CPU variant as a loadable backend. macOS: Apple silicon's baseline
# (no -mcpu=native of the build Mac) with Metal, its shader library embedded in the binary.
DISPATCH = (("-DGGML_METAL=ON", "-DGGML_METAL_EMBED_LIBRARY=ON", "-DGGML_BACKEND_DL=OFF")
            if sys.platform == "darwin" else ("-DGGML_BACKEND_DL=ON", "-DGGML_CPU_ALL_VARIANTS=ON"))
OPTIONS = (
    "-DCMAKE_BUILD_TYPE=Release",
    "-DBUILD_SHARED_LIBS=ON",
    "-DGGML_NATIVE=OFF",
    *DISPATCH,
    "-DLLAMA_CURL=OFF",
    "-DLLAMA_BUILD_COMMON=OFF",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
    "-DLLAMA_BUILD_TOOLS=OFF",
    "-DLLAMA_BUILD_SERVER=OFF",
    # the libraries find each other in their own folder, wherever the bundle is unpacked
    "-DCMAKE_BUILD_WITH_INSTALL_RPATH=ON",
    "-DCMAKE_INSTALL_RPATH=$ORIGIN",
)


def _stamp(ver: str) -> str:
    return hashlib.sha256(json.dumps([ver, OPTIONS, sys.platform]).encode()).hexdigest()[:16]


def _sources(ver: str, work: Path) -> Path:
    """llama.cpp as vendored in the llama-cpp-python ``ver`` source release (pip download, cached)."""
    src = work / f"llama_cpp_python-{ver}"
    if (src / "vendor" / "llama.cpp" / "CMakeLists.txt").is_file():
        return src / "vendor" / "llama.cpp"
    work.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                    f"llama-cpp-python=={ver}", "-d", str(work)], check=True)
    archive = next(work.glob(f"llama_cpp_python-{ver}.tar.gz"))
    with tarfile.open(archive) as tar:
        tar.extractall(work, filter="data")
    return src / "vendor" / "llama.cpp"


def build(jobs: int = 0, log=print) -> Path:
    """Build (or reuse) the portable libraries and return their folder."""
    ver = version("llama-cpp-python")
    work = ROOT / "build" / "engine" / ver
    out = work / "lib"
    stamp = _stamp(ver)
    if (out / ".stamp").is_file() and (out / ".stamp").read_text() == stamp:
        log(f"portable llama.cpp {ver}: reusing {out}")
        return out
    source = _sources(ver, work)
    build_dir = work / "cmake"
    log(f"portable llama.cpp {ver}: configuring in {build_dir}")
    subprocess.run(["cmake", "-S", str(source), "-B", str(build_dir), *OPTIONS], check=True)
    jobs = jobs or os.cpu_count() or 2
    log(f"portable llama.cpp {ver}: compiling every CPU variant with {jobs} jobs (about 20 min on 2 cores)")
    subprocess.run(["cmake", "--build", str(build_dir), "--config", "Release", "-j", str(jobs),
                    "--target", "llama", "ggml"], check=True)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    suffix = {"win32": ".dll", "darwin": ".dylib"}.get(sys.platform, ".so")
    # bin/ (Makefiles, Ninja) or bin/Release/ (Visual Studio); macOS puts its dylibs there too
    for lib in sorted((build_dir / "bin").rglob("*")):
        # every name the wheel of llama-cpp-python has too (libllama.so, libllama.so.0 …), as real files:
        # llama-cpp-python opens the plain name, the libraries need each other by their versioned one
        if lib.is_file() and (lib.name.endswith((suffix, ".so")) or f"{suffix}." in lib.name):
            shutil.copy2(lib, out / lib.name)
    variants = sorted(p.name for p in out.glob("*ggml-cpu-*"))
    if (not variants and sys.platform != "darwin") or not any(out.glob(f"*llama{suffix}")):
        raise SystemExit(f"the build left no llama library or CPU variants in {build_dir / 'bin'}")
    (out / ".stamp").write_text(stamp)
    log(f"portable llama.cpp {ver}: {len(variants)} CPU variants in {out}")
    return out


def slim(lib_dir: Path, log=print) -> int:
    """Make the libraries in the frozen app's ``lib_dir`` smaller in place (Linux); the bytes saved.

    The build leaves every name of a library (``libllama.so``, ``.so.0``,
    ``.so.0.5.0``) as a copy of its own, which PyInstaller keeps: 11 MB twice
    over in the tarball. The copies become links to the longest name (the
    dynamic loader sees one file, so the library is loaded once whichever name
    is opened). And the symbol tables our build leaves in are stripped: these
    libraries are ours, built here, so nothing else relies on their layout.
    """
    if not sys.platform.startswith("linux"):
        return 0
    before = sum(f.stat().st_size for f in lib_dir.iterdir() if f.is_file() and not f.is_symlink())
    strip = shutil.which("strip")
    names: dict[str, list[Path]] = {}
    for f in sorted(lib_dir.iterdir()):
        if f.is_file() and not f.is_symlink() and ".so" in f.name:
            with f.open("rb") as head:
                elf = head.read(4) == b"\x7fELF"
            if strip and elf:
                subprocess.run([strip, "--strip-unneeded", str(f)], check=True)
            names.setdefault(f.name.split(".so", 1)[0], []).append(f)
    for copies in names.values():
        keep = max(copies, key=lambda f: len(f.name))
        for f in copies:
            if f != keep and filecmp.cmp(f, keep, shallow=False):
                f.unlink()
                f.symlink_to(keep.name)
    after = sum(f.stat().st_size for f in lib_dir.iterdir() if f.is_file() and not f.is_symlink())
    log(f"engine libraries in the bundle: {before / 1e6:.1f} -> {after / 1e6:.1f} MB (copies linked, stripped)")
    return before - after


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--jobs", type=int, default=0, help="parallel compile jobs (default: every CPU)")
    print(build(p.parse_args().jobs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
