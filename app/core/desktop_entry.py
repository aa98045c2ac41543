"""Gemseek in the desktop's application menu (Linux): the menu entry and its icons, for this user.

The installers ship Gemseek as an AppImage or an unpacked folder; neither
is "installed" the way a distribution package is. ``gemseek
--install-desktop`` (and the first start of such a bundle) writes the menu
entry into ``~/.local/share/applications`` and the icons into the user's
hicolor theme, pointing at the bundle itself: the AppImage file, not the
folder it is mounted on while it runs (a new one each start).
"""

from __future__ import annotations

import logging
import os
import shlex
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from app.core.paths import resources_dir

log = logging.getLogger(__name__)

APP_ID = "io.github.gemseek.Gemseek"


def launch_command() -> list[str]:
    """The command that starts this Gemseek: the AppImage, the frozen program, or this Python with ``-m app``."""
    appimage = os.environ.get("APPIMAGE")
    if appimage and getattr(sys, "frozen", False):
        return [appimage]
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "app"]


def is_bundle() -> bool:
    """Whether this is an installer's build (frozen), as opposed to a development checkout."""
    return bool(getattr(sys, "frozen", False))


@dataclass(frozen=True)
class Places:
    """Where a user's menu entries and icons live (XDG base directories)."""

    applications: Path
    icons: Path

    @classmethod
    def for_user(cls) -> Places:
        data = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
        return cls(data / "applications", data / "icons" / "hicolor")

    @property
    def entry(self) -> Path:
        return self.applications / f"{APP_ID}.desktop"


def entry_text(command: list[str]) -> str:
    """The menu entry for ``command``, from the template the bundles carry (``resources/linux``)."""
    template = (resources_dir() / "linux" / f"{APP_ID}.desktop").read_text(encoding="utf-8")
    exe = " ".join(_quote(c) for c in command)
    lines = []
    for line in template.splitlines():
        if line.startswith("Exec=gemseek"):
            line = "Exec=" + exe + line[len("Exec=gemseek"):]
        lines.append(line)
    return "\n".join(lines) + "\n"


def _quote(arg: str) -> str:
    # The desktop entry spec has its own quoting: double quotes, and these escaped inside them.
    if not any(c in arg for c in " \t\n\"'\\><~|&;$*?#()`"):
        return arg
    return '"' + "".join("\\" + c if c in '"`$\\' else c for c in arg) + '"'


def install(places: Places | None = None, command: list[str] | None = None) -> Path:
    """Write the menu entry and icons for this user; returns the entry's path."""
    places = places or Places.for_user()
    command = command or launch_command()
    places.applications.mkdir(parents=True, exist_ok=True)
    tmp = places.entry.with_suffix(".desktop.tmp")
    tmp.write_text(entry_text(command), encoding="utf-8")
    os.chmod(tmp, 0o644)
    os.replace(tmp, places.entry)
    for src, rel in _icons():
        dst = places.icons / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
    log.info("menu entry for %s written to %s", shlex.join(command), places.entry)
    return places.entry


def remove(places: Places | None = None) -> None:
    """Take out what :func:`install` wrote."""
    places = places or Places.for_user()
    places.entry.unlink(missing_ok=True)
    for _, rel in _icons():
        (places.icons / rel).unlink(missing_ok=True)


def installed_command(places: Places | None = None) -> str | None:
    """The ``Exec`` line of the installed menu entry, if there is one."""
    places = places or Places.for_user()
    try:
        text = places.entry.read_text(encoding="utf-8")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("Exec="):
            return line[len("Exec="):]
    return None


def install_on_first_start(places: Places | None = None) -> Path | None:
    """For a bundle on Linux: write the menu entry if there is none, or if it starts a program that is gone
    (the AppImage was moved or replaced by a newer download). A development checkout writes nothing."""
    if not sys.platform.startswith("linux") or not is_bundle():
        return None
    places = places or Places.for_user()
    current = installed_command(places)
    if current is not None:
        program = shlex.split(current)[0] if current.strip() else ""
        if program and Path(program).exists():
            return None
    try:
        return install(places)
    except OSError as exc:  # a read-only home must not stop the app from starting
        log.warning("could not write the menu entry: %s", exc)
        return None


def _icons() -> list[tuple[Path, str]]:
    """(file, path under the hicolor theme) of every icon the resources hold: the SVG, and the PNG sizes a
    bundle carries (``resources/icons/hicolor/NxN/apps``, rendered when the installer builds)."""
    icons = resources_dir() / "icons"
    out = [(icons / "gemseek.svg", f"scalable/apps/{APP_ID}.svg")]
    for png in sorted((icons / "hicolor").glob("*/apps/*.png")):
        out.append((png, f"{png.parent.parent.name}/apps/{APP_ID}.png"))
    return out
