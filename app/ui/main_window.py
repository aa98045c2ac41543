"""The main window: composes the search panel, the status bar and the menus; no business logic."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QMainWindow, QWidget

from app.core.catalog import IndexStats
from app.core.progress import Progress
from app.ui.index_status import IndexStatus
from app.ui.search_panel import SearchPanel
from app.ui.workers import IndexState, SearchClient


class MainWindow(QMainWindow):
    """Search window.

    Signals:
        settings_requested(), skipped_requested(), pause_toggled(), quit_requested(),
        add_folder_requested()
        closing(): the user closed the window (the app decides whether to keep running).
    """

    settings_requested = Signal()
    skipped_requested = Signal()
    pause_toggled = Signal()
    quit_requested = Signal()
    add_folder_requested = Signal()
    closing = Signal()

    def __init__(self, client: SearchClient, roots: tuple[str, ...] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Gemseek")
        self.resize(1000, 640)
        self.search = SearchPanel(client, roots=roots)
        self.setCentralWidget(self.search)
        self.status = IndexStatus(self.statusBar())
        self.status.pause_button.clicked.connect(self.pause_toggled)
        menu = self.menuBar().addMenu("&Gemseek")
        self._action(menu, "Add folder…", self.add_folder_requested, "Ctrl+O")
        self._action(menu, "Skipped files…", self.skipped_requested)
        self.pause_action = self._action(menu, "Pause indexing", self.pause_toggled)
        self._action(menu, "Settings…", self.settings_requested, QKeySequence.StandardKey.Preferences)
        menu.addSeparator()
        self._action(menu, "Quit", self.quit_requested, QKeySequence.StandardKey.Quit)
        self.keep_running = False  # set when a tray icon keeps Gemseek alive without the window

    def _action(self, menu, text: str, signal: Signal, shortcut=None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(signal.emit)
        menu.addAction(action)
        return action

    def state(self) -> dict:
        """What the window shows (the running app's ``state`` answer)."""
        return {"visible": self.isVisible(), "title": self.windowTitle(), **self.search.state(),
                "status": self.statusBar().currentMessage()}

    def show_problem(self, text: str) -> None:
        """Say that something went wrong that nobody expected (details are in the log)."""
        self.statusBar().showMessage(f"Something went wrong: {text} (details in gemseek.log)", 30_000)

    def show_notice(self, text: str, timeout_ms: int) -> None:
        """Say something in the status bar for a while (an expected hitch, not an error)."""
        self.statusBar().showMessage(text, timeout_ms)

    def set_paused(self, paused: bool) -> None:
        self.pause_action.setText("Resume indexing" if paused else "Pause indexing")

    # -- the index's account (the status bar) and the answers' coverage ----
    def show_state(self, state: IndexState) -> None:
        self.status.on_state(state)

    def show_progress(self, p: Progress) -> None:
        self.status.on_progress(p)

    def show_stats(self, stats: IndexStats) -> None:
        self.status.on_stats(stats)

    def show_failure(self, message: str) -> None:
        """Indexing stopped, or the model could not be got: say why."""
        self.status.on_failed(message)

    def show_activity(self, text: str) -> None:
        """Say what indexing is doing, in place of what its state says."""
        self.status.show_activity(text)

    def show_coverage(self, text: str) -> None:
        """Say with each answer how much is indexed so far (empty once the index is complete)."""
        self.search.set_coverage(text)

    # -- searching ---------------------------------------------------------
    def set_roots(self, roots: tuple[str, ...]) -> None:
        """Offer these folders in the folder filter."""
        self.search.set_roots(roots)

    def search_again(self) -> None:
        """Ask the current query again now (the index searched has changed)."""
        self.search.search_now()

    def focus_search(self) -> None:
        self.show()
        self.raise_()
        self.activateWindow()
        self.search.take_focus()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.closing.emit()
        if self.keep_running:
            event.ignore()
            self.hide()
        else:
            event.accept()
            self.quit_requested.emit()
