#!/usr/bin/env python3
"""Set up Gemseek in a local virtual environment and run it, or run its tests.

    python3 bootstrap.py run [GEMSEEK ARGS...]   install if needed, then start Gemseek
    python3 bootstrap.py test [PYTEST ARGS...]   install if needed, then run the test suite

Needs only Python 3.11+, a C/C++ compiler and CMake (llama-cpp-python and
hnswlib are compiled on first install; pip caches the built wheels, so the
second time is quick). Everything goes into ./.venv; nothing is installed
elsewhere. The install is skipped when pyproject.toml has not changed since
the last successful one.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".gemseek-installed"


def _venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _wanted_stamp(extras: str) -> str:
    h = hashlib.sha256((ROOT / "pyproject.toml").read_bytes())
    h.update(f"{sys.version_info[:2]}|{extras}".encode())
    return h.hexdigest()


def ensure_installed(extras: str) -> Path:
    """Create .venv and install the project with ``extras`` unless that was already done."""
    if sys.version_info < (3, 11):
        sys.exit(f"Gemseek needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    py = _venv_python()
    if not py.exists():
        print(f"Creating a virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    stamp = _wanted_stamp(extras)
    if STAMP.exists() and STAMP.read_text().strip() in (stamp, _wanted_stamp("test")):
        return py
    print("Installing Gemseek and its dependencies (the first time compiles llama.cpp: ~7 min) ...", flush=True)
    _drop_replaced(py)
    target = f".[{extras}]" if extras else "."
    subprocess.run([str(py), "-m", "pip", "install", "-e", target], check=True, cwd=ROOT)
    STAMP.write_text(stamp)
    return py


# Packages an earlier Gemseek installed that its successors replace. opencv-python and the
# opencv-python-headless that came after it both install the cv2 package: left in place, the
# first one's files (its own Qt among them) would stay mixed with the second's.
_REPLACED = ("rapidocr-onnxruntime", "opencv-python")


def _drop_replaced(py: Path) -> None:
    installed = subprocess.run([str(py), "-m", "pip", "list", "--format=freeze"], capture_output=True, text=True,
                               cwd=ROOT).stdout.lower()
    names = {line.split("==")[0].replace("_", "-") for line in installed.splitlines()}
    old = [name for name in _REPLACED if name in names]
    if "opencv-python" in old and "opencv-python-headless" in names:
        old.append("opencv-python-headless")  # removing the other took shared files: install it afresh
    if old:
        subprocess.run([str(py), "-m", "pip", "uninstall", "-y", *old], check=True, cwd=ROOT)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("run", "test"):
        print(__doc__.strip())
        return 2
    what, rest = argv[0], argv[1:]
    if what == "run":
        py = ensure_installed("")
        cmd = [str(py), "-m", "app", *rest]
    else:
        py = ensure_installed("test")
        cmd = [str(py), "-m", "pytest", *rest]
    return subprocess.call(cmd, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
