"""Wires the windows, the tray and the background workers together.

It holds the current settings and reacts to what the user asks for: apply
settings (restart indexing with them, switch searching over once the new
index is ready), pause and resume, retry skipped files, quick search, quit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QFileDialog

from app.core import autostart, power
from app.core import settings as settings_mod
from app.core.engine import active
from app.core.paths import Paths
from app.core.settings import Settings
from app.ui import hotkey
from app.ui.first_run import FirstRunDialog
from app.ui.main_window import MainWindow
from app.ui.model_job import ModelJob
from app.ui.quick_search import QuickSearch
from app.ui.settings_dialog import SettingsDialog
from app.ui.skipped_dialog import SkippedDialog
from app.ui.tray import Tray
from app.ui.workers import HotkeyListener, IndexRunner, SearchClient

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

    Signals:
        search_switched(Settings): searching now uses these settings.
        stopped(): the workers are shut down; the application may quit.
    """

    search_switched = Signal(object)
    stopped = Signal()

    def __init__(self, paths: Paths, settings: Settings, search_opener: SearchOpener, index_opener: IndexOpener,
                 tray: Tray, parent: QObject | None = None, *, prepare_models: bool = True,
                 engine_choice: Callable[[Settings], object | None] | None = None) -> None:
        super().__init__(parent)
        self.paths = paths
        self.prepare_models = prepare_models  # False when the openers bring their own embedder (tests)
        self.engine_choice = engine_choice or (lambda s: active.current(paths, s))
        self.settings = settings
        self.search_opener = search_opener
        self.index_opener = index_opener
        self.search_settings = settings
        self.client = SearchClient(search_opener(settings), self)
        self.window = MainWindow(self.client, settings.roots)
        self.quick = QuickSearch(self.client)
        self.tray = tray
        self.skipped = SkippedDialog(self.window)
        self.runner: IndexRunner | None = None
        self.model_job: ModelJob | None = None
        self.hotkey: HotkeyListener | None = None
        self.make_grabber = hotkey.make_grabber  # replaced in tests
        self.last_stats: dict = {}
        self.on_battery = power.on_battery  # replaced in tests
        self._battery_paused = False
        self._power_timer = QTimer(self, interval=30_000)
        self._power_timer.timeout.connect(self.check_power)
        self._quitting = False
        self.done = False  # set once quitting has stopped every worker
        self._connect()

    def _connect(self) -> None:
        w = self.window
        w.settings_requested.connect(self.show_settings)
        w.skipped_requested.connect(self.show_skipped)
        w.pause_toggled.connect(self.toggle_pause)
        w.quit_requested.connect(self.quit)
        w.add_folder_requested.connect(self.ask_folder)
        w.closing.connect(self._window_closing)
        self.skipped.retry.connect(self.retry)
        t = self.tray
        t.quick_search.connect(self.show_quick)
        t.open_window.connect(self.window.focus_search)
        t.settings.connect(self.show_settings)
        t.pause_toggled.connect(self.toggle_pause)
        t.quit.connect(self.quit)

    # -- start -------------------------------------------------------------
    def start(self, *, first_run: bool, hidden: bool = False) -> None:
        """Show the window (or only the tray icon when ``hidden`` and there is a tray) and start indexing."""
        self.window.keep_running = self.tray.show()
        if not (hidden and self.window.keep_running) or first_run:
            self.window.show()
            self.window.focus_search()
        self._start_hotkey(self.settings.hotkey)
        model_ready = self._model_ready(self.settings)
        if model_ready:
            self._start_runner(self.settings)
        else:
            self._prepare_model(self.settings)
        if first_run:
            dialog = FirstRunDialog(model_ready=model_ready, job=self.model_job, parent=self.window)
            dialog.chosen.connect(self._first_folders)
            dialog.setModal(False)
            dialog.show()
            self.first_run = dialog
        self._marker("first-run-done").touch()

    def _model_ready(self, settings: Settings) -> bool:
        return not self.prepare_models or self.engine_choice(settings) is not None

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
        self.window.statusBar().showMessage(f"Quick-search shortcut not available: {message}", 15_000)

    # -- the model ---------------------------------------------------------
    def _prepare_model(self, settings: Settings) -> None:
        """Fetch and convert in a child process; index with ``settings`` once it is ready."""
        if self.model_job is not None and self.model_job.running:
            if self.model_job.qtype == settings.quantization:
                return
            self.model_job.cancel()
        job = ModelJob(self.paths, settings.quantization, self)
        job.progress.connect(self.window.status.on_progress)
        job.finished.connect(self._model_finished)
        self.model_job = job
        self.window.status.on_state("preparing")
        job.start()

    def _model_finished(self, ok: bool, message: str) -> None:
        job = self.sender()
        if self._quitting or job is not self.model_job:
            return
        if not ok:
            self.window.status.on_failed(message)
            self.window.status.on_state("model-missing")
            return
        if job.qtype == self.settings.quantization:
            self.apply(self.settings, save=False)

    def _first_folders(self, folders: tuple[str, ...]) -> None:
        if folders:
            self.apply(self.settings.with_roots(folders))

    def _marker(self, name: str) -> Path:
        self.paths.config.mkdir(parents=True, exist_ok=True)
        return self.paths.config / name

    # -- indexing ----------------------------------------------------------
    def _start_runner(self, settings: Settings) -> None:
        runner = IndexRunner(self.index_opener(settings), self, gentle=settings.gentle)
        runner.setProperty("settings", settings)
        status = self.window.status
        runner.progress.connect(status.on_progress)
        runner.progress.connect(self._coverage)
        runner.state.connect(status.on_state)
        runner.state.connect(self._runner_state)
        runner.stats.connect(self._stats)
        runner.failed.connect(status.on_failed)
        self.runner = runner
        self._battery_paused = False
        runner.start()
        self._power_timer.start()
        self.check_power()

    def _runner_state(self, state: str) -> None:
        runner = self.sender()
        if self._quitting or runner is not self.runner:
            return
        settings = runner.property("settings")
        if state == "watching":
            self.window.search.set_coverage("")
            self.quick.panel.set_coverage("")
        paused = state == "paused"
        self.window.set_paused(paused)
        if paused and self._battery_paused:
            self.window.status.activity.setText("Indexing paused on battery power")
        self.tray.set_paused(paused)
        if runner is self.runner and state == "watching" and settings != self.search_settings:
            # The index for the new settings is complete: search it from now on.
            self.search_settings = settings
            self.client.reopen(self.search_opener(settings))
            self.window.search.search_now()
            self.search_switched.emit(settings)

    def _coverage(self, p) -> None:
        if p.stage in ("index", "embed") and p.total:
            text = (f"still indexing: {p.done:,} of {p.total:,} files read" if p.stage == "index" else
                    f"still indexing: every file found by its words, {p.done:,} of {p.total:,} passages "
                    "by meaning")
            self.window.search.set_coverage(text)
            self.quick.panel.set_coverage(text)

    def _stats(self, stats: dict) -> None:
        if self._quitting:
            return
        self.last_stats = stats
        self.window.status.on_stats(stats)
        self.skipped.set_skipped(stats.get("skipped", []))

    def toggle_pause(self) -> None:
        job = self.model_job
        if job is not None and job.running:
            job.cancel()  # stop getting the model; the next toggle resumes
            return
        if self.runner is None or self.runner.isFinished():
            self.apply(self.settings, save=False)  # get the model if needed, then index
            return
        self._battery_paused = False  # the user decides from now on
        if self.runner.paused:
            self.runner.resume()
        else:
            self.runner.pause()

    def check_power(self) -> None:
        """Pause indexing on battery power (when the setting asks) and resume on the mains."""
        runner = self.runner
        if runner is None or not runner.isRunning():
            return
        battery = bool(self.settings.pause_on_battery and self.on_battery())
        if battery and not runner.paused:
            self._battery_paused = True
            runner.pause()
        elif not battery and self._battery_paused:
            self._battery_paused = False
            runner.resume()

    def retry(self, files: list) -> None:
        if self.runner is not None:
            self.runner.retry(files)

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
        self.window.search.set_roots(settings.roots)
        runner = self.runner
        if (runner is not None and runner.isRunning()
                and _indexing_part(runner.property("settings")) == _indexing_part(settings)):
            self.check_power()  # nothing the indexer uses changed
            return
        if not self._model_ready(settings):
            self._prepare_model(settings)
            return
        old = self.runner
        if old is None or old.isFinished():
            self._start_runner(settings)
        else:
            old.finished.connect(self._restart_runner)
            old.request_stop()

    def _restart_runner(self) -> None:
        if self.sender() is self.runner and not self._quitting:
            self._start_runner(self.settings)

    # -- windows -----------------------------------------------------------
    def show_skipped(self) -> None:
        self.skipped.set_skipped(self.last_stats.get("skipped", []))
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
        if self.model_job is not None:
            self.model_job.cancel()
        if self.hotkey is not None:
            self.hotkey.stop()
        runner = self.runner
        if runner is not None and runner.isRunning():
            runner.finished.connect(self._finish)
            runner.request_stop()
        else:
            self._finish()

    def _finish(self) -> None:
        if self.model_job is not None and self.model_job.running:
            self.model_job.process.waitForFinished(10_000)  # cancelled above; it stops its converter first
        if self.runner is not None:
            self.runner.wait(10_000)  # it emitted finished; let the thread itself end
        self.client.close()
        self.tray.icon.hide()
        self.done = True
        self.stopped.emit()


def _indexing_part(s: Settings) -> tuple:
    """The settings the indexer and the search index depend on."""
    return (s.roots, s.excludes, s.skip_types, s.max_file_mb, s.dimension, s.quantization, s.threads,
            s.gentle)
