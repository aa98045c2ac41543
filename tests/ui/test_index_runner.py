"""Pause and Quit reach the index runner whenever they land, even between its check and its next job."""

from __future__ import annotations

import linecache
import sys
import threading
import time

import pytest

from app.core.catalog import IndexStats
from app.ui.workers import IndexRunner


class WatchingService:
    """Watches until cancelled, as the real service does between changes."""

    def __init__(self) -> None:
        self.watches = 0

    def watch(self, cancel):
        self.watches += 1
        while not cancel.cancelled:
            time.sleep(0.01)
        return
        yield

    def stats(self):
        return IndexStats()

    def close(self):
        pass


def _window_tracer(at_window: threading.Event, go: threading.Event):
    """A trace function that holds the runner's thread just before it makes its next cancel token."""
    held = []

    def local(frame, event, _arg):
        if event == "line" and not held and "CancelToken()" in linecache.getline(frame.f_code.co_filename,
                                                                                  frame.f_lineno):
            held.append(True)
            at_window.set()
            go.wait(5)
        return local

    def tracer(frame, event, _arg):
        return local if event == "call" and frame.f_code.co_name == "_loop" else None

    return tracer


@pytest.mark.parametrize("request_name", ["pause", "request_stop"])
def test_a_request_in_the_window_before_the_next_token_is_not_lost(qtbot, request_name):
    at_window, go = threading.Event(), threading.Event()
    service = WatchingService()

    def open_service(_progress, _cancel):
        sys.settrace(_window_tracer(at_window, go))  # this runs on the runner's own thread
        return service

    runner = IndexRunner(open_service)
    states: list[str] = []
    runner.state.connect(states.append)
    runner.start()
    try:
        assert at_window.wait(10)
        caller = threading.Thread(target=getattr(runner, request_name))  # lands right then, from another thread
        caller.start()
        time.sleep(0.2)
        go.set()
        caller.join(5)
        want = "paused" if request_name == "pause" else "stopped"
        qtbot.waitUntil(lambda: want in states, timeout=5000)
    finally:
        go.set()
        runner.request_stop()
        assert runner.wait(10_000)
    assert service.watches <= 1


def test_pause_resume_and_stop_at_any_moment(qtbot):
    service = WatchingService()
    runner = IndexRunner(lambda _p, _c: service)
    states: list[str] = []
    runner.state.connect(states.append)
    runner.start()
    for i in range(30):
        time.sleep(0.003 * (i % 7))
        runner.pause()
        qtbot.waitUntil(lambda: bool(states) and states[-1] == "paused", timeout=5000)
        runner.resume()
        qtbot.waitUntil(lambda: states[-1] == "indexing", timeout=5000)
    runner.request_stop()
    assert runner.wait(10_000)
    qtbot.waitUntil(lambda: states[-1] == "stopped", timeout=5000)
