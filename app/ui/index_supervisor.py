"""Keeps the index in step with the settings: gets the model, then runs, pauses and restarts indexing.

The desktop app's indexing life cycle, apart from any window: a missing model
is got first (``gemseek model prepare`` in a child process, see
app.ui.model_job); one :class:`~app.ui.workers.IndexRunner` indexes with the
current settings; it pauses and resumes by hand, or on battery power when the
settings ask; skipped files go back to it to retry; after a settings change it
is stopped and a new one started, unless nothing the indexer uses changed.
What happens goes out as signals; the controller shows it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from PySide6.QtCore import QObject, QTimer, Signal

from app.core import power
from app.core.catalog import IndexStats
from app.core.paths import Paths
from app.core.progress import Progress, Stage
from app.core.settings import Settings
from app.ui.model_job import ModelJob
from app.ui.workers import IndexRunner, IndexState

log = logging.getLogger(__name__)

IndexOpener = Callable[[Settings], Callable]
ModelJobFactory = Callable[[Paths, str, QObject], ModelJob]

BATTERY_NOTE = "Indexing paused on battery power"


class IndexSupervisor(QObject):
    """Runs indexing for the current settings, from getting the model to stopping at quit.

    Args:
        paths: where the models are (the model job gets them there).
        settings: the settings to index with until :meth:`apply` gives others.
        index_opener: settings → a function the index thread calls to open its service.
        prepare_models: get a missing model before indexing; False when the opener
            brings its own embedder.
        engine_choice: settings → this computer's measured engine for them, or None
            when the model must be prepared first.
        on_battery: whether the computer runs on battery now; asked every
            ``power_poll_ms`` and whenever a runner starts.
        model_job: (paths, quantization, parent) → the job that gets a model.

    Signals:
        state_changed(IndexState): a runner's state, or PREPARING / MODEL_MISSING while getting the model.
        paused_changed(bool): whether the current runner is paused, after each of its states.
        progress(Progress): each step of getting the model and of indexing.
        coverage(str): how much the answers cover while indexing; empty once up to date.
        activity(str): what indexing is doing when its state alone does not say it.
        stats(IndexStats): the index's counts and skipped files after each pass.
        failed(str): indexing stopped, or the model could not be got; a sentence for the user.
        caught_up(Settings): the index for these settings is up to date (the current runner watches).
        stopped(): after :meth:`stop`, every job and thread of indexing has ended.
    """

    state_changed = Signal(object)
    paused_changed = Signal(bool)
    progress = Signal(object)
    coverage = Signal(str)
    activity = Signal(str)
    stats = Signal(object)
    failed = Signal(str)
    caught_up = Signal(object)
    stopped = Signal()

    def __init__(self, paths: Paths, settings: Settings, index_opener: IndexOpener, *,
                 engine_choice: Callable[[Settings], object | None], on_battery: Callable[[], bool] = power.on_battery,
                 prepare_models: bool = True, model_job: ModelJobFactory = ModelJob, power_poll_ms: int = 30_000,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.paths = paths
        self.settings = settings
        self._open = index_opener
        self._engine_choice = engine_choice
        self._on_battery = on_battery
        self._prepare_models = prepare_models
        self._make_job = model_job
        self._runner: IndexRunner | None = None
        self._indexed = settings  # what the current runner indexes with
        self._job: ModelJob | None = None
        self.last_stats = IndexStats()
        self.state: IndexState | None = None  # the current runner's last state
        self._battery_paused = False
        self._stopping = False
        self._power_timer = QTimer(self, interval=power_poll_ms)
        self._power_timer.timeout.connect(self.check_power)

    @property
    def runner(self) -> IndexRunner | None:
        """The runner for the current settings (or the one they replace, until it has stopped)."""
        return self._runner

    @property
    def model_job(self) -> ModelJob | None:
        """The job getting a model, the last one started (None when none was needed)."""
        return self._job

    def model_ready(self, settings: Settings) -> bool:
        return not self._prepare_models or self._engine_choice(settings) is not None

    # -- what the user asks for ---------------------------------------------
    def start(self) -> bool:
        """Start indexing, or get the model first; tell whether the model was ready."""
        ready = self.model_ready(self.settings)
        if ready:
            self._start_runner(self.settings)
        else:
            self._prepare_model(self.settings)
        return ready

    def apply(self, settings: Settings) -> None:
        """Index with ``settings`` from now on.

        A runner whose settings differ in what the indexer uses is stopped and
        a new one started; a quantization whose model is not there yet is got
        first, while the current runner keeps indexing.
        """
        self.settings = settings
        runner = self._runner
        if runner is not None and runner.isRunning() and indexing_part(self._indexed) == indexing_part(settings):
            self.check_power()  # nothing the indexer uses changed
            return
        if not self.model_ready(settings):
            self._prepare_model(settings)
            return
        if runner is None or runner.isFinished():
            self._start_runner(settings)
        else:
            runner.finished.connect(self._restart_runner)
            runner.request_stop()

    def toggle_pause(self) -> None:
        """Pause or resume; stop getting the model; or start again after a stop or failure."""
        job = self._job
        if job is not None and job.running:
            job.cancel()  # stop getting the model; the next toggle resumes
            return
        runner = self._runner
        if runner is None or runner.isFinished():
            self.apply(self.settings)  # get the model if needed, then index
            return
        self._battery_paused = False  # the user decides from now on
        if runner.paused:
            runner.resume()
        else:
            runner.pause()

    def check_power(self) -> None:
        """Pause indexing on battery power (when the setting asks) and resume on the mains."""
        runner = self._runner
        if runner is None or not runner.isRunning():
            return
        battery = bool(self.settings.pause_on_battery and self._on_battery())
        if battery and not runner.paused:
            self._battery_paused = True
            runner.pause()
        elif not battery and self._battery_paused:
            self._battery_paused = False
            runner.resume()

    def retry(self, files: list[Path]) -> None:
        """Index these skipped files again."""
        if self._runner is not None:
            self._runner.retry(files)

    def stop(self) -> None:
        """Stop getting the model and indexing; ``stopped`` follows once both have ended."""
        if self._stopping:
            return
        self._stopping = True
        self._power_timer.stop()
        if self._job is not None:
            self._job.cancel()
        runner = self._runner
        if runner is not None and runner.isRunning():
            runner.finished.connect(self._finish)
            runner.request_stop()
        else:
            self._finish()

    def _finish(self) -> None:
        if self._job is not None:
            self._job.wait(10_000)  # cancelled above; it stops its converter first
        if self._runner is not None:
            self._runner.wait(10_000)  # it emitted finished; let the thread itself end
        self.stopped.emit()

    # -- the model ---------------------------------------------------------
    def _prepare_model(self, settings: Settings) -> None:
        """Get the model in a child process; index with the settings of then once it is ready."""
        job = self._job
        if job is not None and job.running:
            if job.qtype == settings.quantization:
                return
            job.cancel()
        job = self._make_job(self.paths, settings.quantization, self)
        job.progress.connect(self.progress)
        job.finished.connect(self._model_finished)
        self._job = job
        self.state_changed.emit(IndexState.PREPARING)
        job.start()

    def _model_finished(self, ok: bool, message: str) -> None:
        job = self.sender()
        if self._stopping or job is not self._job:
            return
        if not ok:
            self.failed.emit(message)
            self.state_changed.emit(IndexState.MODEL_MISSING)
            return
        if job.qtype == self.settings.quantization:
            self.apply(self.settings)

    # -- the runner --------------------------------------------------------
    def _start_runner(self, settings: Settings) -> None:
        runner = IndexRunner(self._open(settings), self, gentle=settings.gentle)
        runner.progress.connect(self._runner_progress)
        runner.state.connect(self._runner_state)
        runner.stats.connect(self._runner_stats)
        runner.failed.connect(self.failed)
        self._runner, self._indexed = runner, settings
        self._battery_paused = False
        runner.start()
        self._power_timer.start()
        self.check_power()

    def _restart_runner(self) -> None:
        if self.sender() is self._runner and not self._stopping:
            self._start_runner(self.settings)

    def _runner_progress(self, p: Progress) -> None:
        self.progress.emit(p)
        text = coverage_text(p)
        if text:
            self.coverage.emit(text)

    def _runner_state(self, state: IndexState) -> None:
        self.state_changed.emit(state)  # any runner's, also one being replaced
        if self._stopping or self.sender() is not self._runner:
            return
        self.state = state
        if state == IndexState.WATCHING:
            self.coverage.emit("")
        paused = state == IndexState.PAUSED
        self.paused_changed.emit(paused)
        if paused and self._battery_paused:
            self.activity.emit(BATTERY_NOTE)
        if state == IndexState.WATCHING:
            self.caught_up.emit(self._indexed)

    def _runner_stats(self, stats: IndexStats) -> None:
        if self._stopping:
            return
        self.last_stats = stats
        self.stats.emit(stats)


def coverage_text(p: Progress) -> str:
    """How much of the folders answers cover at this step of indexing ("" when it does not say)."""
    if p.stage not in (Stage.INDEX, Stage.EMBED) or not p.total:
        return ""
    if p.stage == Stage.INDEX:
        return f"still indexing: {p.done:,} of {p.total:,} files read"
    return f"still indexing: every file found by its words, {p.done:,} of {p.total:,} passages by meaning"


class IndexingPart(NamedTuple):
    """The settings the indexer and the search index depend on: a change in any restarts indexing."""

    roots: tuple[str, ...]
    excludes: tuple[str, ...]
    skip_types: tuple[str, ...]
    max_file_mb: int
    dimension: int
    quantization: str
    threads: int
    gentle: bool
    ocr: bool


def indexing_part(s: Settings) -> IndexingPart:
    return IndexingPart(s.roots, s.excludes, s.skip_types, s.max_file_mb, s.dimension, s.quantization, s.threads,
                        s.gentle, s.ocr)
