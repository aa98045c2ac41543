"""Wires the windows, the tray and the background workers together.

It holds the current settings and reacts to what the user asks for: apply
settings (the indexing supervisor restarts indexing with them; searching
switches over once their index is ready), pause and resume, retry skipped
files, quick search, quit. Indexing's life cycle is app.ui.index_supervisor's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog

from app.core import autostart, power
from app.core import settings as settings_mod
from app.core.engine import active
from app.core.paths import Paths
from app.core.settings import Settings
from app.ui import hotkey
from app.ui.first_run import FirstRunDialog
from app.ui.index_supervisor import IndexSupervisor
from app.ui.main_window import MainWindow
from app.ui.quick_search import QuickSearch
from app.ui.settings_dialog import SettingsDialog
from app.ui.skipped_dialog import SkippedDialog
from app.ui.tray import Tray
from app.ui.workers import HotkeyListener, SearchClient

log = logging.getLogger(__name__)

SearchOpener = Callable[[Settings], Callable]
IndexOpener = Callable[[Settings], Callable]


class AppController(QObject):
    """The running app.

    Args:
        paths: where settings and markers live.
        settings: the settings at start.
        search_opener: settings → a function that opens a search service (on the search thread).
        index_opener: settings → a function that opens an index service (on the index thread).
        tray: the tray icon (hidden where the desktop has none).
        prepare_models: get a missing model (``gemseek model prepare`` in a child process)
            before indexing; False when the openers bring their own embedder.
        engine_choice: settings → this computer's measured engine for them (a
            :class:`~app.core.engine.record.ProbeRecord`), or None when it must be
            prepared first; Settings shows it. By default the cached probe result.
        on_battery: whether the computer runs on battery now (by default app.core.power's answer).

    Signals:
        search_switched(Settings): searching now uses these settings.
        stopped(): the workers are shut down; the application may quit.
    """

    search_switched = Signal(object)
    stopped = Signal()

    def __init__(self, paths: Paths, settings: Settings, search_opener: SearchOpener, index_opener: IndexOpener,
                 tray: Tray, parent: QObject | None = None, *, prepare_models: bool = True,
                 engine_choice: Callable[[Settings], object | None] | None = None,
                 on_battery: Callable[[], bool] = power.on_battery) -> None:
        super().__init__(parent)
        self.paths = paths
        self.engine_choice = engine_choice or (lambda s: active.current(paths, s))
        self.settings = settings
        self.search_opener = search_opener
        self.search_settings = settings
        self.client = SearchClient(search_opener(settings), self)
        self.window = MainWindow(self.client, settings.roots)
        self.quick = QuickSearch(self.client)
        self.tray = tray
        self.skipped = SkippedDialog(self.window)
        self.indexing = IndexSupervisor(paths, settings, index_opener, engine_choice=self.engine_choice,
                                        on_battery=on_battery, prepare_models=prepare_models, parent=self)
        self.hotkey: HotkeyListener | None = None
        self.make_grabber = hotkey.make_grabber  # replaced in tests
        self._quitting = False
        self.done = False  # set once quitting has stopped every worker
        self._connect()

    def _connect(self) -> None:
        w, t, ix = self.window, self.tray, self.indexing
        w.settings_requested.connect(self.show_settings)
        w.skipped_requested.connect(self.show_skipped)
        w.pause_toggled.connect(ix.toggle_pause)
        w.quit_requested.connect(self.quit)
        w.add_folder_requested.connect(self.ask_folder)
        w.closing.connect(self._window_closing)
        self.skipped.retry.connect(ix.retry)
        t.quick_search.connect(self.show_quick)
        t.open_window.connect(w.focus_search)
        t.settings.connect(self.show_settings)
        t.pause_toggled.connect(ix.toggle_pause)
        t.quit.connect(self.quit)
        ix.state_changed.connect(w.show_state)
        ix.progress.connect(w.show_progress)
        ix.failed.connect(w.show_failure)
        ix.activity.connect(w.show_activity)
        ix.coverage.connect(w.show_coverage)
        ix.coverage.connect(self.quick.show_coverage)
        ix.paused_changed.connect(w.set_paused)
        ix.paused_changed.connect(t.set_paused)
        ix.stats.connect(self._stats)
        ix.caught_up.connect(self._caught_up)
        ix.stopped.connect(self._finish)

    # -- start -------------------------------------------------------------
    def start(self, *, first_run: bool, hidden: bool = False) -> None:
        """Show the window (or only the tray icon when ``hidden`` and there is a tray) and start indexing."""
        self.window.keep_running = self.tray.show()
        if not (hidden and self.window.keep_running) or first_run:
            self.window.show()
            self.window.focus_search()
        self._start_hotkey(self.settings.hotkey)
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

    # -- the global shortcut ----------------------------------------------
    def _start_hotkey(self, shortcut: str) -> None:
        if self.hotkey is not None:
            self.hotkey.stop()
            self.hotkey = None
        if not shortcut or (self.make_grabber is hotkey.make_grabber and hotkey.platform_support() is None):
            return  # off, or a desktop (Wayland, macOS) where `gemseek quick` is bound instead
        listener = HotkeyListener(shortcut, self.make_grabber, self)
        listener.pressed.connect(self.show_quick)
        listener.failed.connect(self._hotkey_failed)
        self.hotkey = listener
        listener.start()

    def _hotkey_failed(self, message: str) -> None:
        self.window.show_notice(f"Quick-search shortcut not available: {message}", 15_000)

    # -- what indexing reports -------------------------------------------
    def _caught_up(self, settings: Settings) -> None:
        if settings != self.search_settings:
            # The index for the new settings is complete: search it from now on.
            self.search_settings = settings
            self.client.reopen(self.search_opener(settings))
            self.window.search_again()
            self.search_switched.emit(settings)

    def _stats(self, stats: dict) -> None:
        self.window.show_stats(stats)
        self.skipped.set_skipped(stats.get("skipped", []))

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
        if self.hotkey is None or settings.hotkey != self.hotkey.shortcut:
            self._start_hotkey(settings.hotkey)
        self.settings = settings
        self.window.set_roots(settings.roots)
        self.indexing.apply(settings)

    # -- windows -----------------------------------------------------------
    def show_skipped(self) -> None:
        self.skipped.set_skipped(self.indexing.last_stats.get("skipped", []))
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
        else:
            self.window.focus_search()

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
        if self.hotkey is not None:
            self.hotkey.stop()
        self.indexing.stop()  # stopped → _finish

    def _finish(self) -> None:
        self.client.close()
        self.tray.hide()
        self.done = True
        self.stopped.emit()
