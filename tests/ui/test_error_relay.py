"""An error nobody caught, in any thread, is logged, shown in the window, and handed to the hooks before ours."""

from __future__ import annotations

import sys
import threading

import pytest

from app.main import install_hooks
from app.ui.error_relay import ErrorRelay


@pytest.fixture
def hooks():
    saved = sys.excepthook, threading.excepthook
    yield
    sys.excepthook, threading.excepthook = saved


def test_a_thread_s_error_reaches_the_window_on_the_gui_thread(qtbot, hooks, caplog):
    earlier: list = []
    threading.excepthook = lambda args: earlier.append(args.exc_type)
    relay = ErrorRelay()
    install_hooks(relay.unexpected.emit)
    shown: list[tuple[str, bool]] = []
    relay.unexpected.connect(lambda text: shown.append((text, threading.current_thread() is threading.main_thread())))

    def boom():
        raise ValueError("the unexpected")

    t = threading.Thread(target=boom)
    t.start()
    t.join()
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    assert shown == [("ValueError: the unexpected", True)]
    assert earlier == [ValueError]  # the hook installed before ours still ran
    assert "unexpected error in thread" in caplog.text


def test_the_main_thread_s_hook_is_chained_too(hooks):
    earlier: list = []
    sys.excepthook = lambda kind, value, tb: earlier.append(kind)
    got: list[str] = []
    install_hooks(got.append)
    try:
        raise KeyError("k")
    except KeyError:
        sys.excepthook(*sys.exc_info())
    assert earlier == [KeyError] and got == ["KeyError: 'k'"]


def test_the_window_says_what_went_wrong(qtbot):
    from app.ui.main_window import MainWindow
    from app.ui.workers import SearchClient

    client = SearchClient(lambda: None)
    window = MainWindow(client)
    qtbot.addWidget(window)
    window.show_problem("ValueError: x")
    assert "Something went wrong: ValueError: x" in window.statusBar().currentMessage()
    client.close()
