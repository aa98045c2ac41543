"""The application-menu entry of a bundle (Linux): written for the bundle itself, kept current, removable."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.core import autostart, desktop_entry
from app.core.desktop_entry import APP_ID, Places
from app.core.paths import resources_dir

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the menu entry is Linux's")


def fields(text: str) -> dict[str, str]:
    main = text.split("\n[Desktop Action", 1)[0]
    return dict(line.split("=", 1) for line in main.splitlines() if "=" in line)


@pytest.fixture
def places(tmp_path) -> Places:
    return Places(tmp_path / "applications", tmp_path / "icons" / "hicolor")


@pytest.fixture
def bundle(monkeypatch, tmp_path):
    """Pretend to be the frozen program of an installer, as PyInstaller's bootloader makes it."""
    program = tmp_path / "Gemseek 0.1" / "gemseek"  # a space: Exec quoting matters
    program.parent.mkdir()
    program.write_text("")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(program))
    monkeypatch.delenv("APPIMAGE", raising=False)
    return program


def test_the_entry_starts_the_bundle_and_its_quick_search(places, bundle):
    entry = desktop_entry.install(places)
    text = entry.read_text(encoding="utf-8")
    assert shlex.split(fields(text)["Exec"]) == [str(bundle)]
    assert f'Exec="{bundle}" quick' in text  # the Quick search action
    assert fields(text)["Icon"] == APP_ID
    assert (places.icons / "scalable" / "apps" / f"{APP_ID}.svg").is_file()


def test_inside_an_appimage_the_entry_and_login_start_the_appimage_file(places, bundle, monkeypatch, tmp_path):
    image = tmp_path / "Downloads" / "Gemseek-0.1.0-x86_64.AppImage"
    monkeypatch.setenv("APPIMAGE", str(image))  # set by the AppImage runtime; sys.executable is inside the mount
    assert desktop_entry.launch_command() == [str(image)]
    assert autostart.launch_command()[:1] == [str(image)]
    assert shlex.split(fields(desktop_entry.install(places).read_text())["Exec"]) == [str(image)]


def test_a_development_checkout_starts_python_and_writes_nothing_by_itself(places):
    assert desktop_entry.launch_command() == [sys.executable, "-m", "app"]
    assert desktop_entry.install_on_first_start(places) is None and not places.entry.exists()


def test_first_start_of_a_bundle_writes_the_entry_once_and_mends_a_stale_one(places, bundle, tmp_path):
    assert desktop_entry.install_on_first_start(places) == places.entry
    places.entry.write_text(places.entry.read_text() + "X-Edited-By-User=true\n")
    assert desktop_entry.install_on_first_start(places) is None  # current: left alone
    assert "X-Edited-By-User" in places.entry.read_text()
    moved = tmp_path / "elsewhere" / "gemseek"
    places.entry.write_text(desktop_entry.entry_text([str(moved)]))  # the program it named is gone
    assert desktop_entry.install_on_first_start(places) == places.entry
    assert desktop_entry.installed_command(places) == f'"{bundle}"'


def test_remove_takes_out_what_install_wrote(places, bundle):
    desktop_entry.install(places)
    desktop_entry.remove(places)
    assert not places.entry.exists()
    assert not list(places.icons.rglob("*.svg"))


def test_the_template_is_a_valid_desktop_entry(places, bundle):
    entry = desktop_entry.install(places)
    main = fields(entry.read_text())
    assert main["Type"] == "Application" and main["Name"] == "Gemseek" and main["Categories"].endswith(";")
    validate = shutil.which("desktop-file-validate")
    if validate:  # Debian's desktop-file-utils, where installed (the installer's build installs it)
        proc = subprocess.run([validate, str(entry)], capture_output=True, text=True)
        assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout


def test_the_appstream_metadata_names_this_version_and_validates():
    from app import __version__

    meta = resources_dir() / "linux" / f"{APP_ID}.metainfo.xml"
    text = meta.read_text(encoding="utf-8")
    assert f"<id>{APP_ID}</id>" in text and f'<release version="{__version__}"' in text
    assert f"<launchable type=\"desktop-id\">{APP_ID}.desktop</launchable>" in text
    tool = shutil.which("appstreamcli")
    if tool:
        proc = subprocess.run([tool, "validate", "--no-net", str(meta)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_gemseek_install_desktop_from_the_command_line(tmp_path, monkeypatch, capsys):
    from app.cli import main

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    assert main(["--home", str(tmp_path / "home"), "--install-desktop"]) == 0
    entry = tmp_path / "share" / "applications" / f"{APP_ID}.desktop"
    assert shlex.split(fields(entry.read_text())["Exec"]) == [sys.executable, "-m", "app"]
    assert main(["--home", str(tmp_path / "home"), "--remove-desktop"]) == 0
    assert not entry.exists() and "no longer" in capsys.readouterr().out


def test_icons_rendered_by_the_installer_are_installed_too(places, bundle, monkeypatch, tmp_path):
    res = tmp_path / "resources"
    shutil.copytree(resources_dir() / "linux", res / "linux")
    shutil.copytree(resources_dir() / "icons", res / "icons")
    png = res / "icons" / "hicolor" / "48x48" / "apps" / f"{APP_ID}.png"
    png.parent.mkdir(parents=True)
    png.write_bytes(b"\x89PNG")
    monkeypatch.setattr(desktop_entry, "resources_dir", lambda: res)
    desktop_entry.install(places)
    assert (places.icons / "48x48" / "apps" / f"{APP_ID}.png").read_bytes() == b"\x89PNG"
    assert Path(places.entry).is_file()
