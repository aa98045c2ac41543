"""Composition root of the desktop app: every long-lived object is built here, in this order.

Order: paths and logging (done by the CLI) → settings → the Qt application →
the instance server (or a hand-off to the Gemseek already running) → the
error hooks → :func:`build_app`: the vector pool (one in-memory copy of the
vector index for both services) → the openers of the core services (for the
working set: the user's folders, or the bundled samples) → the search client
→ the main window → the quick-search popup → the skipped-files dialog → the
indexing supervisor → the tray (then what indexing reports is connected to
where it shows) → the global shortcut → the search switch (searching follows
the index indexing caught up with) → the controller, which does what the user
asks; then it starts.

Each object gets its collaborators through its constructor; nothing looks
them up or is patched in later.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from app.core import desktop_entry
from app.core import settings as settings_mod
from app.core.paths import Paths, resources_dir
from app.core.progress import CancelToken
from app.core.services import IndexService, SearchService, working_set
from app.core.settings import Settings
from app.core.vector_pool import VectorPool

if TYPE_CHECKING:  # the CLI imports this module without Qt
    from PySide6.QtGui import QIcon

    from app.ui.controller import AppController
    from app.ui.index_supervisor import IndexSupervisor
    from app.ui.main_window import MainWindow
    from app.ui.quick_search import QuickSearch
    from app.ui.skipped_dialog import SkippedDialog
    from app.ui.tray import Tray

log = logging.getLogger(__name__)


def has_display() -> bool:
    """Whether a window can be shown: a display server, or Qt told where to draw."""
    if os.environ.get("QT_QPA_PLATFORM") or sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


# Libraries Qt's X11 platform plugin loads that desktop installs may lack, with their Debian package.
XCB_LIBRARIES = {
    "xcb-cursor": "libxcb-cursor0", "xcb-icccm": "libxcb-icccm4", "xcb-keysyms": "libxcb-keysyms1",
    "xkbcommon-x11": "libxkbcommon-x11-0",
}


def missing_desktop_libraries() -> list[str]:
    """Packages Qt would abort without on an X11 session (it cannot be caught once Qt starts)."""
    if sys.platform != "linux" or os.environ.get("QT_QPA_PLATFORM") or os.environ.get("WAYLAND_DISPLAY"):
        return []
    import ctypes.util

    bundled = Path(getattr(sys, "_MEIPASS", "") or "/nonexistent")  # an installer's build carries its own

    def found(lib: str) -> bool:
        return ctypes.util.find_library(lib) is not None or any(bundled.glob(f"lib{lib}.so*"))

    return [pkg for lib, pkg in XCB_LIBRARIES.items() if not found(lib)]


def search_opener(paths: Paths, embedder_factory: Callable | None = None,
                  pool: VectorPool | None = None) -> Callable[[Settings], Callable]:
    """settings → a function the search thread calls to open its service."""

    def for_settings(settings: Settings) -> Callable[[], SearchService]:
        p, s = working_set(paths, settings)
        # The app prepares the model in a child process; its search thread only opens a ready one.
        return lambda: SearchService(p, s, embedder_factory(s) if embedder_factory else None, prepare=False,
                                     pool=pool)

    return for_settings


def index_opener(paths: Paths, embedder_factory: Callable | None = None,
                 pool: VectorPool | None = None) -> Callable[[Settings], Callable]:
    """settings → a function the index thread calls (with a progress sink and a cancel token)."""

    def for_settings(settings: Settings) -> Callable[..., IndexService]:
        p, s = working_set(paths, settings)

        def open_service(on_progress, cancel: CancelToken) -> IndexService:
            embedder = embedder_factory(s) if embedder_factory else None
            return IndexService(p, s, on_progress=on_progress, embedder=embedder, cancel=cancel, pool=pool)

        return open_service

    return for_settings


def install_hooks(on_error: Callable[[str], None] | None = None) -> None:
    """Log unexpected errors from any thread instead of dying silently, then hand them on.

    The hooks that were installed before are still called (chained), and
    ``on_error`` gets a one-line description (the desktop app shows it).
    """
    previous_hook, previous_thread_hook = sys.excepthook, threading.excepthook

    def tell(kind, value) -> None:
        if on_error is not None and not issubclass(kind, KeyboardInterrupt):
            on_error(f"{kind.__name__}: {value}")

    def excepthook(kind, value, tb) -> None:
        log.critical("unexpected error", exc_info=(kind, value, tb))
        tell(kind, value)
        previous_hook(kind, value, tb)

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        log.critical("unexpected error in thread %s", args.thread, exc_info=(args.exc_type, args.exc_value,
                                                                            args.exc_traceback))
        tell(args.exc_type, args.exc_value)
        if previous_thread_hook is not threading.__excepthook__:
            previous_thread_hook(args)

    sys.excepthook = excepthook
    threading.excepthook = thread_hook


def build_app(paths: Paths, settings: Settings, icon: QIcon, *, embedder_factory: Callable | None = None,
              prepare_models: bool | None = None, engine_choice: Callable[[Settings], object | None] | None = None,
              on_battery: Callable[[], bool] | None = None, make_grabber: Callable | None = None) -> AppController:
    """Build the desktop app's windows, workers and controller for ``settings``, in the module's order.

    Args:
        paths: where everything lives.
        settings: the settings at start.
        icon: the tray's icon.
        embedder_factory: settings → an embedder (tests, benchmarks); by default the real model's.
        prepare_models: get a missing model before indexing; by default only without ``embedder_factory``.
        engine_choice: settings → this computer's measured engine for them; by default the cached probe.
        on_battery: whether the computer runs on battery; by default app.core.power's answer.
        make_grabber: shortcut → a global-shortcut grabber; by default app.ui.hotkey's.
    """
    from app.core import power
    from app.core.engine import active
    from app.ui import hotkey
    from app.ui.controller import AppController
    from app.ui.global_shortcut import GlobalShortcut
    from app.ui.index_supervisor import IndexSupervisor
    from app.ui.main_window import MainWindow
    from app.ui.quick_search import QuickSearch
    from app.ui.search_switch import SearchSwitch
    from app.ui.skipped_dialog import SkippedDialog
    from app.ui.tray import Tray
    from app.ui.workers import SearchClient

    engine_choice = engine_choice or functools.partial(active.current, paths)
    if prepare_models is None:
        prepare_models = embedder_factory is None  # the real model's file may be missing; a fake needs none
    pool = VectorPool()  # the search and the index thread share one in-memory vector index
    opener = search_opener(paths, embedder_factory, pool)
    client = SearchClient(opener(settings))
    window = MainWindow(client, settings.roots)
    quick = QuickSearch(client)
    skipped = SkippedDialog(window)
    indexing = IndexSupervisor(paths, settings, index_opener(paths, embedder_factory, pool),
                               engine_choice=engine_choice, on_battery=on_battery or power.on_battery,
                               prepare_models=prepare_models)
    tray = Tray(icon)
    connect_indexing(indexing, window, quick, skipped, tray)
    shortcut = GlobalShortcut(make_grabber or hotkey.make_grabber)
    search = SearchSwitch(client, opener, settings, window)
    indexing.caught_up.connect(search.caught_up)
    return AppController(paths, settings, search=search, window=window, quick=quick,
                         skipped=skipped, tray=tray, indexing=indexing, shortcut=shortcut,
                         engine_choice=engine_choice)


def connect_indexing(indexing: IndexSupervisor, window: MainWindow, quick: QuickSearch, skipped: SkippedDialog,
                     tray: Tray) -> None:
    """Show what indexing reports where the user looks, and hand it what the user asks of it."""
    indexing.state_changed.connect(window.show_state)
    indexing.progress.connect(window.show_progress)
    indexing.failed.connect(window.show_failure)
    indexing.activity.connect(window.show_activity)
    indexing.coverage.connect(window.show_coverage)
    indexing.coverage.connect(quick.show_coverage)
    indexing.paused_changed.connect(window.set_paused)
    indexing.paused_changed.connect(tray.set_paused)
    indexing.stats.connect(window.show_stats)
    indexing.stats.connect(skipped.show_stats)
    window.pause_toggled.connect(indexing.toggle_pause)
    tray.pause_toggled.connect(indexing.toggle_pause)
    skipped.retry.connect(indexing.retry)


def run_gui(paths: Paths, command: str = "show", embedder_factory: Callable | None = None,
            on_ready: Callable | None = None, hidden: bool = False) -> int:
    """Start the desktop app (or hand ``command`` to the one already running); return the exit status.

    ``on_ready(controller)`` runs once the window is shown and the event loop
    turns (bench/ui.py measures cold start with it).
    """
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from app.ui.error_relay import ErrorRelay
    from app.ui.single_instance import AlreadyRunning, InstanceServer, hand_over

    settings = settings_mod.load(paths.settings_file)
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName("Gemseek")
    app.setDesktopFileName(desktop_entry.APP_ID)  # Wayland matches windows to the menu entry by this name
    icon = QIcon(str(resources_dir() / "icons" / "gemseek.svg"))
    app.setWindowIcon(icon)
    try:
        server = InstanceServer(paths.data)
    except AlreadyRunning:
        if hand_over(paths.data, command):
            log.info("handed %r to the running Gemseek", command)
            return 0
        print(f"Gemseek is already running for {paths.data} but does not answer; quit it (or end its process) "
              "and start again", file=sys.stderr)
        return 1
    relay = ErrorRelay()  # errors can come from any thread; the window shows them on the GUI thread
    install_hooks(relay.unexpected.emit)
    app.setQuitOnLastWindowClosed(False)
    desktop_entry.install_on_first_start()  # an installer's bundle puts itself in the application menu
    first_run = not (paths.config / "first-run-done").exists() and not settings.roots
    controller = build_app(paths, settings, icon, embedder_factory=embedder_factory)
    server.command.connect(controller.handle_command)
    server.answer = lambda query: controller.state()  # "state" is the one query there is
    relay.unexpected.connect(controller.window.show_problem)
    controller.stopped.connect(app.quit)
    app.aboutToQuit.connect(controller.quit)  # a session logout quits without the menu
    controller.start(first_run=first_run, hidden=hidden or command == "quick")
    if command != "show":
        controller.handle_command(command)
    if on_ready is not None:
        QTimer.singleShot(0, lambda: on_ready(controller))
    status = app.exec()
    server.close()
    return status
