from __future__ import annotations

import shlex
import sys

import pytest

from app.core import autostart

pytestmark = pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="the XDG entry is Linux's")


def test_enable_writes_an_xdg_entry_that_starts_hidden(tmp_path):
    autostart.set_enabled(True)
    entry = tmp_path / "xdg-config" / "autostart" / "gemseek.desktop"
    assert autostart.is_enabled() and entry.is_file()
    lines = dict(line.split("=", 1) for line in entry.read_text().splitlines() if "=" in line)
    assert shlex.split(lines["Exec"]) == [sys.executable, "-m", "app", "gui", "--hidden"]
    assert lines["Type"] == "Application"


def test_disable_removes_it_and_is_idempotent(tmp_path):
    autostart.set_enabled(True)
    autostart.set_enabled(False)
    autostart.set_enabled(False)
    assert not autostart.is_enabled()


def test_home_is_passed_on():
    assert autostart.launch_command("/portable/home")[-4:] == ["--home", "/portable/home", "gui", "--hidden"]
