"""Start Gemseek at login: an XDG autostart entry on Linux, a LaunchAgent on macOS, a Run key on Windows.

Each platform gets the command that starts the app in the tray. Turning it
off removes exactly what turning it on created.
"""

from __future__ import annotations

import contextlib
import os
import plistlib
import shlex
import subprocess
import sys
from pathlib import Path

from app.core import desktop_entry

LABEL = "org.gemseek.Gemseek"


def launch_command(home: str | None = None) -> list[str]:
    """How the login session should start Gemseek: this very program (the AppImage file itself, not the
    folder it is mounted on while it runs)."""
    cmd = desktop_entry.launch_command()
    if home:
        cmd += ["--home", home]
    return [*cmd, "gui", "--hidden"]


def _xdg_file() -> Path:
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return config / "autostart" / "gemseek.desktop"


def _launch_agent() -> Path:
    return Path.home() / "Library" / "LaunchAgents" / f"{LABEL}.plist"


def is_enabled() -> bool:
    if sys.platform == "win32":
        return _windows_value() is not None
    return (_launch_agent() if sys.platform == "darwin" else _xdg_file()).is_file()


def set_enabled(enabled: bool, home: str | None = None) -> None:
    """Create or remove the login entry for this platform."""
    cmd = launch_command(home)
    if sys.platform == "win32":
        _windows_set(subprocess.list2cmdline(cmd) if enabled else None)
        return
    target = _launch_agent() if sys.platform == "darwin" else _xdg_file()
    if not enabled:
        target.unlink(missing_ok=True)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    if sys.platform == "darwin":
        data = plistlib.dumps({"Label": LABEL, "ProgramArguments": cmd, "RunAtLoad": True})
        target.write_bytes(data)
    else:
        target.write_text(
            "[Desktop Entry]\nType=Application\nName=Gemseek\n"
            "Comment=Find your files by meaning\n"
            f"Exec={' '.join(shlex.quote(c) for c in cmd)}\n"
            "Icon=gemseek\nTerminal=false\nX-GNOME-Autostart-enabled=true\n",
            encoding="utf-8",
        )


def _windows_value() -> str | None:  # pragma: no cover - Windows only
    import winreg

    try:
        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, r"Software\\Microsoft\\Windows\\CurrentVersion\\Run") as key:
            return winreg.QueryValueEx(key, "Gemseek")[0]
    except OSError:
        return None


def _windows_set(line: str | None) -> None:  # pragma: no cover - Windows only
    import winreg

    path = r"Software\\Microsoft\\Windows\\CurrentVersion\\Run"
    with winreg.OpenKey(winreg.HKEY_CURRENT_USER, path, 0, winreg.KEY_SET_VALUE) as key:
        if line is None:
            with contextlib.suppress(FileNotFoundError):
                winreg.DeleteValue(key, "Gemseek")
        else:
            winreg.SetValueEx(key, "Gemseek", 0, winreg.REG_SZ, line)
