"""Background work for the desktop app: the three Qt threads the GUI starts.

``SearchClient`` runs searches on "gemseek-search", ``IndexRunner`` keeps the
index up to date on "gemseek-index", and ``HotkeyListener`` waits for the
quick-search shortcut on "gemseek-hotkey". Searching and indexing each own
their native handles (a llama.cpp context, an SQLite connection) on a thread
of their own, and the hot-key grab lives on its thread. The two share one
in-memory vector index (app/core/vector_pool.py): its hnswlib graphs are
owned by that VectorIndex object, which makes every call into them under its
own lock, so what indexing adds is searchable at once and the graph is held
once. Only plain data crosses to the GUI thread, through queued signals.

These are not the app's only threads or processes: the core starts helper
threads and child processes of its own (the indexer's prepare thread, the
watcher, the extraction and probe children, the converter), and model_job.py
and launch.py start child processes through QProcess. app/core/README.md
lists them all.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from PySide6.QtCore import QObject, QThread, Signal, Slot

from app.core.catalog import Filters
from app.core.errors import GemseekError
from app.core.progress import Cancelled, CancelToken

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SearchRequest:
    """One query as typed, with its filters; ``id`` orders requests."""

    id: int
    query: str
    filters: Filters = field(default_factory=Filters)
    limit: int = 30


class _SearchWorker(QObject):
    answered = Signal(object, object, float)
    failed = Signal(object, str)

    def __init__(self, open_service: Callable, latest: Callable[[], int]) -> None:
        super().__init__()
        self._open = open_service
        self._latest = latest
        self._service = None

    @Slot(object)
    def run(self, request: SearchRequest) -> None:
        if request.id != self._latest():
            return  # a newer request is already queued behind this one
        try:
            if self._service is None:
                self._service = self._open()
            started = time.perf_counter()
            results = self._service.search(request.query, request.limit, request.filters)
            self.answered.emit(request, results, (time.perf_counter() - started) * 1000)
        except GemseekError as exc:
            self._close()  # e.g. nothing indexed yet: open again on the next query
            self.failed.emit(request, str(exc))
        except Exception as exc:  # report it; keep the search thread alive
            log.exception("search failed")
            self._close()
            self.failed.emit(request, f"search failed: {exc}")

    @Slot()
    def warm(self) -> None:
        if self._service is not None:  # an unopened one loads its model with the first query anyway
            try:
                self._service.warm()
            except Exception:  # the next query reports whatever is wrong
                log.exception("could not load the model ahead of a query")

    @Slot(object)
    def reopen(self, open_service: Callable) -> None:
        self._close()
        self._open = open_service

    @Slot()
    def shutdown(self) -> None:
        self._close()
        QThread.currentThread().quit()

    def _close(self) -> None:
        if self._service is not None:
            self._service.close()
            self._service = None


class SearchClient(QObject):
    """Send queries to the search thread; hand back only the newest answer.

    Args:
        open_service: called on the search thread to open a search service
            (an object with ``search(query, limit, filters)`` and ``close()``).

    Signals:
        answered(SearchRequest, list[Result], float): results of the newest
            request and the milliseconds they took.
        failed(SearchRequest, str): the newest request could not be answered.
    """

    answered = Signal(object, object, float)
    failed = Signal(object, str)
    _run = Signal(object)
    _warm = Signal()
    _reopen = Signal(object)
    _shutdown = Signal()

    def __init__(self, open_service: Callable, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._latest_id = 0
        self._thread = QThread()
        self._thread.setObjectName("gemseek-search")
        self._worker = _SearchWorker(open_service, lambda: self._latest_id)
        self._worker.moveToThread(self._thread)
        self._run.connect(self._worker.run)
        self._warm.connect(self._worker.warm)
        self._reopen.connect(self._worker.reopen)
        self._shutdown.connect(self._worker.shutdown)
        self._worker.answered.connect(self._on_answered)
        self._worker.failed.connect(self._on_failed)
        self._thread.start()

    def submit(self, query: str, filters: Filters = Filters(), limit: int = 30) -> SearchRequest:
        """Queue ``query``; any answer to an older request will be dropped."""
        self._latest_id += 1
        request = SearchRequest(self._latest_id, query, filters, limit)
        self._run.emit(request)
        return request

    def warm(self) -> None:
        """A query is likely soon (a search box was shown): have the search thread load its model if it let it go."""
        self._warm.emit()

    def reopen(self, open_service: Callable) -> None:
        """Use a new service from the next query on (settings or the index changed)."""
        self._reopen.emit(open_service)

    def close(self) -> None:
        if self._thread.isRunning():
            self._shutdown.emit()
            self._thread.wait(10_000)

    def _on_answered(self, request: SearchRequest, results: list, ms: float) -> None:
        if request.id == self._latest_id:
            self.answered.emit(request, results, ms)

    def _on_failed(self, request: SearchRequest, message: str) -> None:
        if request.id == self._latest_id:
            self.failed.emit(request, message)


class IndexState(StrEnum):
    """Where indexing stands, as the status bar, the menus and the tray show it.

    The runner goes through the first six; the indexing supervisor adds
    MODEL_MISSING (and PREPARING while it gets the model), and the status bar
    starts at STARTING. The values are the words the log and the tests see.
    """

    PREPARING = "preparing"
    INDEXING = "indexing"
    WATCHING = "watching"
    PAUSED = "paused"
    STOPPED = "stopped"
    FAILED = "failed"
    MODEL_MISSING = "model-missing"
    STARTING = "starting"


class IndexRunner(QThread):
    """Keep the index up to date on a thread of its own.

    It opens the index service (which may first fetch and convert the model),
    catches up with the disk, then indexes changes as the watcher reports
    them, until stopped. Pausing cancels the current work at its next check;
    resuming catches up again.

    Args:
        open_service: called on this thread with a progress callback; returns
            an :class:`~app.core.services.IndexService`-like object.

    Signals:
        progress(Progress): every step of preparing and indexing.
        state(IndexState): PREPARING, INDEXING, WATCHING, PAUSED, STOPPED or FAILED.
        stats(IndexStats): the index's counts and skipped files after each pass.
        failed(str): a message for the user; the runner has stopped.
    """

    progress = Signal(object)
    state = Signal(object)
    stats = Signal(object)
    failed = Signal(str)

    def __init__(self, open_service: Callable, parent: QObject | None = None, *, gentle: bool = False) -> None:
        super().__init__(parent)
        self.setObjectName("gemseek-index")
        self.gentle = gentle
        self._open = open_service
        self._stop = threading.Event()
        self._resume = threading.Event()
        self._resume.set()
        self._cancel = CancelToken()
        self._retry: list = []
        self._lock = threading.Lock()

    # -- control (any thread) ----------------------------------------------
    # Each request changes the flags and cancels the current token under the lock the
    # loop holds while it reads the flags and makes the next token: a request can
    # never fall between the two and be lost.
    def pause(self) -> None:
        with self._lock:
            self._resume.clear()
            self._cancel.cancel()

    def resume(self) -> None:
        self._resume.set()

    @property
    def paused(self) -> bool:
        return not self._resume.is_set()

    def retry(self, paths: list) -> None:
        """Index these skipped files again at the next chance."""
        with self._lock:
            self._retry.extend(paths)
            self._cancel.cancel()

    def request_stop(self) -> None:
        """Stop at the next check without waiting; ``finished`` follows."""
        with self._lock:
            self._stop.set()
            self._resume.set()
            self._cancel.cancel()

    def stop(self, wait_ms: int = 30_000) -> bool:
        """Stop and wait (for tests and shutdown); True when the thread ended."""
        self.request_stop()
        return self.wait(wait_ms)

    # -- the thread --------------------------------------------------------
    def run(self) -> None:
        if self.gentle:
            # Idle priority (SCHED_IDLE on Linux); llama.cpp's threads and the extraction
            # processes started from here inherit it.
            self.setPriority(QThread.Priority.IdlePriority)
        self.state.emit(IndexState.PREPARING)
        try:
            service = self._open(self.progress.emit, self._cancel)
        except Cancelled:
            self.state.emit(IndexState.STOPPED)
            return
        except Exception as exc:  # shown to the user, never a crash
            if not isinstance(exc, GemseekError):
                log.exception("could not start indexing")
            self.failed.emit(str(exc))
            self.state.emit(IndexState.FAILED)
            return
        try:
            self._loop(service)
        except Exception as exc:  # shown to the user, never a crash
            log.exception("indexing stopped")
            self.failed.emit(str(exc))
            self.state.emit(IndexState.FAILED)
            return
        finally:
            service.close()
        self.state.emit(IndexState.STOPPED)

    def _loop(self, service) -> None:
        while True:
            with self._lock:  # read the requests and make the next token at once (see above)
                if self._stop.is_set():
                    return
                paused = not self._resume.is_set()
                if not paused:
                    self._cancel = cancel = CancelToken()
                    retry, self._retry = self._retry, []
            if paused:
                self.state.emit(IndexState.PAUSED)
                self._resume.wait()
                continue
            try:
                if retry:
                    service.retry(retry, cancel=cancel)
                self.state.emit(IndexState.INDEXING)
                for _batch, _status in service.watch(cancel=cancel):
                    self.stats.emit(service.stats())
                    self.state.emit(IndexState.WATCHING)
            except Cancelled:
                pass



class HotkeyListener(QThread):
    """Waits for the global quick-search shortcut on a thread of its own.

    Args:
        make_grabber: called on this thread with the shortcut; returns an
            object with ``wait(timeout) -> bool`` and ``close()`` (see app.ui.hotkey).

    Signals:
        pressed(): the shortcut was pressed.
        failed(str): it cannot be used (taken by another program, or not supported here).
    """

    pressed = Signal()
    failed = Signal(str)

    def __init__(self, shortcut: str, make_grabber: Callable, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gemseek-hotkey")
        self.shortcut = shortcut
        self._make = make_grabber
        self._stop = threading.Event()

    def run(self) -> None:
        try:
            grabber = self._make(self.shortcut)
        except Exception as exc:  # HotkeyError, or a platform library that misbehaves
            self.failed.emit(str(exc))
            return
        try:
            while not self._stop.is_set():
                if grabber.wait(0.25):
                    self.pressed.emit()
        finally:
            grabber.close()

    def stop(self, wait_ms: int = 2000) -> bool:
        self._stop.set()
        return self.wait(wait_ms)
