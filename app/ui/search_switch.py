"""Searching follows indexing: once the index for new settings is complete, search it.

A settings change (a dimension, a quantization) builds a new index in the
background while the old one keeps answering; when the indexing supervisor
reports the new one caught up, the search thread reopens on it and the
window searches again.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from app.core.settings import Settings
from app.ui.main_window import MainWindow
from app.ui.workers import SearchClient


class SearchSwitch(QObject):
    """Switch the search thread to the index of the settings indexing has caught up with.

    Signals:
        switched(Settings): searching now uses these settings.
    """

    switched = Signal(object)

    def __init__(self, client: SearchClient, opener: Callable[[Settings], Callable], settings: Settings,
                 window: MainWindow, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.client = client
        self.settings = settings  # what searching uses: the settings of the last complete index
        self._open = opener
        self._window = window

    def caught_up(self, settings: Settings) -> None:
        if settings != self.settings:
            self.settings = settings
            self.client.reopen(self._open(settings))
            self._window.search_again()
            self.switched.emit(settings)

    def close(self) -> None:
        self.client.close()
