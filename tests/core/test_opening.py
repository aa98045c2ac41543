"""Opening a result never runs it, and "Show in folder" selects the file, on every platform."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from app.core.opening import PROGRAM_NOTE, SCRIPT_NOTE, Launch, open_launch, reveal_launch

DOC = stat.S_IFREG | 0o644
EXE = stat.S_IFREG | 0o755


def none(_name):
    return None


def dbus(name):
    return f"/usr/bin/{name}" if name == "dbus-send" else None


@pytest.mark.parametrize("name", ["run.bat", "RUN.CMD", "x.ps1", "tool.py", "a.pyw", "s.js", "m.vbs", "w.wsf",
                                  "h.hta", "k.reg"])
def test_windows_scripts_open_in_notepad(name):
    path = Path("C:/Users/me/Downloads") / name
    assert open_launch(path, "win32", DOC) == Launch(argv=("notepad.exe", str(path)), note=SCRIPT_NOTE)


@pytest.mark.parametrize("name", ["setup.exe", "x.msi", "y.scr", "z.lnk", "w.com", "c.cpl", "j.jar", "u.url"])
def test_windows_programs_are_shown_selected_not_started(name):
    path = Path("C:/Users/me/Downloads") / name
    assert open_launch(path, "win32", DOC) == Launch(argv=("explorer.exe", f"/select,{path}"), note=PROGRAM_NOTE)


@pytest.mark.parametrize("name", ["run.command", "x.sh", "t.tool", "s.py", "a.scpt"])
def test_macos_scripts_open_in_the_text_editor(name):
    path = Path("/Users/me/Downloads") / name
    assert open_launch(path, "darwin", DOC) == Launch(argv=("open", "-t", str(path)), note=SCRIPT_NOTE)


@pytest.mark.parametrize("name", ["Evil.app", "x.pkg", "w.workflow", "l.webloc"])
def test_macos_programs_are_revealed(name):
    path = Path("/Users/me/Downloads") / name
    assert open_launch(path, "darwin", DOC) == Launch(argv=("open", "-R", str(path)), note=PROGRAM_NOTE)


def test_linux_launchers_and_executables_are_revealed_documents_open():
    for name, mode in (("evil.desktop", DOC), ("x.AppImage", DOC), ("tool", EXE), ("notes.txt", EXE)):
        launch = open_launch(Path("/home/me") / name, "linux", mode, which=none)
        assert launch == Launch(url=Path("/home/me"), note=PROGRAM_NOTE), name
    for name in ("letter.pdf", "retry.py", "run.sh", "poem.md"):  # not executable: the desktop's default viewer
        assert open_launch(Path("/home/me") / name, "linux", DOC, which=none) == Launch(url=Path("/home/me") / name)


def test_documents_open_with_the_default_application_everywhere():
    for platform in ("win32", "darwin", "linux"):
        path = Path("/docs/rent increase.pdf")
        assert open_launch(path, platform, DOC) == Launch(url=path)


def test_reveal_selects_the_file_on_each_platform():
    path = Path("/home/me/Letters/rent, 2026 #1.odt")
    assert reveal_launch(path, "win32") == Launch(argv=("explorer.exe", f"/select,{path}"))
    assert reveal_launch(path, "darwin") == Launch(argv=("open", "-R", str(path)))
    linux = reveal_launch(path, "linux", which=dbus)
    assert linux.argv[:2] == ("dbus-send", "--session") and linux.fallback == path.parent
    assert "org.freedesktop.FileManager1.ShowItems" in linux.argv
    item = next(a for a in linux.argv if a.startswith("array:string:"))
    assert item == "array:string:file:///home/me/Letters/rent%2C%202026%20%231.odt"  # no bare comma to split on
    gdbus = reveal_launch(path, "linux", which=lambda n: "/usr/bin/gdbus" if n == "gdbus" else None)
    assert gdbus.argv[0] == "gdbus" and "['file:///home/me/Letters/rent%2C%202026%20%231.odt']" in gdbus.argv
    assert reveal_launch(path, "linux", which=none) == Launch(url=path.parent)  # no D-Bus tool: the folder


def test_the_file_s_own_mode_is_read_when_not_given(tmp_path):
    script = tmp_path / "planted"
    script.write_text("#!/bin/sh\nrm -rf ~\n")
    script.chmod(0o755)
    assert open_launch(script, "linux", which=none).note == PROGRAM_NOTE
    script.chmod(0o644)
    assert open_launch(script, "linux", which=none) == Launch(url=script)
