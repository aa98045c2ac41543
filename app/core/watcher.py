"""Watch the roots and hand out debounced, coalesced change batches.

Threads and what crosses between them (only data)::

    watchdog's threads --inbox (events, notices)--> "gemseek-watcher" thread
        --ready slot (one merged batch, under a lock)--> the caller of get()

The watcher thread owns the observer's schedule and every root's state. It
folds bursts into one batch (an editor's save dance, a ``git checkout``), drops
ignored paths, turns folder-level changes into rescans, re-arms a root that was
deleted and came back, and falls back to periodic rescans of a root it cannot
watch (the OS watch limit). If the consumer is busy, new batches merge into the
one it has not taken yet, so nothing piles up. Knows nothing of Qt.
"""

from __future__ import annotations

import errno
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileAttribEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
    FileSystemMovedEvent,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch

from app.core.change_batch import ChangeBatch, PendingChanges
from app.core.ignore import is_ignored
from app.core.watch_signals import (
    WATCH_LIMIT_ERRNOS,
    OverflowListener,
    folder_identity,
    report_watch_limit,
)

__all__ = ["MODE_EVENTS", "MODE_POLLING", "MODE_WAITING", "ChangeBatch", "Watcher"]

log = logging.getLogger(__name__)

MODE_EVENTS = "events"
MODE_POLLING = "polling (watch limit reached)"
MODE_WAITING = "waiting for root to reappear"

# Opening and reading files (the indexer does it) and folders' own "modified"
# echoes are left out, in the kernel's mask too, so they cannot fill its queue.
_EVENT_FILTER: list[type[FileSystemEvent]] = [
    FileCreatedEvent, FileModifiedEvent, FileAttribEvent, FileClosedEvent,
    FileDeletedEvent, FileMovedEvent, DirCreatedEvent, DirDeletedEvent, DirMovedEvent,
]  # fmt: skip
_MAX_CHECK_INTERVAL = 2.0  # how often roots are checked for vanishing or reappearing
_STOP = object()


@dataclass
class _Root:
    """One root's state; only the watcher thread changes it (``mode`` under the lock)."""

    path: Path
    mode: str = MODE_WAITING
    watch: ObservedWatch | None = None
    identity: tuple[int, int] | None = None  # (device, inode) when armed
    real: Path | None = None  # the root with symlinks resolved, when armed
    next_poll: float = 0.0


class _Forward(FileSystemEventHandler):
    """Pass watchdog's events, tagged with their root, to the watcher thread."""

    def __init__(self, root: Path, inbox: queue.SimpleQueue[Any]) -> None:
        self._root = root
        self._inbox = inbox

    def dispatch(self, event: FileSystemEvent) -> None:
        self._inbox.put(("event", self._root, event))


