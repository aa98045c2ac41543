"""The indexing life cycle without a window: pause, battery power, restart after settings, the model first."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, Signal

from app.core.catalog import IndexStats
from app.core.progress import Progress
from app.core.settings import Settings
from app.ui.index_supervisor import BATTERY_NOTE, IndexSupervisor, coverage_text


class FakeService:
    """Indexes nothing: one pass, then watches until cancelled, as the real service does between changes."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.retried: list[Path] = []
        self.closed = threading.Event()

    def watch(self, cancel):
        yield [], "synced"
        while not cancel.cancelled:
            time.sleep(0.01)  # on the runner's thread

    def retry(self, files, cancel):
        self.retried.extend(files)

    def stats(self):
        return IndexStats(files=3, skipped_files=1, chunks=5, skipped=(("a.bin", "binary file"),))

    def close(self):
        self.closed.set()


class FakeModelJob(QObject):
    """Gets a model at once or fails, when the test says so."""

    progress = Signal(object)
    finished = Signal(bool, str)

    def __init__(self, paths, qtype: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.qtype = qtype
        self.running = False
        self.cancelled = False

    def start(self) -> None:
        self.running = True

    def cancel(self) -> None:
        self.cancelled = True
        self.end(False, "stopped")

    def wait(self, _ms: int) -> None:
        pass

    def end(self, ok: bool, message: str) -> None:
        self.running = False
        self.finished.emit(ok, message)


class Recorder:
    """What a supervisor said, signal by signal."""

    def __init__(self, sup: IndexSupervisor) -> None:
        self.states: list[str] = []
        self.activity: list[str] = []
        self.failed: list[str] = []
        self.caught_up: list[Settings] = []
        self.paused: list[bool] = []
        sup.state_changed.connect(self.states.append)
        sup.activity.connect(self.activity.append)
        sup.failed.connect(self.failed.append)
        sup.caught_up.connect(self.caught_up.append)
        sup.paused_changed.connect(self.paused.append)

    @property
    def state(self) -> str:
        return self.states[-1] if self.states else ""


class Home:
    """A supervisor over fake services, a fake battery and (optionally) fake model jobs."""

    def __init__(self, paths, settings: Settings, *, model_ready: bool = True) -> None:
        self.services: list[FakeService] = []
        self.jobs: list[FakeModelJob] = []
        self.battery = False
        self.ready_types = {settings.quantization} if model_ready else set()
        self.sup = IndexSupervisor(paths, settings, self.opener, engine_choice=self.engine,
                                   on_battery=lambda: self.battery, model_job=self.job)
        self.said = Recorder(self.sup)

    def opener(self, settings: Settings):
        def open_service(_progress, _cancel):
            service = FakeService(settings)
            self.services.append(service)
            return service

        return open_service

    def engine(self, settings: Settings):
        return "measured" if settings.quantization in self.ready_types else None

    def job(self, paths, qtype, parent):
        job = FakeModelJob(paths, qtype, parent)
        self.jobs.append(job)
        return job


@pytest.fixture
def home(qtbot, paths):
    made: list[Home] = []

    def make(settings: Settings = Settings(roots=("/nowhere",)), **kw) -> Home:
        h = Home(paths, settings, **kw)
        made.append(h)
        return h

    yield make
    for h in made:
        h.sup.stop()  # (a second stop does nothing)
        qtbot.waitUntil(lambda h=h: h.sup.runner is None or h.sup.runner.isFinished(), timeout=10_000)


def wait_state(qtbot, h: Home, state: str) -> None:
    qtbot.waitUntil(lambda: h.said.state == state, timeout=10_000)


def test_start_indexes_then_reports_caught_up_and_stats(qtbot, home):
    h = home()
    with qtbot.waitSignal(h.sup.stats, timeout=10_000) as stats:
        assert h.sup.start() is True
    wait_state(qtbot, h, "watching")
    assert stats.args[0].files == 3 and h.sup.last_stats.chunks == 5
    assert h.said.caught_up == [h.sup.settings]
    assert h.said.paused[-1] is False


def test_pause_and_resume_by_hand(qtbot, home):
    h = home()
    h.sup.start()
    wait_state(qtbot, h, "watching")
    h.sup.toggle_pause()
    wait_state(qtbot, h, "paused")
    assert h.said.paused[-1] is True and h.said.activity == []  # paused by hand: no battery note
    h.sup.toggle_pause()
    wait_state(qtbot, h, "watching")
    assert len(h.services) == 1  # the same runner, the same service


def test_battery_pauses_only_when_the_setting_asks_and_the_mains_resume(qtbot, home):
    h = home()
    h.battery = True
    h.sup.start()
    wait_state(qtbot, h, "watching")
    h.sup.check_power()
    assert not h.sup.runner.paused  # the setting is off
    h.sup.apply(h.sup.settings.replace(pause_on_battery=True))  # nothing the indexer uses: no restart
    wait_state(qtbot, h, "paused")
    assert h.said.activity[-1] == BATTERY_NOTE
    h.battery = False
    h.sup.check_power()
    wait_state(qtbot, h, "watching")
    assert len(h.services) == 1


def test_a_pause_by_hand_is_not_undone_by_the_mains(qtbot, home):
    h = home(Settings(roots=("/nowhere",), pause_on_battery=True))
    h.sup.start()
    wait_state(qtbot, h, "watching")
    h.sup.toggle_pause()
    wait_state(qtbot, h, "paused")
    h.sup.check_power()  # on the mains
    assert h.sup.runner.paused


def test_a_resume_by_hand_on_battery_holds_until_the_next_check_on_battery(qtbot, home):
    h = home(Settings(roots=("/nowhere",), pause_on_battery=True))
    h.battery = True
    h.sup.start()
    wait_state(qtbot, h, "paused")
    assert h.said.activity == [BATTERY_NOTE]
    h.sup.toggle_pause()  # the user resumes
    wait_state(qtbot, h, "watching")
    h.battery = False
    h.sup.check_power()  # the mains neither resume nor pause what the user resumed
    assert not h.sup.runner.paused
    h.battery = True
    h.sup.check_power()
    wait_state(qtbot, h, "paused")


def test_a_change_the_indexer_uses_restarts_the_runner_with_it(qtbot, home):
    h = home()
    h.sup.start()
    wait_state(qtbot, h, "watching")
    first = h.sup.runner
    new = h.sup.settings.replace(dimension=256)
    with qtbot.waitSignal(h.sup.caught_up, timeout=10_000, check_params_cb=lambda s: s == new):
        h.sup.apply(new)
    assert first.isFinished() and h.sup.runner is not first
    assert [s.settings.dimension for s in h.services] == [768, 256]
    assert h.services[0].closed.is_set()


def test_a_change_the_indexer_does_not_use_keeps_the_runner(qtbot, home):
    h = home()
    h.sup.start()
    wait_state(qtbot, h, "watching")
    first = h.sup.runner
    h.sup.apply(h.sup.settings.replace(hotkey="Ctrl+Shift+F", start_at_login=True))
    assert h.sup.runner is first and first.isRunning() and len(h.services) == 1


def test_skipped_files_go_back_to_the_service(qtbot, home):
    h = home()
    h.sup.start()
    wait_state(qtbot, h, "watching")
    h.sup.retry([Path("a.bin")])
    qtbot.waitUntil(lambda: h.services[0].retried == [Path("a.bin")], timeout=10_000)


def test_a_missing_model_is_got_first_then_indexed(qtbot, home):
    h = home(model_ready=False)
    assert h.sup.start() is False
    assert h.said.state == "preparing" and h.sup.runner is None
    assert h.sup.model_job is h.jobs[0] and h.jobs[0].running
    h.ready_types.add("auto")
    h.jobs[0].end(True, "The Q8_0 model is ready.")
    wait_state(qtbot, h, "watching")
    assert len(h.services) == 1


def test_a_failed_model_says_why_and_the_next_toggle_tries_again(qtbot, home):
    h = home(model_ready=False)
    h.sup.start()
    h.jobs[0].end(False, "Could not get the model ready: no network")
    assert h.said.failed == ["Could not get the model ready: no network"] and h.said.state == "model-missing"
    h.sup.toggle_pause()
    assert len(h.jobs) == 2 and h.jobs[1].running and h.said.state == "preparing"
    h.sup.toggle_pause()  # while getting it: stop getting it
    assert h.jobs[1].cancelled


def test_a_new_quantization_keeps_the_old_runner_until_its_model_is_there(qtbot, home):
    h = home()
    h.sup.start()
    wait_state(qtbot, h, "watching")
    first = h.sup.runner
    h.sup.apply(h.sup.settings.replace(quantization="Q4_0"))
    assert h.jobs[0].qtype == "Q4_0" and h.sup.runner is first and first.isRunning()
    h.ready_types.add("Q4_0")
    with qtbot.waitSignal(h.sup.caught_up, timeout=10_000, check_params_cb=lambda s: s.quantization == "Q4_0"):
        h.jobs[0].end(True, "The Q4_0 model is ready.")
    assert first.isFinished()


def test_stop_ends_the_runner_and_cancels_the_model_job(qtbot, home):
    h = home()
    h.sup.start()
    wait_state(qtbot, h, "watching")
    h.sup.apply(h.sup.settings.replace(quantization="Q4_0"))
    with qtbot.waitSignal(h.sup.stopped, timeout=10_000):
        h.sup.stop()
    assert h.jobs[0].cancelled and h.sup.runner.isFinished() and h.services[0].closed.is_set()


def test_coverage_says_how_far_indexing_got():
    assert coverage_text(Progress("index", 3, 10, "files")) == "still indexing: 3 of 10 files read"
    assert "2 of 9 passages by meaning" in coverage_text(Progress("embed", 2, 9, "passages"))
    assert coverage_text(Progress("scan", 1, None, "files")) == ""


def test_turning_ocr_on_restarts_the_runner_with_it(qtbot, home):
    h = home()
    h.sup.start()
    wait_state(qtbot, h, "watching")
    new = h.sup.settings.replace(ocr=True)
    with qtbot.waitSignal(h.sup.caught_up, timeout=10_000, check_params_cb=lambda s: s == new):
        h.sup.apply(new)
    assert [s.settings.ocr for s in h.services] == [False, True]
