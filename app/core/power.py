"""Whether the computer runs on battery (for "pause indexing on battery power").

Linux reads /sys/class/power_supply, macOS asks ``pmset``, Windows asks
GetSystemPowerStatus. ``None`` means the answer is unknown (a desktop
without a battery reports False).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SYSFS = Path("/sys/class/power_supply")


def on_battery(sysfs: Path = SYSFS) -> bool | None:
    if sys.platform == "darwin":
        return _macos()
    if sys.platform == "win32":
        return _windows()
    return _linux(sysfs)


def _linux(root: Path) -> bool | None:
    try:
        supplies = list(root.iterdir())
    except OSError:
        return None
    mains = [s for s in supplies if _read(s / "type") in ("Mains", "USB")]
    batteries = [s for s in supplies if _read(s / "type") == "Battery"]
    if not batteries:
        return False  # nothing to run on but the mains
    if any(_read(s / "online") == "1" for s in mains):
        return False
    if mains:
        return True
    return any(_read(b / "status") == "Discharging" for b in batteries)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return ""


def _macos() -> bool | None:  # pragma: no cover - macOS only
    try:
        out = subprocess.run(["pmset", "-g", "batt"], capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return "Battery Power" in out


def _windows() -> bool | None:  # pragma: no cover - Windows only
    import ctypes

    class Status(ctypes.Structure):
        _fields_ = [("ACLineStatus", ctypes.c_byte), ("BatteryFlag", ctypes.c_byte),
                    ("BatteryLifePercent", ctypes.c_byte), ("SystemStatusFlag", ctypes.c_byte),
                    ("BatteryLifeTime", ctypes.c_ulong), ("BatteryFullLifeTime", ctypes.c_ulong)]

    status = Status()
    if not ctypes.windll.kernel32.GetSystemPowerStatus(ctypes.byref(status)):
        return None
    return status.ACLineStatus == 0
