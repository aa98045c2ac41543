"""Build the frozen app with PyInstaller, then smoke-test what was built.

    python installer/build.py [--skip-build]

Installs PyInstaller into the running environment if needed, builds
``dist/gemseek/`` from installer/gemseek.spec, and runs the built program the
way users and the app itself do: ``--version``, ``--help``, ``model status
--json`` and ``status --json`` in a throw-away home, and the converter entry
the app starts as a child process (``-m convert --help``). With ``--models DIR``
(a models folder holding the checkpoint and the Q8_0 file) it also runs the
frozen demo end to end: extraction in its child processes, llama.cpp, search.
Exits non-zero if any of it fails.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist" / "gemseek"


def build() -> None:
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-e", f"{ROOT}[installer]"], check=True)
    subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--distpath", str(ROOT / "dist"),
                    "--workpath", str(ROOT / "build" / "pyinstaller"), str(ROOT / "installer" / "gemseek.spec")],
                   check=True, cwd=ROOT)


def run(*args: str, home: Path, models: Path | None = None) -> subprocess.CompletedProcess:
    exe = DIST / ("gemseek.exe" if sys.platform == "win32" else "gemseek")
    env = {**os.environ, "GEMSEEK_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    if models:
        env["GEMSEEK_MODELS"] = str(models)
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=600, env=env, check=False)


def smoke(models: Path | None = None) -> list[str]:
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        checks = {
            "--version": lambda p: p.stdout.startswith("gemseek "),
            "--help": lambda p: "search" in p.stdout and "quick" in p.stdout,
            "model status --json": lambda p: "checkpoint" in json.loads(p.stdout),
            "status --json": lambda p: json.loads(p.stdout)["files"] == 0,
            "-m convert --help": lambda p: "--type" in p.stdout,
        }
        if models:
            checks["demo a cat that has no name yet"] = lambda p: p.stdout.split(" 1. ")[1].split()[0].endswith(
                "wagahai-wa-neko-de-aru.txt")
        for args, ok in checks.items():
            proc = run(*(args.split(maxsplit=1) if args.startswith("demo") else args.split()), home=home,
                       models=models)
            try:
                good = proc.returncode == 0 and ok(proc)
            except (ValueError, KeyError):
                good = False
            print(f"{'ok  ' if good else 'FAIL'} gemseek {args}")
            if not good:
                failures.append(f"{args}: {proc.returncode}\n{proc.stdout[-500:]}\n{proc.stderr[-2000:]}")
    return failures


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--skip-build", action="store_true", help="only smoke-test an existing dist/gemseek")
    p.add_argument("--models", type=Path, help="a models folder with the checkpoint and Q8_0: also run the demo")
    args = p.parse_args()
    if not args.skip_build:
        build()
    failures = smoke(args.models)
    for f in failures:
        print(f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