class Watcher:
    """Watch ``roots`` recursively and hand out :class:`ChangeBatch` es through :meth:`get`.

    Args:
        roots: folders to watch; one that does not exist yet is waited for.
        excludes: user exclude globs, as for :func:`app.core.ignore.is_ignored`.
        debounce: a batch is handed out once no change arrived for this long...
        max_delay: ...or this long after its first change, so that a stream
            that never pauses still makes progress.
        max_paths: a batch with more entries than this becomes a rescan of the
            root(s) with the most changes.
        poll_interval: seconds between rescans of a root that cannot be watched.
        on_change: called on the watcher thread when a change arrives after a
            quiet time (a batch begins gathering): a chance to get ready for
            indexing during the debounce. It must return at once.
    """

    def __init__(
        self,
        roots: Sequence[Path],
        *,
        excludes: Sequence[str] = (),
        debounce: float = 0.5,
        max_delay: float = 5.0,
        max_paths: int = 5000,
        poll_interval: float = 60.0,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        if debounce < 0 or max_delay < debounce or max_paths < 1 or poll_interval <= 0:
            raise ValueError("need 0 <= debounce <= max_delay, max_paths >= 1, poll_interval > 0")
        unique = dict.fromkeys(Path(os.path.abspath(r)) for r in roots)
        self._roots = [_Root(path) for path in unique]
        self._excludes = tuple(excludes)
        self._debounce = debounce
        self._max_delay = max_delay
        self._max_paths = max_paths
        self._poll_interval = poll_interval
        self._on_change = on_change
        self._check_interval = min(poll_interval, _MAX_CHECK_INTERVAL)
        self._inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._lock = threading.Condition()  # guards _state, _ready and every root's mode
        self._state = "new"
        self._ready = PendingChanges(max_paths)
        # Owned by the watcher thread once it runs:
        self._pending = PendingChanges(max_paths)
        self._first_at: float | None = None
        self._last_at = 0.0
        self._observer: BaseObserver | None = None
        self._observer_error: OSError | None = None
        self._overflow = OverflowListener(self._inbox)
        self._thread: threading.Thread | None = None

    # -- public face -------------------------------------------------------

    def start(self) -> None:
        """Arm every root, then start the watcher thread.

        Returns once the watches are in place, so a change made afterwards is
        seen. On a big tree that takes a while (inotify adds one watch per
        folder); call it off the GUI thread.
        """
        with self._lock:
            if self._state != "new":
                raise RuntimeError("a Watcher can be started once")
            self._state = "running"
        logging.getLogger("watchdog.observers").addHandler(self._overflow)
        self._observer = self._make_observer()
        now = time.monotonic()
        for root in self._roots:
            self._arm(root, now)
        self._thread = threading.Thread(target=self._run, name="gemseek-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching and join the threads; pending changes are dropped. Idempotent."""
        with self._lock:
            was_running = self._state == "running"
            self._state = "stopped"
            self._lock.notify_all()
        if not was_running:
            return
        self._inbox.put(_STOP)
        if self._thread is not None:
            self._thread.join()
        logging.getLogger("watchdog.observers").removeHandler(self._overflow)
        if self._observer is not None:
            self._observer.unschedule_all()  # stops and joins the emitter threads
            self._observer.stop()
            self._observer.join()

    def get(self, timeout: float | None = None) -> ChangeBatch | None:
        """Block for the next batch; None on timeout or once stopped."""
        with self._lock:
            self._lock.wait_for(lambda: self._state == "stopped" or bool(self._ready), timeout)
            if self._state == "stopped" or not self._ready:
                return None
            return self._ready.take()

    def status(self) -> dict:
        """Say how each root is followed.

        Returns:
            ``{"running": bool, "poll_interval": float, "roots": {path: mode}}``
            where mode is :data:`MODE_EVENTS`, :data:`MODE_WAITING`,
            :data:`MODE_POLLING` or ``"polling (cannot watch: <reason>)"``.
        """
        with self._lock:
            return {
                "running": self._state == "running",
                "poll_interval": self._poll_interval,
                "roots": {str(r.path): r.mode for r in self._roots},
            }

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- the watcher thread ------------------------------------------------

    def _run(self) -> None:
        next_check = time.monotonic() + self._check_interval
        while True:
            try:
                item = self._inbox.get(timeout=max(0.0, self._next_wakeup(next_check)))
            except queue.Empty:
                item = None
            if item is _STOP:
                return
            now = time.monotonic()
            try:
                if item is not None:
                    self._handle(item, now)
                if now >= next_check:
                    next_check = now + self._check_interval
                    self._check_roots(now)
                self._emit_if_due(now)
            except Exception:  # one bad event must not end the watching
                log.exception("watcher: could not handle %r", item)

    def _next_wakeup(self, next_check: float) -> float:
        due = next_check
        if self._first_at is not None:
            due = min(due, self._last_at + self._debounce, self._first_at + self._max_delay)
        return due - time.monotonic()

    def _touch(self, now: float) -> None:
        self._last_at = now
        if self._first_at is None:
            self._first_at = now
            if self._on_change is not None:
                try:
                    self._on_change()
                except Exception:  # getting ready is a nicety; the batch comes all the same
                    log.exception("watcher: the change callback failed")

    def _emit_if_due(self, now: float) -> None:
        if self._first_at is None:
            return
        if now - self._last_at < self._debounce and now - self._first_at < self._max_delay:
            return
        with self._lock:
            self._ready.absorb(self._pending)
            self._lock.notify_all()
        self._pending = PendingChanges(self._max_paths)
        self._first_at = None

    def _handle(self, item: tuple, now: float) -> None:
        kind = item[0]
        if kind == "event":
            self._on_event(item[1], item[2], now)
        elif kind == "limit":
            self._on_watch_limit(Path(item[1]), now)
        elif kind == "overflow":
            log.info("the OS dropped file events; rescanning the watched roots")
            for root in self._roots:
                if root.mode == MODE_EVENTS:
                    self._pending.add_rescan(root.path, root.path)
                    self._touch(now)

    def _on_event(self, root: Path, event: FileSystemEvent, now: float) -> None:
        src = os.fsdecode(event.src_path)
        if isinstance(event, DirDeletedEvent) and Path(src) == root:
            self._rearm(self._state_of(root), now, "was deleted")
            return
        ends = [src]
        if isinstance(event, FileSystemMovedEvent):
            ends.append(os.fsdecode(event.dest_path))
        relevant = False
        for end in filter(None, ends):
            path = self._as_given(Path(end), root)
            owner = root if path.is_relative_to(root) else self._root_containing(path)
            if owner is None or path == owner or is_ignored(path, owner, self._excludes):
                continue
            if event.is_directory:
                self._pending.add_rescan(path, owner)
            else:
                self._pending.add_path(path, owner)
            relevant = True
        if relevant:
            self._touch(now)

    def _as_given(self, path: Path, root: Path) -> Path:
        """Express ``path`` under the root as the user gave it.

        FSEvents (macOS) reports resolved paths, so a root reached through a
        symlink (``/var`` is one to ``/private/var``) would otherwise seem to
        receive events from outside itself. inotify reports paths as given.
        """
        state = self._state_of(root)
        if path.is_relative_to(root) or state is None or state.real is None:
            return path
        if path.is_relative_to(state.real):
            return root / path.relative_to(state.real)
        return path

    # -- roots: arming, vanishing, falling back ----------------------------

    def _make_observer(self) -> BaseObserver | None:
        try:
            observer = Observer()
            observer.start()
        except OSError as exc:  # inotify itself unavailable: EMFILE, too many instances
            self._observer_error = exc
            return None
        return observer

    def _arm(self, root: _Root, now: float, *, announce: bool = False) -> None:
        """Watch ``root`` if it exists; ``announce`` asks for a rescan once it is armed."""
        identity = folder_identity(root.path)
        if identity is None:
            self._set_mode(root, MODE_WAITING)
            return
        root.identity = identity
        root.real = Path(os.path.realpath(root.path))
        try:
            if self._observer is None:
                raise self._observer_error or OSError(errno.EMFILE, "no file-change observer")
            root.watch = self._observer.schedule(
                _Forward(root.path, self._inbox),
                str(root.path),
                recursive=True,
                event_filter=_EVENT_FILTER,
            )
        except OSError as exc:
            self._fall_back(root, now, exc)
        else:
            self._set_mode(root, MODE_EVENTS)
        finally:
            if self._observer is not None:  # its inotify reader exists once something was scheduled
                report_watch_limit(self._observer, self._inbox)
        if announce:
            self._pending.add_rescan(root.path, root.path)
            self._touch(now)

    def _disarm(self, root: _Root) -> None:
        watch, root.watch = root.watch, None
        if watch is not None and self._observer is not None:
            try:
                self._observer.unschedule(watch)
            except (KeyError, OSError) as exc:  # its emitter already gone
                log.debug("unscheduling %s: %r", root.path, exc)

    def _rearm(self, root: _Root | None, now: float, why: str) -> None:
        """Start over with a root that vanished or was replaced; rescan it either way."""
        if root is None:
            return
        log.info("watched folder %s %s", root.path, why)
        self._disarm(root)
        self._pending.add_rescan(root.path, root.path)
        self._touch(now)
        self._arm(root, now)

    def _fall_back(self, root: _Root, now: float, exc: OSError) -> None:
        limit = exc.errno in WATCH_LIMIT_ERRNOS
        mode = MODE_POLLING if limit else f"polling (cannot watch: {exc.strerror or exc})"
        self._set_mode(root, mode)
        root.next_poll = now + self._poll_interval
        hint = " (on Linux, raise fs.inotify.max_user_watches)" if limit else ""
        log.warning(
            "cannot watch %s for changes (%s); rescanning it every %g s instead%s",
            root.path, exc.strerror or exc, self._poll_interval, hint,
        )  # fmt: skip

    def _on_watch_limit(self, path: Path, now: float) -> None:
        """A sub-folder could not be watched: events for part of the root would be lost."""
        root = self._root_state_containing(path)
        if root is None or root.mode != MODE_EVENTS:
            return
        self._disarm(root)  # gives its watches back to the other roots
        self._fall_back(root, now, OSError(errno.ENOSPC, "inotify watch limit reached"))
        self._pending.add_rescan(root.path, root.path)  # what was missed so far
        self._touch(now)

    def _check_roots(self, now: float) -> None:
        """Notice roots that vanished, were replaced or came back, and run due polls.

        A root moved away, or one whose parent was, sends no event on inotify,
        so its identity on disk is compared rather than trusted.
        """
        for root in self._roots:
            if root.mode == MODE_WAITING:
                if folder_identity(root.path) is not None:
                    log.info("watched folder %s is back", root.path)
                    self._arm(root, now, announce=True)
            elif folder_identity(root.path) != root.identity:
                self._rearm(root, now, "vanished or was replaced")
            elif root.mode != MODE_EVENTS and now >= root.next_poll:
                root.next_poll = now + self._poll_interval
                self._pending.add_rescan(root.path, root.path)
                self._touch(now)

    def _set_mode(self, root: _Root, mode: str) -> None:
        with self._lock:
            root.mode = mode

    def _state_of(self, path: Path) -> _Root | None:
        return next((r for r in self._roots if r.path == path), None)

    def _root_state_containing(self, path: Path) -> _Root | None:
        """The innermost root holding ``path``."""
        holders = [r for r in self._roots if path.is_relative_to(r.path)]
        return max(holders, key=lambda r: len(r.path.parts), default=None)

    def _root_containing(self, path: Path) -> Path | None:
        root = self._root_state_containing(path)
        return root.path if root is not None else None
