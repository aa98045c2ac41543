"""`gemseek` without a display falls back to the terminal demo instead of crashing."""

from __future__ import annotations

import argparse
import sys

import pytest

from app.cli import gui_cmd
from app.main import has_display


def test_has_display_follows_the_environment(monkeypatch):
    monkeypatch.setattr("sys.platform", "linux")
    for name in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    assert not has_display()
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    assert has_display()
    monkeypatch.delenv("WAYLAND_DISPLAY")
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert has_display()


def test_no_display_runs_the_demo(monkeypatch, capsys, paths):
    calls = []
    monkeypatch.setattr("app.main.has_display", lambda: False)
    monkeypatch.setattr(gui_cmd.demo_cmd, "run", lambda args, p: calls.append(p) or 0)
    assert gui_cmd.run(argparse.Namespace(gui_command="show"), paths) == 0
    assert calls == [paths]
    assert "no display" in capsys.readouterr().err


def test_missing_x11_libraries_are_named_and_the_demo_runs(monkeypatch, capsys, paths):
    import ctypes.util

    monkeypatch.setattr("sys.platform", "linux")
    for name in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None if name == "xcb-cursor" else f"lib{name}.so")
    calls = []
    monkeypatch.setattr(gui_cmd.demo_cmd, "run", lambda args, p: calls.append(p) or 0)
    assert gui_cmd.run(argparse.Namespace(gui_command="show"), paths) == 0
    assert calls == [paths]
    assert "sudo apt install libxcb-cursor0" in capsys.readouterr().err


@pytest.mark.skipif(sys.platform != "linux", reason="Qt's xcb libraries are Linux's")
def test_an_installer_s_build_counts_the_x_libraries_it_carries(monkeypatch, tmp_path):
    import ctypes.util

    from app import main as app_main

    for var in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)  # none on the system
    assert "libxcb-cursor0" in app_main.missing_desktop_libraries()
    (tmp_path / "libxcb-cursor.so.0").write_bytes(b"")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)  # a PyInstaller build's own folder
    missing = app_main.missing_desktop_libraries()
    assert "libxcb-cursor0" not in missing and "libxcb-icccm4" in missing
