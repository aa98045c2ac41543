"""Does what the user asks of the running app: settings, folders, windows, quick search, quit.

It holds the current settings. Applying them saves them, follows the
shortcut and start-at-login, and hands them to the indexing supervisor
(app.ui.index_supervisor), which restarts indexing when it must; searching
switches to the new index once it is complete (app.ui.search_switch).
app.main builds every object this wires and shows what indexing reports.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog

from app.core import autostart
from app.core import settings as settings_mod
from app.core.paths import Paths
from app.core.settings import Settings
from app.ui.first_run import FirstRunDialog
from app.ui.global_shortcut import GlobalShortcut
from app.ui.index_supervisor import IndexSupervisor
from app.ui.main_window import MainWindow
from app.ui.quick_search import QuickSearch
from app.ui.search_switch import SearchSwitch
from app.ui.settings_dialog import SettingsDialog
from app.ui.skipped_dialog import SkippedDialog
from app.ui.tray import Tray

log = logging.getLogger(__name__)


class AppController(QObject):
    """The running app.

    Args:
        paths, settings: where settings and markers live; the settings at start.
        search: switches searching to the index indexing has caught up with (its ``switched`` is
            this one's ``search_switched``).
        window, quick, skipped, tray: the main window, the quick-search popup, the
            skipped-files dialog, the tray icon (hidden where the desktop has none).
        indexing, shortcut: the indexing supervisor and the global shortcut.
        engine_choice: settings → this computer's measured engine for them, or None (Settings shows it).

    Signals:
        search_switched(Settings): searching now uses these settings.
        stopped(): the workers are shut down; the application may quit.
    """

    search_switched = Signal(object)
    stopped = Signal()

    def __init__(self, paths: Paths, settings: Settings, *, search: SearchSwitch, window: MainWindow,
                 quick: QuickSearch, skipped: SkippedDialog, tray: Tray, indexing: IndexSupervisor,
                 shortcut: GlobalShortcut, engine_choice: Callable[[Settings], object | None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.paths = paths
        self.settings = settings
        self.search = search
        search.switched.connect(self.search_switched)
        self.window = window
        self.quick = quick
        self.skipped = skipped
        self.tray = tray
        self.indexing = indexing
        self.shortcut = shortcut
        self.engine_choice = engine_choice
        self._quitting = False
        self.done = False  # set once quitting has stopped every worker
        window.settings_requested.connect(self.show_settings)
        window.skipped_requested.connect(self.show_skipped)
        window.add_folder_requested.connect(self.ask_folder)
        window.closing.connect(self._window_closing)
        window.quit_requested.connect(self.quit)
        tray.quick_search.connect(self.show_quick)
        tray.open_window.connect(window.focus_search)
        tray.settings.connect(self.show_settings)
        tray.quit.connect(self.quit)
        shortcut.pressed.connect(self.show_quick)
        shortcut.failed.connect(self._shortcut_failed)
        indexing.stopped.connect(self._finish)

    def start(self, *, first_run: bool, hidden: bool = False) -> None:
        """Show the window (or only the tray icon when ``hidden`` and there is a tray) and start indexing."""
        self.window.keep_running = self.tray.show()
        if not (hidden and self.window.keep_running) or first_run:
            self.window.show()
            self.window.focus_search()
        self.shortcut.follow(self.settings.hotkey)
        model_ready = self.indexing.start()
        if first_run:
            dialog = FirstRunDialog(model_ready=model_ready, job=self.indexing.model_job, parent=self.window)
            dialog.chosen.connect(self._first_folders)
            dialog.setModal(False)
            dialog.show()
            self.first_run = dialog
        self._marker("first-run-done").touch()

    def _first_folders(self, folders: tuple[str, ...]) -> None:
        if folders:
            self.apply(self.settings.with_roots(folders))

    def _marker(self, name: str) -> Path:
        self.paths.config.mkdir(parents=True, exist_ok=True)
        return self.paths.config / name

    def _shortcut_failed(self, message: str) -> None:
        self.window.show_notice(f"Quick-search shortcut not available: {message}", 15_000)

    # -- settings ----------------------------------------------------------
    def show_settings(self) -> None:
        dialog = SettingsDialog(self.settings, engine=self.engine_choice(self.settings), parent=self.window)
        dialog.applied.connect(self.apply)
        dialog.setModal(False)
        dialog.show()
        self.settings_dialog = dialog

    def ask_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.window, "Choose a folder to index", str(Path.home()))
        if folder:
            self.apply(self.settings.with_roots([folder]))

    def apply(self, settings: Settings, save: bool = True) -> None:
        """Save ``settings`` and index with them; searching switches once their index is ready.

        A quantization whose model is not there yet is fetched and converted
        first, while the current index keeps indexing and answering.
        """
        if save:
            settings_mod.save(settings, self.paths.settings_file)
        if settings.start_at_login != self.settings.start_at_login:
            try:
                autostart.set_enabled(settings.start_at_login)
            except OSError as exc:
                log.warning("could not change start at login: %s", exc)
        self.shortcut.follow(settings.hotkey)
        self.settings = settings
        self.window.set_roots(settings.roots)
        self.indexing.apply(settings)

    # -- windows -----------------------------------------------------------
    def show_skipped(self) -> None:
        self.skipped.show_stats(self.indexing.last_stats)
        self.skipped.show()
        self.skipped.raise_()

    def show_quick(self) -> None:
        self.quick.popup()

    def handle_command(self, command: str) -> None:
        """A later start of Gemseek asked for something (see app.ui.single_instance)."""
        if command == "quick":
            self.show_quick()
        elif command == "settings":
            self.show_settings()
        elif command == "quit":
            self.quit()
        else:
            self.window.focus_search()

    def state(self) -> dict:
        """What the running app shows, for ``gemseek status --json`` (scripts, the installers' smoke test)."""
        first_run = getattr(self, "first_run", None)
        return {"pid": os.getpid(), "window": self.window.state(), "quick": self.quick.state(),
                "tray": self.tray.state(), "first_run_dialog": bool(first_run and first_run.isVisible()),
                "indexing": str(self.indexing.state or ""), "quitting": self._quitting}

    def _window_closing(self) -> None:
        if self.window.keep_running and not self._marker("tray-notice-shown").exists():
            self.tray.notify("Gemseek keeps running",
                             "Gemseek stays in the tray and keeps your index fresh. Quit it from the tray menu.")
            self._marker("tray-notice-shown").touch()

    # -- quit --------------------------------------------------------------
    def quit(self) -> None:
        if self._quitting:
            return
        self._quitting = True
        self.window.keep_running = False
        self.quick.hide()
        self.window.hide()
        self.shortcut.stop()
        self.indexing.stop()  # stopped → _finish

    def _finish(self) -> None:
        self.search.close()
        self.tray.hide()
        self.done = True
        self.stopped.emit()
