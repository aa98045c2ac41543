"""How to open a search result, or show it in its folder, on each platform — decided here, started by the UI.

A search result can be a file someone planted (a ``.bat`` in Downloads whose
default action on Windows is to run it). Opening a result must never run
a program: scripts are opened in a text editor, programs and launchers are
shown in their folder instead. "Show in folder" selects the file itself:
``explorer /select,`` on Windows, ``open -R`` on macOS, the freedesktop
``FileManager1.ShowItems`` call over D-Bus on Linux (opening the folder when
no file manager answers it).
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# What each desktop runs (rather than shows) when such a file is opened.
SCRIPTS = {
    "win32": frozenset({".bat", ".cmd", ".ps1", ".psm1", ".psd1", ".py", ".pyw", ".js", ".jse", ".vbs", ".vbe",
                        ".wsf", ".wsh", ".hta", ".reg", ".sct", ".inf"}),
    "darwin": frozenset({".command", ".tool", ".sh", ".zsh", ".bash", ".csh", ".py", ".pl", ".rb", ".applescript",
                         ".scpt", ".terminal"}),
    "linux": frozenset(),
}
PROGRAMS = {
    "win32": frozenset({".exe", ".com", ".scr", ".msi", ".msp", ".msix", ".appx", ".cpl", ".lnk", ".pif", ".jar",
                        ".application", ".appref-ms", ".gadget", ".msc", ".scf", ".url", ".library-ms"}),
    "darwin": frozenset({".app", ".pkg", ".mpkg", ".jar", ".workflow", ".action", ".prefpane", ".webloc",
                         ".inetloc", ".fileloc"}),
    "linux": frozenset({".desktop", ".appimage", ".run", ".bin", ".jar", ".flatpakref", ".deb", ".rpm"}),
}

SCRIPT_NOTE = "opened for editing: Gemseek never runs a script from a search result"
PROGRAM_NOTE = "shown in its folder: Gemseek never starts a program from a search result"


@dataclass(frozen=True)
class Launch:
    """A program to start (detached), or a file or folder for the desktop's default handler.

    ``fallback``, when set, is opened if the program fails (the D-Bus call
    finds no file manager); ``note`` says why a result was not simply opened.
    """

    argv: tuple[str, ...] = ()
    url: Path | None = None
    fallback: Path | None = None
    note: str = ""


def platform_key(platform: str = sys.platform) -> str:
    if platform.startswith("win"):
        return "win32"
    return "darwin" if platform == "darwin" else "linux"


def open_launch(path: Path, platform: str = sys.platform, mode: int | None = None,
                which: Callable[[str], str | None] | None = None) -> Launch:
    """How to open ``path`` safely on ``platform`` (``mode``: its st_mode; read from the file when None)."""
    key = platform_key(platform)
    suffix = path.suffix.lower()
    if suffix in PROGRAMS[key] or (key == "darwin" and path.is_dir()):
        return _with_note(reveal_launch(path, platform, which), PROGRAM_NOTE)
    if suffix in SCRIPTS[key]:
        if key == "win32":
            return Launch(argv=("notepad.exe", str(path)), note=SCRIPT_NOTE)
        return Launch(argv=("open", "-t", str(path)), note=SCRIPT_NOTE)
    if key == "linux" and _executable(path, mode):
        # xdg-open may run an executable file (file managers ask, some do not): show it instead.
        return _with_note(reveal_launch(path, platform, which), PROGRAM_NOTE)
    return Launch(url=path)


def reveal_launch(path: Path, platform: str = sys.platform,
                  which: Callable[[str], str | None] | None = None) -> Launch:
    """How to show ``path`` selected in its folder on ``platform`` (``which`` finds a program; shutil's)."""
    which = which or shutil.which
    key = platform_key(platform)
    if key == "win32":
        return Launch(argv=("explorer.exe", f"/select,{path}"))
    if key == "darwin":
        return Launch(argv=("open", "-R", str(path)))
    uri = path.absolute().as_uri()  # percent-encoded: a comma cannot split dbus-send's array
    if which("dbus-send"):
        return Launch(argv=("dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.FileManager1",
                            "--type=method_call", "/org/freedesktop/FileManager1",
                            "org.freedesktop.FileManager1.ShowItems", f"array:string:{uri}", "string:"),
                      fallback=path.parent)
    if which("gdbus"):
        return Launch(argv=("gdbus", "call", "--session", "--dest", "org.freedesktop.FileManager1",
                            "--object-path", "/org/freedesktop/FileManager1",
                            "--method", "org.freedesktop.FileManager1.ShowItems", f"['{uri}']", ""),
                      fallback=path.parent)
    return Launch(url=path.parent)


def _with_note(launch: Launch, note: str) -> Launch:
    return Launch(argv=launch.argv, url=launch.url, fallback=launch.fallback, note=note)


def _executable(path: Path, mode: int | None) -> bool:
    if mode is None:
        try:
            mode = os.stat(path).st_mode
        except OSError:
            return False
    return stat.S_ISREG(mode) and bool(mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH))
