"""Build Gemseek's installers, then test what was built the way a person would use it.

    python installer/build.py [--models DIR] [--skip-build] [--native-engine] [--jobs N]

Steps (Linux; macOS and Windows: see installer/README.md):

1. The portable engine: llama.cpp built for every x86-64 CPU with run-time
   dispatch (installer/engine.py; ~20 min the first time, cached after).
2. The icons, rendered from resources/icons/gemseek.svg (installer/icons.py).
3. PyInstaller: ``dist/gemseek/`` from installer/gemseek.spec.
4. ``dist/Gemseek-<version>-x86_64.tar.gz`` and
   ``dist/Gemseek-<version>-x86_64.AppImage`` (installer/appimage.py).
5. The smoke test (installer/smoke.py), on the built artifacts in throw-away
   homes: the command line of the folder and of the AppImage; with
   ``--models DIR`` (a models folder holding the checkpoint; the Q8_0 file is
   converted there if missing) also the demo on the real model, the engine
   (vectors against the original model natively and under ``qemu-x86_64 -cpu
   Haswell``, speed against this environment's own llama.cpp in turns), and
   the desktop app on a virtual screen, started from the folder and from the
   AppImage. Figures go to ``dist/smoke.json``, a screenshot to ``dist/``.

Exits non-zero, listing what failed, if anything does. The Debian packages
the steps need (squashfs is in appimagetool; Xvfb, xdotool, trayer, qemu-user,
libfuse2, the X libraries Qt's xcb plugin loads) are installed with apt-get
when missing and this runs as root; otherwise it says which to install.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "installer"))
sys.path.insert(0, str(ROOT))
DIST = ROOT / "dist"
FROZEN = DIST / "gemseek"

import appimage  # noqa: E402
import engine as portable_engine  # noqa: E402
import icons as icon_renderer  # noqa: E402
import smoke  # noqa: E402

# command → Debian package
TOOLS = {"Xvfb": "xvfb", "xdotool": "xdotool", "trayer": "trayer", "qemu-x86_64": "qemu-user",
         "desktop-file-validate": "desktop-file-utils"}
# libraries Qt's xcb plugin needs (bundled from the build machine) and FUSE 2 for running the AppImage here
LIBRARIES = {"libxcb-cursor.so.0": "libxcb-cursor0", "libxcb-icccm.so.4": "libxcb-icccm4",
             "libxcb-keysyms.so.1": "libxcb-keysyms1", "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
             "libfuse.so.2": "libfuse2"}


def ensure_debian_packages() -> None:
    missing = [pkg for cmd, pkg in TOOLS.items() if not shutil.which(cmd)]
    ldconfig = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=False).stdout
    missing += [pkg for lib, pkg in LIBRARIES.items() if lib not in ldconfig]
    if not missing:
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise SystemExit(f"install these packages first: {' '.join(missing)}")
    print(f"installing {' '.join(missing)} (Debian packages the build and its smoke test need)", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", *missing], env=env, check=True)


BUNDLE_ENV = ROOT / "build" / "venv-bundle"
# What the bundle's compiled-from-source packages are built for: x86-64-v2 (SSE4.2, 2009 on), the same
# floor as the oldest llama.cpp variant Gemseek can use, instead of the build machine's own CPU.
PORTABLE_CFLAGS = "-O3 -march=x86-64-v2 -mtune=generic"


def bundle_python() -> Path:
    """A virtual environment holding only what the app needs, its compiled parts built for any x86-64 CPU.

    pip builds hnswlib from source with ``-march=native`` (its setup.py), so a
    bundle made from the development environment dies with an illegal
    instruction on a CPU older than the build machine's (found by running the
    bundle under ``qemu-x86_64 -cpu Nehalem``). Here it is built with
    ``HNSWLIB_NO_NATIVE=1`` and portable flags, without pip's wheel cache
    (which holds the native build under the same name). llama-cpp-python's
    own libraries are replaced by the portable engine in the spec.
    """
    python = BUNDLE_ENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    stamp = BUNDLE_ENV / ".gemseek-bundle"
    want = (ROOT / "pyproject.toml").read_text(encoding="utf-8") + PORTABLE_CFLAGS
    if python.exists() and stamp.is_file() and stamp.read_text(encoding="utf-8") == want:
        return python
    import venv

    print(f"making the bundle's environment in {BUNDLE_ENV}", flush=True)
    venv.EnvBuilder(with_pip=True, clear=True).create(BUNDLE_ENV)
    wheels = ROOT / "build" / "wheels"
    shutil.rmtree(wheels, ignore_errors=True)
    portable = {**os.environ, "HNSWLIB_NO_NATIVE": "1", "CFLAGS": PORTABLE_CFLAGS, "CXXFLAGS": PORTABLE_CFLAGS}
    if sys.platform.startswith("linux"):
        hnswlib = next(r for r in _requirements() if r.startswith("hnswlib"))
        subprocess.run([str(python), "-m", "pip", "wheel", "--no-deps", "--no-cache-dir", "--no-binary", "hnswlib",
                        "-w", str(wheels), hnswlib], check=True, env=portable)
        subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--find-links", str(wheels),
                        "hnswlib"], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-e", f"{ROOT}[installer]"], check=True)
    stamp.write_text(want, encoding="utf-8")
    return python


def _requirements() -> list[str]:
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]


def pyinstaller(engine_libs: Path | None, icon_dir: Path) -> None:
    python = bundle_python()
    env = {**os.environ, "GEMSEEK_ICON_DIR": str(icon_dir)}
    if engine_libs:
        env["GEMSEEK_ENGINE_LIBS"] = str(engine_libs)
    subprocess.run([str(python), "-m", "PyInstaller", "--noconfirm", "--clean", "--distpath", str(DIST),
                    "--workpath", str(ROOT / "build" / "pyinstaller"), str(ROOT / "installer" / "gemseek.spec")],
                   check=True, cwd=ROOT, env=env)


def build(args: argparse.Namespace) -> dict[str, Path]:
    engine_libs = None if args.native_engine else portable_engine.build(args.jobs)
    icon_dir = ROOT / "build" / "icons"
    shutil.rmtree(icon_dir, ignore_errors=True)
    icon_renderer.render(icon_dir)
    pyinstaller(engine_libs, icon_dir)
    if engine_libs:
        portable_engine.slim(FROZEN / "_internal" / "llama_cpp" / "lib")
    made = {"folder": FROZEN}
    if sys.platform.startswith("linux"):
        made["tarball"] = appimage.tarball(FROZEN, icon_dir, DIST)
        made["appimage"] = appimage.appimage(appimage.appdir(FROZEN, icon_dir, ROOT / "build" / "AppDir"), DIST)
    return made


def sizes(made: dict[str, Path]) -> dict[str, int]:
    out = {}
    for name, path in made.items():
        out[name] = (sum(f.lstat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())
                     if path.is_dir() else path.stat().st_size)
        print(f"     {name}: {out[name] / 1e6:.1f} MB ({path.name})")
    return out


def ensure_q8(models: Path) -> None:
    """The engine check needs the Q8_0 file; convert it into the models folder with this checkout's converter."""
    target = models / "gguf" / "embeddinggemma-300m-Q8_0.gguf"
    if not target.is_file():
        subprocess.run([sys.executable, "-m", "app", "model", "prepare", "--type", "Q8_0"], check=True,
                       env={**os.environ, "GEMSEEK_MODELS": str(models)})


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--skip-build", action="store_true", help="only smoke-test what is already in dist/")
    p.add_argument("--models", type=Path, help="a models folder with the checkpoint: also run the real-model checks")
    p.add_argument("--native-engine", action="store_true",
                   help="bundle the llama.cpp pip built for this CPU (quicker; the bundle then runs only on CPUs "
                        "like this one)")
    p.add_argument("--jobs", type=int, default=0, help="compile jobs for the portable engine (default: every CPU)")
    p.add_argument("--no-gui", action="store_true", help="skip the desktop-app checks")
    args = p.parse_args()
    if sys.platform.startswith("linux"):
        ensure_debian_packages()
    if args.skip_build:
        made = {"folder": FROZEN, **{k: v for k, v in (
            ("tarball", next(DIST.glob("Gemseek-*-x86_64.tar.gz"), None)),
            ("appimage", next(DIST.glob("Gemseek-*-x86_64.AppImage"), None))) if v}}
    else:
        made = build(args)
    report = smoke.Report()
    report.figures["bytes"] = sizes(made)
    exe = [str(FROZEN / ("gemseek.exe" if sys.platform == "win32" else "gemseek"))]
    models = args.models.resolve() if args.models else None
    smoke.cli(exe, report, models)
    if "appimage" in made:
        smoke.cli([str(made["appimage"])], report, models, label="AppImage: ")
    if models:
        ensure_q8(models)
        smoke.engine(FROZEN / "gemseek", models, report)
        if not args.no_gui and sys.platform.startswith("linux"):
            smoke.gui(exe, models, report, DIST)
            if "appimage" in made:
                smoke.gui([str(made["appimage"])], models, report, DIST, label="AppImage: ")
    (DIST / "smoke.json").write_text(json.dumps({"failures": report.failures, **report.figures}, indent=2))
    for f in report.failures:
        print(f"\nFAILED: {f}", file=sys.stderr)
    print(f"\n{len(report.failures)} failure(s); figures in {DIST / 'smoke.json'}")
    return 1 if report.failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
