"""The tray icon and its menu: Quick search, Pause/Resume indexing, Open Gemseek, Settings, Quit."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon


class Tray(QObject):
    """Wraps :class:`QSystemTrayIcon`; where there is no tray it stays hidden and harmless.

    Signals:
        quick_search(), open_window(), settings(), pause_toggled(), quit()
    """

    quick_search = Signal()
    open_window = Signal()
    settings = Signal()
    pause_toggled = Signal()
    quit = Signal()

    def __init__(self, icon: QIcon, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.menu = QMenu()
        self.quick_action = self._add("Quick search", self.quick_search)
        self.pause_action = self._add("Pause indexing", self.pause_toggled)
        self._add("Open Gemseek", self.open_window)
        self._add("Settings…", self.settings)
        self.menu.addSeparator()
        self._add("Quit Gemseek", self.quit)
        self.icon = QSystemTrayIcon(icon, self)
        self.icon.setToolTip("Gemseek")
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)

    def _add(self, text: str, signal: Signal) -> QAction:
        action = self.menu.addAction(text)
        action.triggered.connect(signal.emit)
        return action

    @staticmethod
    def available() -> bool:
        return QSystemTrayIcon.isSystemTrayAvailable()

    def show(self) -> bool:
        """Show the icon if the desktop has a tray; tell whether it did."""
        if self.available():
            self.icon.show()
            return True
        return False

    def hide(self) -> None:
        self.icon.hide()

    def state(self) -> dict:
        return {"available": self.available(), "visible": self.icon.isVisible()}

    def set_paused(self, paused: bool) -> None:
        self.pause_action.setText("Resume indexing" if paused else "Pause indexing")

    def notify(self, title: str, text: str) -> None:
        if self.icon.isVisible():
            self.icon.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 6000)

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.quick_search.emit()
