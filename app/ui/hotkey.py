"""A global keyboard shortcut for quick search, where the platform lets an app have one.

X11 (through libX11, which every X11 desktop has) and Windows (RegisterHotKey)
allow an application to grab a key combination for the whole desktop.
Wayland does not, by design, and macOS needs an accessibility permission and
a native framework; there, binding ``gemseek quick`` in the desktop's own
keyboard settings does the same (see the Settings dialog).

A grabber is created, used and closed on one thread (the hot-key thread in
:mod:`app.ui.workers`): ``wait(timeout)`` returns True when the keys were
pressed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import select
import sys

from app.core import shortcut as shortcut_mod

_KEY_NAMES = {"space": "space", "enter": "Return", "return": "Return", "tab": "Tab", "escape": "Escape",
              "esc": "Escape"}


class HotkeyError(Exception):
    """The shortcut cannot be used (taken by another program, or not understood)."""


def parse(shortcut: str) -> tuple[frozenset[str], str]:
    try:
        return shortcut_mod.parse(shortcut)
    except ValueError as exc:
        raise HotkeyError(str(exc)) from None


def platform_support() -> str | None:
    """Which backend works in this session: "x11", "windows", or None (Wayland, macOS, no display)."""
    if sys.platform == "win32":
        return "windows"
    if sys.platform.startswith("linux") and os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        if os.environ.get("QT_QPA_PLATFORM", "xcb") in ("xcb", ""):
            return "x11"
    return None


def make_grabber(shortcut: str):
    """A grabber for this platform (call on the thread that will wait on it)."""
    kind = platform_support()
    if kind == "x11":
        return X11Grabber(shortcut)
    if kind == "windows":  # pragma: no cover - Windows only
        return WindowsGrabber(shortcut)
    raise HotkeyError("this desktop does not let applications have a global shortcut")


# -- X11 ---------------------------------------------------------------------
_X11_MASKS = {"shift": 1 << 0, "ctrl": 1 << 2, "alt": 1 << 3, "super": 1 << 6}
_LOCK, _NUMLOCK = 1 << 1, 1 << 4
_KEY_PRESS = 2
_BAD_ACCESS = 10


def libx11() -> ctypes.CDLL:
    """libX11 with the signatures Gemseek calls declared (pointers and XIDs are 64-bit)."""
    name = ctypes.util.find_library("X11")
    if not name:
        raise HotkeyError("libX11 is not installed")
    x = ctypes.cdll.LoadLibrary(name)
    ptr, xid = ctypes.c_void_p, ctypes.c_ulong
    x.XOpenDisplay.restype = ptr
    x.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x.XDefaultRootWindow.restype = xid
    x.XDefaultRootWindow.argtypes = [ptr]
    x.XStringToKeysym.restype = xid
    x.XStringToKeysym.argtypes = [ctypes.c_char_p]
    x.XKeysymToKeycode.restype = ctypes.c_ubyte
    x.XKeysymToKeycode.argtypes = [ptr, xid]
    x.XGrabKey.argtypes = [ptr, ctypes.c_int, ctypes.c_uint, xid, ctypes.c_int, ctypes.c_int, ctypes.c_int]
    x.XUngrabKey.argtypes = [ptr, ctypes.c_int, ctypes.c_uint, xid]
    x.XSync.argtypes = [ptr, ctypes.c_int]
    for fn in ("XPending", "XConnectionNumber", "XCloseDisplay", "XFlush"):
        getattr(x, fn).argtypes = [ptr]
    x.XNextEvent.argtypes = [ptr, ptr]
    x.XSetErrorHandler.restype = ptr
    x.XSetErrorHandler.argtypes = [ptr]
    return x


class X11Grabber:
    """Grabs a key combination on the root window through its own Xlib connection."""

    def __init__(self, shortcut: str, display: str | None = None) -> None:
        mods, key = parse(shortcut)
        x = self._x = libx11()
        handler_type = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
        x.XSetErrorHandler.restype = ctypes.c_void_p
        x.XSetErrorHandler.argtypes = [ctypes.c_void_p]

        self._dpy = x.XOpenDisplay(display.encode() if display else None)
        if not self._dpy:
            raise HotkeyError("cannot open the X display")
        self._root = x.XDefaultRootWindow(self._dpy)
        keysym = x.XStringToKeysym(_KEY_NAMES.get(key, key.upper() if key[0] == "f" and len(key) > 1 else key)
                                   .encode())
        self._keycode = x.XKeysymToKeycode(self._dpy, keysym) if keysym else 0
        if not self._keycode:
            x.XCloseDisplay(self._dpy)
            raise HotkeyError(f"the keyboard has no key {key!r}")
        base = sum(_X11_MASKS[m] for m in mods)
        self._masks = [base | extra for extra in (0, _LOCK, _NUMLOCK, _LOCK | _NUMLOCK)]

        errors: list[int] = []

        def on_error(_display, event) -> int:  # records instead of Xlib's default: exit the process
            errors.append(ctypes.cast(event, ctypes.POINTER(ctypes.c_ubyte))[32])
            return 0

        callback = handler_type(on_error)
        previous = x.XSetErrorHandler(ctypes.cast(callback, ctypes.c_void_p))
        try:
            for mask in self._masks:
                x.XGrabKey(self._dpy, self._keycode, mask, self._root, 1, 1, 1)  # owner events, async, async
            x.XSync(self._dpy, 0)
        finally:
            x.XSetErrorHandler(previous)
        if errors:
            self.close()
            taken = _BAD_ACCESS in errors
            raise HotkeyError(f"{shortcut} is already used by another program" if taken
                              else f"the X server refused {shortcut} (error {errors[0]})")
        self._event = (ctypes.c_long * 24)()  # XEvent is a union of 24 longs

    def wait(self, timeout: float) -> bool:
        """Whether the shortcut was pressed within ``timeout`` seconds."""
        x = self._x
        if not x.XPending(self._dpy):
            ready, _, _ = select.select([x.XConnectionNumber(self._dpy)], [], [], timeout)
            if not ready:
                return False
        pressed = False
        while x.XPending(self._dpy):
            x.XNextEvent(self._dpy, self._event)
            if ctypes.cast(self._event, ctypes.POINTER(ctypes.c_int))[0] == _KEY_PRESS:
                pressed = True
        return pressed

    def close(self) -> None:
        if self._dpy:
            for mask in self._masks:
                self._x.XUngrabKey(self._dpy, self._keycode, mask, self._root)
            self._x.XCloseDisplay(self._dpy)
            self._dpy = None


# -- Windows -----------------------------------------------------------------
_WINDOWS_MODS = {"alt": 0x1, "ctrl": 0x2, "shift": 0x4, "super": 0x8}


class WindowsGrabber:  # pragma: no cover - Windows only
    """RegisterHotKey on the calling thread; WM_HOTKEY arrives in that thread's message queue."""

    _NOREPEAT, _WM_HOTKEY, _PM_REMOVE = 0x4000, 0x0312, 0x1

    def __init__(self, shortcut: str) -> None:
        import ctypes.wintypes as wt

        mods, key = parse(shortcut)
        self._user32 = ctypes.windll.user32
        if len(key) == 1:
            vk = ord(key.upper())
        elif key[0] == "f" and len(key) > 1:
            vk = 0x70 + int(key[1:]) - 1
        else:
            vk = {"space": 0x20, "enter": 0x0D, "return": 0x0D, "tab": 0x09, "escape": 0x1B, "esc": 0x1B}[key]
        flags = sum(_WINDOWS_MODS[m] for m in mods) | self._NOREPEAT
        if not self._user32.RegisterHotKey(None, 1, flags, vk):
            raise HotkeyError(f"{shortcut} is already used by another program")
        self._msg = wt.MSG()

    def wait(self, timeout: float) -> bool:
        import time

        deadline = time.monotonic() + timeout
        while True:
            if self._user32.PeekMessageW(ctypes.byref(self._msg), None, self._WM_HOTKEY, self._WM_HOTKEY,
                                         self._PM_REMOVE):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.03)

    def close(self) -> None:
        self._user32.UnregisterHotKey(None, 1)
