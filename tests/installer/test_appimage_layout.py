"""The AppDir the AppImage is made from, laid out from a stand-in frozen folder (no build needed)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "installer"))
import appimage  # noqa: E402
from manifest import APP_ID, version  # noqa: E402

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="AppImages are Linux's")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    # In a child (python installer/icons.py OUT): the QGuiApplication it needs would otherwise stay in this
    # process, and the Qt widget tests after it would abort ("Cannot create a QWidget without QApplication").
    out = tmp_path_factory.mktemp("icons")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, str(ROOT / "installer" / "icons.py"), str(out)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    made = [Path(line) for line in done.stdout.splitlines()]
    assert {p.parent.parent.name for p in made} >= {"16x16", "48x48", "256x256", "512x512"}
    return out


@pytest.fixture
def frozen(tmp_path) -> Path:
    folder = tmp_path / "gemseek"
    (folder / "_internal").mkdir(parents=True)
    program = folder / "gemseek"
    program.write_text("#!/bin/sh\necho frozen \"$@\"\n")
    program.chmod(0o755)
    return folder


def test_the_appdir_has_what_appimage_and_desktops_look_for(frozen, rendered, tmp_path):
    d = appimage.appdir(frozen, rendered, tmp_path / "AppDir")
    assert os.readlink(d / "AppRun") == "usr/lib/gemseek/gemseek"
    assert subprocess.run([str(d / "AppRun"), "x"], capture_output=True, text=True).stdout.strip() == "frozen x"
    desktop = d / f"{APP_ID}.desktop"
    assert "Exec=gemseek" in desktop.read_text() and (d / f"{APP_ID}.png").is_file()
    assert os.readlink(d / ".DirIcon") == f"{APP_ID}.png"
    assert (d / "usr" / "share" / "metainfo" / f"{APP_ID}.appdata.xml").is_file()
    assert (d / "usr" / "share" / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg").is_file()
    assert (d / "usr" / "share" / "icons" / "hicolor" / "48x48" / "apps" / f"{APP_ID}.png").is_file()
    if shutil.which("desktop-file-validate"):
        assert subprocess.run(["desktop-file-validate", str(desktop)]).returncode == 0


def test_the_tarball_holds_the_program_and_its_desktop_files(frozen, rendered, tmp_path):
    target = appimage.tarball(frozen, rendered, tmp_path)
    assert target.name == f"Gemseek-{version()}-x86_64.tar.gz"
    with tarfile.open(target) as tar:
        names = set(tar.getnames())
        top = f"Gemseek-{version()}"
        assert {f"{top}/gemseek", f"{top}/share/applications/{APP_ID}.desktop",
                f"{top}/share/metainfo/{APP_ID}.metainfo.xml",
                f"{top}/share/icons/hicolor/256x256/apps/{APP_ID}.png"} <= names
        assert tar.getmember(f"{top}/gemseek").mode & 0o111
