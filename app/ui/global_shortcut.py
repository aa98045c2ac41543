"""The quick-search shortcut the settings name: one listener thread for it, or none."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from app.ui import hotkey
from app.ui.workers import HotkeyListener


class GlobalShortcut(QObject):
    """Keeps a :class:`~app.ui.workers.HotkeyListener` for the current shortcut.

    Args:
        make_grabber: shortcut → a grabber (see app.ui.hotkey); by default the
            platform's, and none where the platform has no global shortcuts.

    Signals:
        pressed(): the shortcut was pressed.
        failed(str): it cannot be used (taken by another program, or not supported here).
    """

    pressed = Signal()
    failed = Signal(str)

    def __init__(self, make_grabber: Callable = hotkey.make_grabber, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._make = make_grabber
        self.listener: HotkeyListener | None = None

    def follow(self, shortcut: str) -> None:
        """Listen for ``shortcut`` from now on; an empty one turns the shortcut off."""
        if self.listener is not None and self.listener.shortcut == shortcut:
            return
        self.stop()
        if not shortcut or (self._make is hotkey.make_grabber and hotkey.platform_support() is None):
            return  # off, or a desktop (Wayland, macOS) where `gemseek quick` is bound instead
        listener = HotkeyListener(shortcut, self._make, self)
        listener.pressed.connect(self.pressed)
        listener.failed.connect(self.failed)
        self.listener = listener
        listener.start()

    def stop(self) -> None:
        if self.listener is not None:
            self.listener.stop()
            self.listener = None
