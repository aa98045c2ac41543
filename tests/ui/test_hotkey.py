"""The global quick-search shortcut: the listener thread, the app's wiring, and a real X11 grab."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import subprocess
import time

import pytest

from app.ui.hotkey import HotkeyError, X11Grabber, libx11
from app.ui.workers import HotkeyListener


class FakeGrabber:
    def __init__(self, presses: int = 1) -> None:
        self.presses = presses
        self.closed = False

    def wait(self, timeout: float) -> bool:
        time.sleep(0.01)
        if self.presses:
            self.presses -= 1
            return True
        return False

    def close(self) -> None:
        self.closed = True


def test_listener_reports_presses_and_releases_the_grab(qtbot):
    grabber = FakeGrabber(presses=2)
    listener = HotkeyListener("Ctrl+Alt+Space", lambda shortcut: grabber)
    presses = []
    listener.pressed.connect(lambda: presses.append(1))
    listener.start()
    qtbot.waitUntil(lambda: len(presses) == 2, timeout=5000)
    assert listener.stop()
    assert grabber.closed


def test_listener_reports_a_taken_shortcut(qtbot):
    def taken(shortcut):
        raise HotkeyError(f"{shortcut} is already used by another program")

    listener = HotkeyListener("Ctrl+Alt+Space", taken)
    with qtbot.waitSignal(listener.failed, timeout=5000) as blocker:
        listener.start()
    assert blocker.args == ["Ctrl+Alt+Space is already used by another program"]
    assert listener.stop()


@pytest.fixture
def xvfb(monkeypatch):
    if not shutil.which("Xvfb") or not ctypes.util.find_library("Xtst"):
        pytest.skip("needs Xvfb and libXtst (a real X server) to grab keys")
    display = ":93"
    proc = subprocess.Popen(["Xvfb", display, "-screen", "0", "640x480x24"], stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not os.path.exists(f"/tmp/.X11-unix/X{display[1:]}") and time.monotonic() < deadline:
        time.sleep(0.05)
    yield display
    proc.terminate()
    proc.wait(10)


def press(display: str, *keys: bytes) -> None:
    """Type keys through the XTEST extension, as a keyboard would."""
    x = libx11()
    t = ctypes.cdll.LoadLibrary(ctypes.util.find_library("Xtst"))
    t.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
    d = x.XOpenDisplay(display.encode())
    codes = [x.XKeysymToKeycode(d, x.XStringToKeysym(k)) for k in keys]
    for c in codes:
        t.XTestFakeKeyEvent(d, c, 1, 0)
    for c in reversed(codes):
        t.XTestFakeKeyEvent(d, c, 0, 0)
    x.XFlush(d)
    x.XCloseDisplay(d)


def test_x11_grab_sees_the_shortcut_refuses_a_taken_one_and_lets_go(xvfb):
    grabber = X11Grabber("Ctrl+Alt+Space", display=xvfb)
    try:
        assert not grabber.wait(0.1)
        press(xvfb, b"Alt_L", b"space")  # not the shortcut
        assert not grabber.wait(0.5)
        press(xvfb, b"Control_L", b"Alt_L", b"space")
        assert grabber.wait(2.0)
        with pytest.raises(HotkeyError, match="already used by another program"):
            X11Grabber("Ctrl+Alt+Space", display=xvfb)
    finally:
        grabber.close()
    X11Grabber("Ctrl+Alt+Space", display=xvfb).close()  # free again once released
