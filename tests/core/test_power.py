from __future__ import annotations

from pathlib import Path

from app.core.power import _linux


def supply(root: Path, name: str, **files: str) -> None:
    (root / name).mkdir(parents=True)
    for key, value in files.items():
        (root / name / key).write_text(value + "\n")


def test_laptop_on_mains_and_on_battery(tmp_path):
    supply(tmp_path, "AC", type="Mains", online="1")
    supply(tmp_path, "BAT0", type="Battery", status="Charging")
    assert _linux(tmp_path) is False
    (tmp_path / "AC" / "online").write_text("0\n")
    assert _linux(tmp_path) is True


def test_desktop_without_battery_and_unknown_machine(tmp_path):
    supply(tmp_path, "AC", type="Mains", online="1")
    assert _linux(tmp_path) is False
    assert _linux(tmp_path / "missing") is None


def test_battery_without_mains_entry_uses_its_status(tmp_path):
    supply(tmp_path, "BAT1", type="Battery", status="Discharging")
    assert _linux(tmp_path) is True
